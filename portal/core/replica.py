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
- the replica is never migrated: it is a copy of the primary.

Without ``DATABASE_REPLICA_URL`` every query goes to the primary.
"""

from __future__ import annotations

from contextlib import ContextDecorator
from contextvars import ContextVar

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS

_asked: ContextVar[bool] = ContextVar("portal_replica_reads", default=False)

# Read where being a moment behind would show: who someone is and may do, the audit trail, and
# the inbox with its unread counter in the navigation.
PRIMARY_ONLY_APPS = frozenset(
    {"accounts", "auth", "sessions", "authtoken", "otp_totp", "otp_static", "admin", "audit", "notifications"}
)


class replica_reads(ContextDecorator):  # lower case: used like contextlib's own helpers
    """Reads inside this block (or decorated function) may come from the read replica."""

    def __enter__(self):
        self._token = _asked.set(True)
        return self

    def __exit__(self, *exc):
        _asked.reset(self._token)
        return False


class ReplicaRouter:
    """The portal's one database router (``DATABASE_ROUTERS``)."""

    def db_for_read(self, model, **hints):
        replica = settings.READ_REPLICA
        if replica and _asked.get() and model._meta.app_label not in PRIMARY_ONLY_APPS:
            return replica
        return DEFAULT_DB_ALIAS

    def db_for_write(self, model, **hints):
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints):
        return True  # one database and its copy

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == DEFAULT_DB_ALIAS
