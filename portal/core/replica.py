"""Reads that may lag a little go to the read replica; everything else stays on the primary.

``DATABASE_REPLICA_URL`` names a streaming replica of ``DATABASE_URL`` (settings: alias
``replica``, ``READ_REPLICA``). Only code that asks for it reads there, inside
``replica_reads()``: the dashboards, the statistics and the exports, pages of figures and lists
where replication lag of a few seconds is harmless, and the heaviest reads of the portal.
Everything else reads the primary, so nobody misses their own change on a replica that has
not received it yet, and:

- every write goes to the primary, also of an object that was read from the replica;
- people, sessions, sign-in devices, the audit trail and the inbox are always read from the
  primary (someone who just signed in or was just given a role is recognised at once; the
  unread counter drops as soon as a message is read);
- a replica that cannot be reached, or is further behind than ``REPLICA_MAX_LAG_SECONDS``, is
  not used: the block reads the primary (checked at most every ``REPLICA_CHECK_SECONDS`` per
  process, logged as a warning) instead of failing the page;
- the replica is never migrated: it is a copy of the primary.

Without ``DATABASE_REPLICA_URL`` every query goes to the primary.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections

logger = logging.getLogger(__name__)

# The alias the current block reads from, or None outside replica_reads() (and when the replica
# is unusable).
_reading_from: ContextVar[str | None] = ContextVar("portal_replica_reads", default=None)

# Read where being a moment behind would show: who someone is and may do, the audit trail, and
# the inbox with its unread counter in the navigation.
PRIMARY_ONLY_APPS = frozenset(
    {"accounts", "auth", "sessions", "authtoken", "otp_totp", "admin", "audit", "notifications"}
)

# How far behind the replica is: 0 when it has replayed everything it received (an idle primary
# sends nothing new), and on a server that is not a standby at all.
_LAG_SQL = """
SELECT CASE WHEN NOT pg_is_in_recovery() OR pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0
            ELSE coalesce(extract(epoch FROM now() - pg_last_xact_replay_timestamp()), 0) END
"""


class _Health:
    """Whether the replica may be used, checked at most every REPLICA_CHECK_SECONDS per process."""

    def __init__(self):
        self._lock = threading.Lock()
        self._checked_at: float | None = None
        self._usable = False

    def usable(self, alias: str) -> bool:
        """One thread checks when the last answer is stale; the others keep that answer
        meanwhile instead of waiting on an unreachable replica's connect timeout."""
        with self._lock:
            now = time.monotonic()
            if self._checked_at is not None and now - self._checked_at < settings.REPLICA_CHECK_SECONDS:
                return self._usable
            self._checked_at = now
        usable = self._check(alias)
        with self._lock:
            self._usable = usable
        return usable

    @staticmethod
    def _check(alias: str) -> bool:
        try:
            with connections[alias].cursor() as cursor:
                cursor.execute(_LAG_SQL)
                lag = float(cursor.fetchone()[0])
        except DatabaseError as exc:
            logger.warning("read replica %r unusable, reading the primary: %s", alias, str(exc).strip()[:200])
            return False
        if lag > settings.REPLICA_MAX_LAG_SECONDS:
            logger.warning("read replica %r is %.0f s behind, reading the primary", alias, lag)
            return False
        return True


health = _Health()


@contextmanager
def replica_reads() -> Iterator[None]:
    """Reads inside this block (or function decorated with ``@replica_reads()``) may come from
    the read replica. Each use is its own context manager, so concurrent requests in the
    threads of one process never share its state."""
    alias = settings.READ_REPLICA
    token = _reading_from.set(alias if alias and health.usable(alias) else None)
    try:
        yield
    finally:
        _reading_from.reset(token)


class ReplicaRouter:
    """The portal's one database router (``DATABASE_ROUTERS``)."""

    def db_for_read(self, model, **hints):
        alias = _reading_from.get()
        if alias and model._meta.app_label not in PRIMARY_ONLY_APPS:
            return alias
        return DEFAULT_DB_ALIAS

    def db_for_write(self, model, **hints):
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints):
        return True  # one database and its copy

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == DEFAULT_DB_ALIAS
