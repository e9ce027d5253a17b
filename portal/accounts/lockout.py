"""Failed-login counters and locks, in Redis (the default cache), per account and per IP.

Two subjects are counted independently: the username typed (whether or not such an account
exists, so the answer never tells) and the client IP. ``LOGIN_FAILURE_LIMIT`` failures of a
subject within ``LOGIN_LOCKOUT_SECONDS`` of its first failure lock it for
``LOGIN_LOCKOUT_SECONDS``; either lock refuses the login. Everything expires by Redis TTL, so
there is nothing to sweep. The audit trail is written by ``services``, not here.
"""

from __future__ import annotations

import hashlib
import math
import time
from collections.abc import Iterator
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache

ACCOUNT = "account"
IP = "ip"


@dataclass(frozen=True)
class Lock:
    scope: str  # ACCOUNT or IP
    subject: str  # the username or the IP address
    until: float  # Unix time the lock ends

    @property
    def minutes_left(self) -> int:
        return max(1, math.ceil((self.until - time.time()) / 60))


def _key(kind: str, scope: str, subject: str) -> str:
    digest = hashlib.sha256(subject.encode("utf-8")).hexdigest()[:40]
    return f"auth:{kind}:{scope}:{digest}"


def failures_key(scope: str, subject: str) -> str:
    return _key("failures", scope, subject)


def lock_key(scope: str, subject: str) -> str:
    return _key("lock", scope, subject)


def _subjects(username: str | None, ip: str | None) -> Iterator[tuple[str, str]]:
    if username:
        yield ACCOUNT, username
    if ip:
        yield IP, ip


def current_locks(*, username: str | None, ip: str | None) -> list[Lock]:
    """The locks in force on this username and this IP (none, one or both)."""
    subjects = dict(_subjects(username, ip))
    keys = {lock_key(scope, subject): (scope, subject) for scope, subject in subjects.items()}
    found = cache.get_many(list(keys))
    now = time.time()
    return [
        Lock(scope, subject, float(found[key]))
        for key, (scope, subject) in keys.items()
        if key in found and float(found[key]) > now
    ]


def _increment(key: str, window: int) -> int:
    # add() sets the TTL only when the counter is new; INCR keeps it, so the window runs
    # from the first failure. If the key expires between the two calls, start again at 1.
    cache.add(key, 0, timeout=window)
    try:
        return cache.incr(key)
    except ValueError:
        cache.set(key, 1, timeout=window)
        return 1


def register_failure(*, username: str | None, ip: str | None) -> tuple[list[Lock], dict[str, int]]:
    """Count one failure against the username and the IP.

    Returns the locks this failure started (at most one per subject, even when concurrent
    failures cross the limit together) and the failures left before a lock, per scope.
    """
    limit = settings.LOGIN_FAILURE_LIMIT
    seconds = settings.LOGIN_LOCKOUT_SECONDS
    started, left = [], {}
    for scope, subject in _subjects(username, ip):
        count = _increment(failures_key(scope, subject), seconds)
        left[scope] = max(0, limit - count)
        if count >= limit:
            until = time.time() + seconds
            if cache.add(lock_key(scope, subject), until, timeout=seconds):
                started.append(Lock(scope, subject, until))
            # The next period after the lock starts with a clean count.
            cache.delete(failures_key(scope, subject))
    return started, left


def reset_account(username: str) -> None:
    """A successful login forgets the account's failures (not the IP's)."""
    cache.delete(failures_key(ACCOUNT, username))


def unlock(*, username: str | None = None, ip: str | None = None) -> list[Lock]:
    """Lift the locks and forget the failures; return the locks that were in force."""
    lifted = current_locks(username=username, ip=ip)
    keys = []
    for scope, subject in _subjects(username, ip):
        keys += [lock_key(scope, subject), failures_key(scope, subject)]
    if keys:
        cache.delete_many(keys)
    return lifted
