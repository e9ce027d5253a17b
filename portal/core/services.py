"""Writes of the shared core."""

from __future__ import annotations

import logging

from django.core.cache import cache
from django.db import connection

logger = logging.getLogger(__name__)


def admin_warning_raise(*, key: str, message: str, throttle_seconds: int | None = 3600) -> None:
    """Record (or count again) a warning for administrators; never raises.

    Throttled per key through the cache so a hot path that keeps meeting the same condition
    writes at most once an hour; an unreachable cache only means the row is written again.
    """
    logger.warning("admin warning %s: %s", key, message)
    try:
        if throttle_seconds and not cache.add(f"admin-warning:{key}", 1, throttle_seconds):
            return
    except Exception:  # the cache is an optimisation here, never a reason to fail
        logger.exception("cache unavailable while throttling admin warning %s", key)
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO core_adminwarning (key, message, count, first_seen, last_seen, resolved_at)
            VALUES (%s, %s, 1, now(), now(), NULL)
            ON CONFLICT (key) DO UPDATE
               SET count = core_adminwarning.count + 1, message = EXCLUDED.message,
                   last_seen = now(), resolved_at = NULL
            """,
            [key, message],
        )
