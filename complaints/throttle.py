"""Per-address rate limits for the public pages, counted in Redis (the default cache).

A fixed window per (scope, address): the first request of a window creates the counter with the
window as its TTL, every request increments it atomically (INCR), and a request that finds the
counter above the limit is refused. Several web processes share the counters, nothing to sweep.
Refusing happens before anything is written, so an accepted submission is never undone."""

from __future__ import annotations

import hashlib
import logging
import time

from django.core.cache import cache

logger = logging.getLogger(__name__)

# scope: (requests allowed, per seconds)
RATES = {
    "public-submit": (10, 600),  # ten complaint submissions per address per ten minutes
    "public-track": (30, 600),  # tracking lookups (the phone's last four digits are guessable)
    "public-contacts": (20, 600),  # the enterprise contact lookup (service/): no harvesting of phones
}


def _key(scope: str, address: str, window: int) -> str:
    digest = hashlib.sha256(address.encode()).hexdigest()[:32]
    return f"complaints:throttle:{scope}:{digest}:{window}"


def allow(scope: str, address: str | None) -> bool:
    """Count one request; False when the address has used up its allowance for this window."""
    limit, seconds = RATES[scope]
    window = int(time.time() // seconds)
    key = _key(scope, address or "unknown", window)
    try:
        cache.add(key, 0, timeout=seconds + 5)
        count = cache.incr(key)
    except Exception:  # Redis down: let people through rather than lose complaints
        logger.warning("throttle counter unavailable; %s not limited", scope, exc_info=True)
        return True
    return count <= limit


def retry_after(scope: str) -> int:
    _limit, seconds = RATES[scope]
    return max(1, seconds - int(time.time() % seconds))
