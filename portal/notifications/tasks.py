"""Celery tasks of the alert ledger: thin, ids in, the work in sweep.py and delivery.py.

Every task acknowledges late (``acks_late``; the settings add prefetch 1 and
``reject_on_worker_lost``), so a killed worker's message is delivered again; that repeat, a
redispatched copy or a stray duplicate all find their rows already claimed or sent and do
nothing (``delivery.py``). Messages are only ever sent after the transaction that wrote the
rows has committed.
"""

from __future__ import annotations

import logging

from celery import shared_task
from django.db import InterfaceError, OperationalError

from portal.notifications import conf

logger = logging.getLogger(__name__)

DELIVER_TIME_LIMIT = 600  # seconds; the claim lease must be longer (checks.py)
DB_ERRORS = (OperationalError, InterfaceError)


def _options(**extra) -> dict:
    queue = conf.get("QUEUE")
    return {**({"queue": queue} if queue else {}), **extra}


def enqueue_fan_out(run_id: int) -> None:
    fan_out.apply_async(args=[run_id], **_options())


def enqueue_deliveries(rows, *, countdown: float | None = None) -> int:
    """Send (delivery id, channel) pairs to the workers in batches, per channel."""
    by_channel: dict[str, list[int]] = {}
    for pk, channel in rows:
        by_channel.setdefault(channel, []).append(pk)
    sent = 0
    for channel, ids in by_channel.items():
        size = conf.get("INBOX_BATCH_SIZE") if channel == "inbox" else conf.get("BATCH_SIZE")
        for start in range(0, len(ids), size):
            extra = {"countdown": countdown} if countdown else {}
            deliver.apply_async(args=[channel, ids[start : start + size]], **_options(**extra))
            sent += 1
    return sent


@shared_task(
    acks_late=True,
    ignore_result=True,
    autoretry_for=DB_ERRORS,
    retry_backoff=5,
    retry_jitter=True,
    max_retries=5,
    soft_time_limit=540,
    time_limit=600,
)
def sweep() -> int:
    """Write the alerts owed today and enqueue their fan-out (beat: see schedule.py)."""
    from portal.notifications.sweep import alerts_sweep

    return alerts_sweep().alerts


@shared_task(acks_late=True, ignore_result=True, autoretry_for=DB_ERRORS, retry_backoff=5, max_retries=2, time_limit=55)
def sweep_minutes() -> int:
    """The round-the-clock minute sweep: limits counted in clock minutes (incident forwarding),
    owed at the server's clock; a probe of a partial index when nothing is due."""
    from portal.notifications.sweep import alerts_sweep

    return alerts_sweep(minutes=True).alerts


@shared_task(
    acks_late=True,
    ignore_result=True,
    autoretry_for=DB_ERRORS,
    retry_backoff=5,
    retry_jitter=True,
    max_retries=8,
    soft_time_limit=540,
    time_limit=600,
)
def fan_out(run_id: int) -> int:
    from portal.notifications.sweep import alerts_fan_out

    return alerts_fan_out(run_id=run_id)["deliveries"]


@shared_task(
    acks_late=True,
    ignore_result=True,
    autoretry_for=DB_ERRORS,
    retry_backoff=5,
    retry_jitter=True,
    max_retries=8,
    soft_time_limit=DELIVER_TIME_LIMIT - 30,
    time_limit=DELIVER_TIME_LIMIT,
)
def deliver(channel: str, delivery_ids: list[int]) -> dict:
    """Send these deliveries; rows already claimed, sent or gone are skipped quietly."""
    from portal.notifications.delivery import deliveries_send

    return deliveries_send(channel=channel, ids=[int(pk) for pk in delivery_ids])


@shared_task(acks_late=True, ignore_result=True, autoretry_for=DB_ERRORS, retry_backoff=5, max_retries=3)
def redispatch() -> int:
    """Release dead workers' claims; enqueue again what should have gone out by now."""
    from portal.notifications.sweep import deliveries_redispatch

    result = deliveries_redispatch()
    return len(result["deliveries"]) + len(result["fan_out_runs"])
