"""Reads of the audit trail for the security auditor, always scoped."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q, QuerySet
from django.utils import timezone

from portal.accounts.capabilities import Cap
from portal.audit.models import AuditEvent

FILTERS = ("q", "action", "outcome", "date_from", "date_to")


def _parse_date(value: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value)
    except (TypeError, ValueError):
        return None


def audit_events_for(user, params) -> tuple[QuerySet[AuditEvent], dict[str, str]]:
    """Events the auditor may read, filtered by the search form; returns the cleaned filters."""
    qs = AuditEvent.objects.visible_to(user, Cap.VIEW_AUDIT)
    cleaned = {key: (params.get(key) or "").strip()[:64] for key in FILTERS}
    if cleaned["q"]:
        q = cleaned["q"]
        qs = qs.filter(Q(actor_username=q) | Q(object_id=q) | Q(request_id=q) | Q(object_type=q))
    if cleaned["action"]:
        qs = qs.filter(action__startswith=cleaned["action"])
    if cleaned["outcome"] in AuditEvent.Outcome.values:
        qs = qs.filter(outcome=cleaned["outcome"])
    tz = timezone.get_current_timezone()
    if start := _parse_date(cleaned["date_from"]):
        qs = qs.filter(occurred_at__gte=dt.datetime.combine(start, dt.time.min, tz))
    if end := _parse_date(cleaned["date_to"]):
        qs = qs.filter(occurred_at__lt=dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tz))
    return qs.order_by("-seq"), cleaned
