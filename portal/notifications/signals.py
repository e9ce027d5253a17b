"""When a worker starts, look at the ledger at once rather than at the next beat: work that
waited while no worker ran (or whose messages a Redis restart lost) goes out now."""

from __future__ import annotations

import logging

from celery.signals import worker_ready

logger = logging.getLogger(__name__)


@worker_ready.connect
def redispatch_on_start(sender=None, **kwargs):
    from portal.notifications.tasks import _options, redispatch

    try:
        redispatch.apply_async(**_options())
    except Exception:  # the broker is down: beat's next redispatch will do it
        logger.warning("could not enqueue the start-up redispatch", exc_info=True)
