"""Objects the authorization matrix creates in every region, one factory per scoped model.

A route that declares ``needs(cap, model=X)`` (or a scoped viewset over X) is tried against
one X in each region below. Each object carries the marker ``MATRIX-<region code>`` where its
list pages show it, so the matrix can tell which objects a page revealed. Later apps add
their models here; a scoped model without a factory fails the matrix test.
"""

from __future__ import annotations

import importlib

from django.apps import apps
from django.conf import settings

from portal.accounts.models import Role, User
from portal.audit.models import AuditEvent
from portal.audit.services import audit_record_many
from portal.regions.models import Unit

REGIONS = ["410000", "410100", "410105", "410122", "410300", "410303"]


def marker(code: str) -> str:
    return f"MATRIX-{code}"


def _unit(code: str):
    return Unit.objects.create(name=f"{marker(code)} 执法大队", kind=Unit.Kind.ENFORCEMENT_AGENCY, region_id=code)


def _audit_event(code: str):
    """An event by an actor of that region (events are scoped by the actor's region)."""
    return audit_record_many(
        [{"actor": _Actor(code), "action": "matrix.fixture", "object_type": "matrix", "object_id": marker(code)}]
    )[0]


class _Actor:
    """A stand-in actor with a region, only for writing fixture events."""

    is_authenticated = True
    roles = ["county_officer"]

    def __init__(self, code):
        self.region_id = code
        self.pk = None

    def get_username(self):
        return f"matrix-{self.region_id}"


def _user(code: str):
    return User.objects.create_user(marker(code), region_id=code, roles=[Role.COUNTY_OFFICER])


FACTORIES = {
    Unit: _unit,
    AuditEvent: _audit_event,
    User: _user,
}

# Query parameters that keep a busy list's first page on the fixture objects (the matrix's own
# requests write audit events, newest first, that would push the fixtures off page one).
# Lists longer than a page find the marked objects by a filter (the province has more units
# than the API's page of 50 once every app's factories have made theirs).
LIST_QUERIES = {
    AuditEvent: {"action": "matrix."},
    Unit: {"name": " 执法大队"},
}  # the factory's "MATRIX-<code> 执法大队"

# Apps add their scoped models' factories in <app>/tests/matrix.py (a FACTORIES dict of
# model -> factory(region_code) returning an object that shows marker(code) in its lists).
for _app in [config.name for config in apps.get_app_configs() if config.path.startswith(str(settings.BASE_DIR))]:
    try:
        _module = importlib.import_module(f"{_app}.tests.matrix")
    except ModuleNotFoundError as exc:
        if exc.name not in (f"{_app}.tests.matrix", f"{_app}.tests", _app):
            raise
        continue
    FACTORIES.update(_module.FACTORIES)
    LIST_QUERIES.update(getattr(_module, "LIST_QUERIES", {}))
