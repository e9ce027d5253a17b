"""The monthly complaint and public-opinion analysis (投诉举报和负面舆情汇总分析, issue 18 §7),
for the reader's level (their subtree): volume by channel, category, unit and region, the most
repeated items, time-limit performance, and the monitoring warnings raised in the month with
the interventions recorded on them.

The complaint figures are the complaint statistics' own (``complaints.selectors.
complaint_statistics``, the figures of the complaint statistics page), whose counts are the
dashboards' definitions (``complaints.figures.complaint_window_measures`` and the red light), for
the month; channel, region and repeated items are grouped here over the same scoped
queryset; problems raised from 舆情 and 媒体曝光 in the month are counted by unit (scoped).
The .docx is ``supervision.documents.MonthlyAnalysis`` through ``portal.documents``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count
from django.utils import timezone

from cases.models import Problem
from complaints.models import Channel
from complaints.selectors import complaint_statistics, complaints_visible_to
from portal.accounts.capabilities import Cap
from supervision.warning_models import MonitoringWarning

TOP = 10


@dataclass
class MonthlyAnalysis:
    month: dt.date  # the first day
    region_code: str
    region_name: str
    totals: dict
    by_channel: list
    by_category: list
    by_unit: list
    by_region: list
    repeated: list
    warnings_by_kind: list
    interventions: list
    opinion_problems: list  # problems raised from 舆情 / 媒体曝光 in the month, by unit

    @property
    def pk(self) -> str:
        return f"{self.month:%Y-%m}:{self.region_code}"

    @property
    def label(self) -> str:
        return f"{self.month.year}年{self.month.month}月"

    @property
    def on_time_rate(self) -> str:
        closed = self.totals.get("closed") or 0
        return f"{100 * (self.totals.get('closed_on_time') or 0) / closed:.1f}%" if closed else "—"


def parse_month(value: str | None) -> dt.date:
    """``YYYY-MM`` → its first day; missing or malformed: the last full month."""
    try:
        year, month = (int(x) for x in (value or "").split("-"))
        return dt.date(year, month, 1)
    except (TypeError, ValueError):
        first = timezone.localdate().replace(day=1)
        return (first - dt.timedelta(days=1)).replace(day=1)


def month_end(first: dt.date) -> dt.date:
    return (first.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)


def monthly_analysis(user, month: dt.date) -> MonthlyAnalysis:
    last = month_end(month)
    stats = complaint_statistics(user, date_from=month, date_to=last)
    tz = timezone.get_current_timezone()
    qs = complaints_visible_to(user).filter(
        received_at__gte=dt.datetime.combine(month, dt.time.min, tz),
        received_at__lt=dt.datetime.combine(last + dt.timedelta(days=1), dt.time.min, tz),
    )
    channels = dict(Channel.choices)
    by_channel = [
        {"name": channels.get(row["channel"], row["channel"]), "total": row["n"]}
        for row in qs.values("channel").annotate(n=Count("id")).order_by("-n", "channel")
    ]
    by_region = list(
        qs.values("handling_region__name").annotate(total=Count("id")).order_by("-total", "handling_region__name")[:TOP]
    )
    repeated = list(
        qs.filter(duplicate_of__isnull=False)
        .values("duplicate_of__tracking_number", "duplicate_of__subject")
        .annotate(n=Count("id"))
        .order_by("-n", "duplicate_of__tracking_number")[:TOP]
    )
    warnings = MonitoringWarning.objects.visible_to(user, Cap.VIEW_RECORDS).filter(
        window_end__gte=month, window_end__lte=last
    )
    kinds = dict(MonitoringWarning.Kind.choices)
    statuses = dict(MonitoringWarning.Status.choices)
    by_kind = [
        {"name": kinds[row["kind"]], "status": statuses[row["status"]], "n": row["n"]}
        for row in warnings.values("kind", "status").annotate(n=Count("id")).order_by("kind", "status")
    ]
    interventions = list(
        warnings.filter(status=MonitoringWarning.Status.INTERVENED)
        .select_related("unit", "region", "category")
        .order_by("-window_end", "-id")[:50]
    )
    opinion = (
        Problem.objects.visible_to(user, Cap.VIEW_RECORDS)
        .filter(
            source__in=[Problem.Source.PUBLIC_OPINION, Problem.Source.MEDIA],
            created_at__gte=dt.datetime.combine(month, dt.time.min, tz),
            created_at__lt=dt.datetime.combine(last + dt.timedelta(days=1), dt.time.min, tz),
        )
        .values("unit__name", "unit__region__name")
        .annotate(total=Count("id"))
        .order_by("-total", "unit__name")[:TOP]
    )
    return MonthlyAnalysis(
        month=month,
        region_code=user.region_id,
        region_name=user.region.name if user.region_id else "",
        totals=stats["totals"],
        by_channel=by_channel,
        by_category=stats["by_category"][:TOP],
        by_unit=stats["by_unit"][:TOP],
        by_region=by_region,
        repeated=repeated,
        warnings_by_kind=by_kind,
        interventions=interventions,
        opinion_problems=list(opinion),
    )
