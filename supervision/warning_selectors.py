"""Reads of monitoring warnings, always scoped (``visible_to``): the list, one warning, the
records behind it (the same window and series the job counted, limited to what the reader may
see), and the last run's "not enough history" note for the reader's subtree."""

from __future__ import annotations

import datetime as dt

from django.db.models import QuerySet
from django.utils import timezone

from cases.models import Problem
from complaints.models import Complaint
from portal.accounts.capabilities import Cap
from portal.accounts.scoping import get_visible_or_404, subtree_q
from portal.regions.models import Region, Unit
from supervision.warning_models import MonitoringRun, MonitoringWarning


def warnings_visible_to(user, *, kind: str = "", status: str = "", source: str = "") -> QuerySet[MonitoringWarning]:
    qs = MonitoringWarning.objects.visible_to(user, Cap.VIEW_RECORDS)
    if kind in MonitoringWarning.Kind.values:
        qs = qs.filter(kind=kind)
    if status == "pending":
        qs = qs.filter(status__in=[MonitoringWarning.Status.OPEN, MonitoringWarning.Status.ACKNOWLEDGED])
    elif status in MonitoringWarning.Status.values:
        qs = qs.filter(status=status)
    if source in MonitoringWarning.Source.values:
        qs = qs.filter(source=source)
    return qs.select_related("unit", "region", "category").order_by("-window_end", "-strong", "-id")


def warning_for_detail(user, pk: int) -> MonitoringWarning:
    qs = MonitoringWarning.objects.select_related("unit", "region", "category", "handled_by")
    return get_visible_or_404(qs, user, Cap.VIEW_RECORDS, pk=pk)


def window_range(warning: MonitoringWarning) -> tuple[dt.datetime, dt.datetime]:
    tz = timezone.get_current_timezone()
    first = warning.window_end - dt.timedelta(days=warning.window_days - 1)
    return (
        dt.datetime.combine(first, dt.time.min, tz),
        dt.datetime.combine(warning.window_end + dt.timedelta(days=1), dt.time.min, tz),
    )


def warning_records(user, warning: MonitoringWarning) -> QuerySet:
    """The complaints or problems counted in the warning's current window, as the reader may see
    them (their own scoping: a county reader of a city series sees its own county's records)."""
    start, end = window_range(warning)
    if warning.source == MonitoringWarning.Source.COMPLAINT:
        qs = Complaint.objects.visible_to(user, Cap.VIEW_RECORDS).filter(
            received_at__gte=start, received_at__lt=end, duplicate_of__isnull=True
        )
        region_field, order = "handling_region", ("-received_at", "-id")
    else:
        qs = Problem.objects.visible_to(user, Cap.VIEW_RECORDS).filter(created_at__gte=start, created_at__lt=end)
        region_field, order = "region", ("-created_at", "-id")
    if warning.unit_id:
        qs = qs.filter(unit_id=warning.unit_id)
    else:
        qs = qs.filter(**{f"{region_field}__path__startswith": warning.region.path})
    qs = qs.filter(category_id=warning.category_id) if warning.category_id else qs.filter(category__isnull=True)
    return qs.order_by(*order)


def last_run() -> MonitoringRun | None:
    return MonitoringRun.objects.order_by("-day").first()


def units_without_history(user, run: MonitoringRun | None, limit: int = 20) -> list[Unit]:
    """Units in the reader's subtree that had records in the last run's window but too little
    history to be judged (a new unit): named on the page so nobody reads silence as safety."""
    if run is None or not run.no_history_units:
        return []
    return list(
        Unit.objects.filter(subtree_q(user, "region"), pk__in=run.no_history_units[:200])
        .select_related("region")
        .order_by("region_id", "name")[:limit]
    )


def region_of(code: str) -> Region | None:
    return Region.objects.filter(code=code).first()
