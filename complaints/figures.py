"""What the dashboards count of complaints (the ``complaints`` figure set of
``portal.dashboards.registry``): every figure defined once, as database aggregates.

Complaints are counted by the handling region and unit, as complaints are scoped.
- received (12m) and by class (信息咨询, 投诉举报, 意见建议, 表扬, 非辖属); escalated (提级办理);
- **overdue**: the time-limit light is red (``complaints.selectors``): open past its handle-by
  deadline, or still waiting to be accepted past its accept-by date;
- **within the time limit** (限时办结率) = closed on or before the handling deadline / closed,
  over the complaints received in the window;
- **callback satisfaction** (回访满意率) = satisfied or basically satisfied / called back.

Its part of the three zeros (§ 一): **conflicts with the public** (零执法冲突) counts the
complaints (class 投诉举报) received in the window in the category class 执法粗暴; the problems
of that class raised from a complaint are left to this part (``cases/figures.py``).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter

from django.db.models import Count, F, Q
from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cases.figures import category_class, conflict_class_id, in_class
from complaints.models import Complaint, ComplaintFigure, Kind, Satisfaction
from portal.dashboards import charts
from portal.dashboards.period import Period
from portal.dashboards.registry import (
    Board,
    Card,
    DrillList,
    FigureSet,
    NamedFigure,
    PlaceColumn,
    Ranking,
    Section,
    ZeroPart,
    register,
)
from portal.dashboards.selectors import Kpi, Num, Place, rate


class Dim:
    """The dimensions of ``ComplaintFigure``."""

    ALL = "all"
    MONTH = "month"
    CATEGORY = "category"


CS = Complaint.Status
COMPLAINT_OPEN = Q(status__in=Complaint.OPEN_STATES)
KIND_FIELDS = {
    Kind.COMPLAINT: "complaints",
    Kind.CONSULTATION: "consultations",
    Kind.SUGGESTION: "suggestions",
    Kind.PRAISE: "praise",
    Kind.NOT_OURS: "not_ours",
}


def complaint_red(today: dt.date) -> Q:
    """The red light of ``complaints.selectors.light_expression``: overdue."""
    return COMPLAINT_OPEN & (Q(deadline__lt=today) | Q(status=CS.RECEIVED, accept_deadline__lt=today))


def complaint_window_measures(received: Q | None = None) -> dict:
    """What the complaints received in the window contribute (``received``: the window, or
    None when the rows are already limited to it)."""
    received = received or Q()
    closed = received & Q(status=CS.CLOSED)
    return {
        "received": Count("id", filter=received) if received else Count("id"),
        **{field: Count("id", filter=received & Q(kind=kind)) for kind, field in KIND_FIELDS.items()},
        "escalated": Count("id", filter=received & Q(escalated=True)),
        "closed": Count("id", filter=closed),
        "closed_on_time": Count("id", filter=closed & Q(closed_at__date__lte=F("deadline"))),
        "called_back": Count("id", filter=received & Q(callback_at__isnull=False)),
        "satisfied": Count("id", filter=received & Q(satisfaction__in=[Satisfaction.SATISFIED, Satisfaction.BASIC])),
    }


def complaint_measures(period: Period, conflict_id: int | None) -> dict:
    received = Q(received_at__gte=Period.aware(period.window_start))
    return {
        **complaint_window_measures(received),
        "open": Count("id", filter=COMPLAINT_OPEN),
        "overdue": Count("id", filter=complaint_red(period.today)),
        "conflict": Count("id", filter=received & Q(kind=Kind.COMPLAINT) & in_class(conflict_id)),
    }


def _complaint_filters() -> frozenset[str]:
    from complaints.selectors import FILTERS

    return frozenset(FILTERS)


def _per_unit(place: Place) -> float | None:
    return place.figures["complaints"]["complaints"] / place.units if place.units else None


@register
class ComplaintFigures(FigureSet):
    key = "complaints"
    order = 20
    model = ComplaintFigure
    row_values = ("category__name", "category__sort_order")
    place_fields = ("received", "complaints", "closed", "closed_on_time", "overdue", "conflict")
    # The complaint list is always limited to the reader's subtree and has no place filter.
    lists = (DrillList("complaints", "complaints:list", _complaint_filters, lambda: Complaint, place_filtered=False),)
    named = (
        NamedFigure(
            "complaints.in_time_rate",
            gettext_lazy("限时办结率"),
            "rate",
            lambda t: (
                t["complaints"]["closed_on_time"] / t["complaints"]["closed"] if t["complaints"]["closed"] else None
            ),
        ),
        NamedFigure(
            "complaints.satisfaction_rate",
            gettext_lazy("回访满意率"),
            "rate",
            lambda t: (
                t["complaints"]["satisfied"] / t["complaints"]["called_back"]
                if t["complaints"]["called_back"]
                else None
            ),
        ),
        NamedFigure(
            "complaints.overdue", gettext_lazy("超期未办结诉求"), "count", lambda t: t["complaints"]["overdue"]
        ),
    )
    place_columns = (
        PlaceColumn("complaints", gettext_lazy("投诉举报")),
        PlaceColumn("units", gettext_lazy("单位数")),
        PlaceColumn("per_unit", gettext_lazy("件/单位")),
        PlaceColumn("in_time", gettext_lazy("限时办结率")),
    )
    rankings = (
        Ranking(
            gettext_lazy("每单位投诉举报最多"),
            gettext_lazy("件/单位"),
            "per_unit",
            lambda p: (-_per_unit(p), p.key) if p.units else None,
            order=20,
        ),
    )

    def facts(self) -> dict:
        return {"conflict_class": conflict_class_id()}

    def refresh(self, table, period: Period, facts: dict) -> None:
        from portal.dashboards.services import month_of

        complaints = Complaint.objects.all()
        place = {"region_id": F("handling_region_id"), "unit_id": F("handling_unit_id")}
        table.insert(Dim.ALL, complaints, place, complaint_measures(period, facts["conflict_class"]))
        window = complaints.filter(received_at__gte=Period.aware(period.window_start))
        measures = complaint_window_measures()
        table.insert(Dim.CATEGORY, window, {**place, "category_id": category_class()}, measures)
        table.insert(Dim.MONTH, window, {**place, "month": month_of("received_at")}, measures)

    def contribute(self, board: Board, rows: dict) -> None:
        c, period = board.totals[self.key], board.period
        ws = period.window_start

        def link(**params) -> str:
            return board.links.to("complaints", **params)

        last_12 = _("近12个月")
        board.sections.append(
            Section(
                "complaints",
                _("投诉举报（12328）"),
                _("按承办单位统计"),
                [
                    Kpi(_("受理诉求"), Num(c["received"], link(date_from=ws)), last_12),
                    Kpi(_("投诉举报"), Num(c["complaints"], link(kind=Kind.COMPLAINT, date_from=ws)), last_12),
                    Kpi(_("提级办理"), Num(c["escalated"], link(escalated="1", date_from=ws)), last_12),
                    Kpi(_("超期未办结"), Num(c["overdue"], link(light="red")), _("红灯"), tone="danger"),
                    Kpi(
                        _("限时办结率"),
                        rate(c["closed_on_time"], c["closed"]),
                        _("已办结 %(closed)s 件") % {"closed": f"{c['closed']:,}"},
                    ),
                    Kpi(
                        _("回访满意率"),
                        rate(c["satisfied"], c["called_back"]),
                        _("已回访 %(n)s 件") % {"n": f"{c['called_back']:,}"},
                    ),
                ],
            )
        )
        months = _months(period, rows[Dim.MONTH], link)
        categories = _categories(rows[Dim.CATEGORY], period, link)
        board.cards += [
            Card("complaints-trend", "complaints/dashboard/_trend.html", "trend", {"months": months}, order=20),
            Card(
                "complaints-categories", "complaints/dashboard/_categories.html", "detail", {"rows": categories}, 7, 30
            ),
        ]
        if board.scope.unit is None:  # a unit's dashboard has no places
            board.cards.append(
                Card("complaints-places", "complaints/dashboard/_places_chart.html", "places", {}, 5, 20)
            )
        board.zero_parts += self.zero_parts_of(board, c, board.links.to)
        labels = [m["label"] for m in months]
        board.charts.update(
            {
                "chart-trend-complaints": {
                    "option": charts.bars(
                        labels,
                        [
                            (_("受理诉求"), [m["received"].value for m in months], charts.BLUE),
                            (_("其中投诉举报"), [m["complaints"].value for m in months], charts.RED),
                        ],
                        line=(_("回访满意率"), [m["satisfaction"].percent for m in months], charts.GREEN),
                    )
                },
                "chart-complaint-categories": {
                    "option": charts.bars(
                        [row["name"] for row in categories],
                        [
                            (_("投诉举报"), [row["complaints"].value for row in categories], charts.RED),
                            (
                                _("其他诉求"),
                                [row["received"].value - row["complaints"].value for row in categories],
                                charts.BLUE,
                            ),
                        ],
                        horizontal=True,
                        stack=True,
                    )
                },
            }
        )
        board.definitions += [
            (_("超期未办结"), _("红灯诉求：超过办理期限仍未答复，或超过受理期限仍未受理。")),
            (
                _("限时办结率、回访满意率"),
                _("近12个月受理的诉求中：在办理期限内办结的占已办结的比例；满意和基本满意的占已回访的比例。"),
            ),
        ]

    def zero_parts_of(self, board: Board, figures: Counter, link) -> list[ZeroPart]:
        conflict_class = board.facts.get(self.key, {}).get("conflict_class")
        url = (
            link("complaints", kind=Kind.COMPLAINT, category=conflict_class, date_from=board.period.window_start)
            if link
            else ""
        )
        return [
            ZeroPart(
                "conflict",
                figures["conflict"],
                url,
                hint=_("同类投诉举报"),
                definition=_("同类的投诉举报件数"),
            )
        ]

    def place_nums(self, board: Board, place: Place, figures: Counter, link) -> dict:
        return {
            "complaints": Num(figures["complaints"]),
            "per_unit": Num(_per_unit(place), kind="ratio"),
            "in_time": rate(figures["closed_on_time"], figures["closed"]),
        }

    def place_charts(self, board: Board, places: list[Place]) -> dict:
        ranked = sorted(places, key=lambda p: -(p.nums["per_unit"].value or 0))
        return {
            "chart-places-complaints": {
                "option": charts.bars(
                    [p.name for p in ranked],
                    [
                        (
                            _("每单位投诉举报（件）"),
                            [charts.round1(p.nums["per_unit"].value) for p in ranked],
                            charts.PURPLE,
                        )
                    ],
                ),
                "urls": [p.url for p in ranked],
            }
        }


def _months(period: Period, rows, link) -> list[dict]:
    by_month = {row["month"]: row for row in rows}
    empty = Counter()
    months = []
    for first in period.months():
        last = Period.month_end(first)
        c = by_month.get(first, empty)
        months.append(
            {
                "month": first,
                "label": formats.date_format(first, "Y-m"),
                "received": Num(c.get("received", 0), link(date_from=first, date_to=last)),
                "complaints": Num(c.get("complaints", 0), link(kind=Kind.COMPLAINT, date_from=first, date_to=last)),
                "satisfaction": rate(c.get("satisfied", 0), c.get("called_back", 0)),
            }
        )
    return months


def _categories(rows, period: Period, link) -> list[dict]:
    ws = period.window_start
    result = []
    for row in rows:
        key = row["category_id"]
        result.append(
            {
                "name": row["category__name"] or _("未分类"),
                "order": row["category__sort_order"] if key is not None else 10_000,
                "received": Num(row["received"], link(category=key, date_from=ws) if key else ""),
                "complaints": Num(
                    row["complaints"], link(category=key, kind=Kind.COMPLAINT, date_from=ws) if key else ""
                ),
                "escalated": Num(row["escalated"], link(category=key, escalated="1", date_from=ws) if key else ""),
                "in_time": rate(row["closed_on_time"], row["closed"]),
            }
        )
    result.sort(key=lambda r: (-r["received"].value, r["order"]))
    return result
