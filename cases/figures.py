"""What the dashboards count of problems and accountability: every figure defined once, as
database aggregates (the ``problems`` figure set of ``portal.dashboards.registry``).

The summary table (``ProblemFigure``) is filled with these aggregates grouped by region,
unit and dimension (``ProblemFigures.refresh``); the tests and the benchmark compute the same
aggregates straight from the records to prove the table right.

Days and periods (``portal.dashboards.period.Period``)
- *today*: the day of the refresh (Asia/Shanghai). A problem is **overdue** when it is open
  (registered, assigned, rectifying or submitted for verification) and its deadline is before
  today, exactly as ``Problem.objects.overdue()`` and the problem list's ``overdue=yes`` say.
- *the window*: the twelve calendar months ending with the current one. Figures marked (12m)
  count only records of the window.

Problems (by the problem's region and responsible unit)
- open, overdue, by state; key problems open and overdue;
- found (12m): problems found (``found_on``) in the window;
- closed (12m) and **closed on time** (12m): problems closed (销号) in the window, and those of
  them closed on or before their deadline; **on-time rectification rate** = on time / closed;
- closed this month: problems closed since the first day of today's month.
- **closed without a verification record**: problems closed (any time) with no passed
  verification that records how it was verified (method and date) — closings from before
  verifications were recorded, or made under rules tuned to ask for none (§6: rectification
  really done). Named ``problems.closed_unverified``; the list's ``unverified=yes``.

Accountability (追责问责, by the problem's region and the unit of the person): person-times
decided (``decided_on``) in the window, by measure.

This set's parts of the three zeros of the policy's goals (§ 一), over the window:
- **duty crimes** (零职务犯罪): accountability records with the measure 党纪政务处分, or marked
  serious or egregious (情节严重或恶劣);
- **conflicts with the public** (零执法冲突): problems in the class 执法粗暴 (rough enforcement)
  found through any channel but a complaint (a complaint that became a problem is counted
  once, as the complaint, by ``complaints/figures.py``);
- **negative public opinion** (零负面舆情): problems found through the 舆情 (public opinion) or
  媒体曝光 (media) channels.
"""

from __future__ import annotations

from collections import Counter

from django.db.models import Count, Exists, F, OuterRef, Q
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cases.enforcement import clue_figures  # noqa: F401 - registers the clue set (issue 19)
from cases.enforcement import figures as enforcement_figures  # noqa: F401 - registers the enforcement set
from cases.models import Accountability, Category, Problem, ProblemFigure, Verification
from portal.accounts.capabilities import Cap, has_cap
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
    """The dimensions of ``ProblemFigure``."""

    ALL = "all"
    MONTH = "month"
    CATEGORY = "category"
    DOMAIN = "domain"
    MEASURE = "measure"


CONFLICT_CLASS = "cubao"  # 执法粗暴, the campaign's class of rough enforcement
OPINION_SOURCES = (Problem.Source.PUBLIC_OPINION, Problem.Source.MEDIA)
# Conflict problems raised from a complaint are counted as that complaint.
CONFLICT_PROBLEM_SOURCES = tuple(s for s in Problem.Source.values if s != Problem.Source.COMPLAINT)
DUTY_CRIME = Q(measure=Accountability.Measure.DISCIPLINE) | Q(serious=True)

PS = Problem.Status
PROBLEM_OPEN = Q(status__in=Problem.OPEN_STATES)


def conflict_class_id() -> int | None:
    return Category.objects.filter(code=CONFLICT_CLASS).values_list("pk", flat=True).first()


def in_class(class_id: int | None) -> Q:
    """Records whose category is the class or one of its items (the lists' category filter)."""
    if class_id is None:
        return Q(pk__in=[])
    return Q(category_id=class_id) | Q(category__parent_id=class_id)


def category_class():
    """A record's category class: its category's parent, or the category when it has none."""
    return Coalesce("category__parent_id", "category_id")


def problem_state_measures(period: Period) -> dict:
    """Current state of the problems: counts by state, open, overdue, key problems."""
    overdue = PROBLEM_OPEN & Q(deadline__lt=period.today)
    return {
        "total": Count("id"),
        "registered": Count("id", filter=Q(status=PS.REGISTERED)),
        "assigned": Count("id", filter=Q(status=PS.ASSIGNED)),
        "rectifying": Count("id", filter=Q(status=PS.RECTIFYING)),
        "submitted": Count("id", filter=Q(status=PS.SUBMITTED)),
        "open": Count("id", filter=PROBLEM_OPEN),
        "overdue": Count("id", filter=overdue),
        "key_open": Count("id", filter=PROBLEM_OPEN & Q(is_key=True)),
        "key_overdue": Count("id", filter=overdue & Q(is_key=True)),
    }


def problem_closed_q(since) -> Q:
    return Q(status=PS.CLOSED, closed_at__gte=Period.aware(since))


ON_TIME = Q(closed_at__date__lte=F("deadline"))


def closed_unverified_q() -> Q:
    """Closed, and no passed verification records how it was verified (method and date)."""
    recorded = Verification.objects.filter(problem=OuterRef("pk"), result=Verification.Result.PASSED).exclude(method="")
    return Q(status=PS.CLOSED) & ~Exists(recorded)


def problem_measures(period: Period, conflict_id: int | None) -> dict:
    """Everything a unit's problems contribute to the totals and the three zeros."""
    found = Q(found_on__gte=period.window_start)
    closed = problem_closed_q(period.window_start)
    return {
        **problem_state_measures(period),
        "found": Count("id", filter=found),
        "closed": Count("id", filter=closed),
        "closed_on_time": Count("id", filter=closed & ON_TIME),
        "closed_month": Count("id", filter=problem_closed_q(period.month_start)),
        "closed_unverified": Count("id", filter=closed_unverified_q()),
        "opinion": Count("id", filter=found & Q(source__in=OPINION_SOURCES)),
        "conflict": Count("id", filter=found & in_class(conflict_id) & Q(source__in=CONFLICT_PROBLEM_SOURCES)),
    }


def problem_breakdown_measures(period: Period) -> dict:
    """By category class and by domain."""
    return {
        "total": Count("id"),
        "open": Count("id", filter=PROBLEM_OPEN),
        "overdue": Count("id", filter=PROBLEM_OPEN & Q(deadline__lt=period.today)),
        "found": Count("id", filter=Q(found_on__gte=period.window_start)),
    }


def problem_found_measures() -> dict:
    """By the month found (the window's problems only)."""
    return {"found": Count("id")}


def problem_closed_measures() -> dict:
    """By the month closed (the problems closed in the window only)."""
    return {"closed": Count("id"), "closed_on_time": Count("id", filter=ON_TIME)}


def accountability_measures() -> dict:
    return {"accountable": Count("id"), "duty_crime": Count("id", filter=DUTY_CRIME)}


def _problem_filters() -> frozenset[str]:
    from cases.selectors import ProblemFilter

    return frozenset(ProblemFilter.base_filters)


MEASURE_LABELS = dict(Accountability.Measure.choices)
LAST_12 = gettext_lazy("近12个月")


@register
class ProblemFigures(FigureSet):
    key = "problems"
    order = 10
    model = ProblemFigure
    row_values = ("category__name", "category__sort_order", "domain__name", "domain__sort_order")
    # The accountability counts live in the measure rows only, so those add to the totals too.
    total_dims = (Dim.ALL, Dim.MEASURE)
    place_dims = (Dim.ALL, Dim.MEASURE)
    place_fields = ("open", "overdue", "closed", "closed_on_time", "opinion", "conflict", "duty_crime", "accountable")
    lists = (DrillList("problems", "cases:index", _problem_filters),)
    named = (
        NamedFigure(
            "problems.on_time_rate",
            gettext_lazy("按期整改率"),
            "rate",
            lambda t: t["problems"]["closed_on_time"] / t["problems"]["closed"] if t["problems"]["closed"] else None,
        ),
        NamedFigure("problems.overdue", gettext_lazy("逾期未整改问题"), "count", lambda t: t["problems"]["overdue"]),
        NamedFigure(
            "problems.key_overdue", gettext_lazy("逾期重点问题"), "count", lambda t: t["problems"]["key_overdue"]
        ),
        NamedFigure(
            "problems.closed_unverified",
            gettext_lazy("销号无核查记录的问题"),
            "count",
            lambda t: t["problems"]["closed_unverified"],
        ),
        NamedFigure(
            "accountability.duty_crime",
            gettext_lazy("职务犯罪（人次）"),
            "count",
            lambda t: t["problems"]["duty_crime"],
        ),
    )
    place_columns = (
        PlaceColumn("open", gettext_lazy("在办问题")),
        PlaceColumn("overdue", gettext_lazy("逾期"), alarm=True),
        PlaceColumn("on_time", gettext_lazy("按期整改率")),
    )
    rankings = (
        Ranking(
            gettext_lazy("逾期问题最多"),
            gettext_lazy("逾期"),
            "overdue",
            lambda p: (-p.figures["problems"]["overdue"], p.key),
            order=10,
        ),
        Ranking(
            gettext_lazy("按期整改率最低"),
            gettext_lazy("按期整改率"),
            "on_time",
            lambda p: (
                (p.figures["problems"]["closed_on_time"] / p.figures["problems"]["closed"], p.key)
                if p.figures["problems"]["closed"]
                else None
            ),
            order=30,
        ),
    )

    def facts(self) -> dict:
        return {"conflict_class": conflict_class_id()}

    def refresh(self, table, period: Period, facts: dict) -> None:
        from portal.dashboards.services import month_of

        problems = Problem.objects.all()
        place = {"region_id": F("region_id"), "unit_id": F("unit_id")}
        table.insert(Dim.ALL, problems, place, problem_measures(period, facts["conflict_class"]))
        breakdown = problem_breakdown_measures(period)
        table.insert(Dim.CATEGORY, problems, {**place, "category_id": category_class()}, breakdown)
        table.insert(Dim.DOMAIN, problems, {**place, "domain_id": F("domain_id")}, breakdown)
        # A month's row counts the problems found in it and, separately, those closed in it.
        table.insert(
            Dim.MONTH,
            problems.filter(found_on__gte=period.window_start),
            {**place, "month": month_of("found_on")},
            problem_found_measures(),
        )
        table.insert(
            Dim.MONTH,
            problems.filter(problem_closed_q(period.window_start)),
            {**place, "month": month_of("closed_at")},
            problem_closed_measures(),
        )
        table.insert(
            Dim.MEASURE,
            Accountability.objects.filter(decided_on__gte=period.window_start),
            {"region_id": F("problem__region_id"), "unit_id": F("unit_id"), "measure": F("measure")},
            accountability_measures(),
        )

    # --- the page -------------------------------------------------------------------------------

    def contribute(self, board: Board, rows: dict) -> None:
        p, period = board.totals[self.key], board.period

        def link(**params) -> str:
            return board.links.to("problems", **params)

        board.actions.append((_("逾期问题清单"), overdue_url(board.scope), "primary"))
        if has_cap(board.user, Cap.EXPORT_RECORDS):
            board.actions.append((_("导出逾期清单（Excel）"), overdue_url(board.scope, export=True), "secondary"))
        board.sections.append(
            Section(
                "problems",
                _("问题整改"),
                _("数字可点击，查看对应的问题清单"),
                [
                    Kpi(_("在办问题"), Num(p["open"], link(open="yes"))),
                    Kpi(_("逾期未整改"), Num(p["overdue"], link(overdue="yes")), tone="danger"),
                    Kpi(
                        _("本月销号"),
                        Num(p["closed_month"], link(status="closed", closed_from=period.month_start)),
                        tone="success",
                    ),
                    Kpi(
                        _("按期整改率"),
                        rate(p["closed_on_time"], p["closed"]),
                        _("近12个月销号 %(closed)s 个") % {"closed": f"{p['closed']:,}"},
                    ),
                    Kpi(
                        _("重点问题逾期"),
                        Num(p["key_overdue"], link(is_key=True, overdue="yes")),
                        _("重点问题在办 %(open)s 个") % {"open": f"{p['key_open']:,}"},
                        tone="warning",
                    ),
                    Kpi(
                        _("销号无核查记录"),
                        Num(p["closed_unverified"], link(unverified="yes")),
                        _("已销号但没有记录核查方式、日期的问题"),
                        tone="warning",
                    ),
                ],
            )
        )
        months = _months(period, rows[Dim.MONTH], link)
        categories = _breakdown(rows[Dim.CATEGORY], "category", link)
        domains = _breakdown(rows[Dim.DOMAIN], "domain", link)
        statuses = [
            (label, Num(p[status], link(status=status)))
            for status, label in Problem.Status.choices
            if status != PS.CLOSED
        ]
        accountability = _accountability(rows[Dim.MEASURE])
        board.cards += [
            Card("problems-trend", "cases/dashboard/_trend.html", "trend", {"months": months}, order=10),
            Card("problems-categories", "cases/dashboard/_categories.html", "detail", {"rows": categories}, 7, 10),
            Card(
                "problems-domains",
                "cases/dashboard/_domains.html",
                "detail",
                {"rows": domains, "statuses": statuses},
                5,
                20,
            ),
            Card(
                "accountability",
                "cases/dashboard/_accountability.html",
                "detail",
                {"rows": accountability, "total": Num(sum(row["count"].value for row in accountability))},
                5,
                40,
            ),
        ]
        if board.scope.unit is None:  # a unit's dashboard has no places
            board.cards.append(Card("problems-places", "cases/dashboard/_places_chart.html", "places", {}, 7, 10))
        board.zero_parts += self.zero_parts_of(board, p, board.links.to)
        labels = [m["label"] for m in months]
        board.charts.update(
            {
                "chart-trend-problems": {
                    "option": charts.bars(
                        labels,
                        [
                            (_("发现问题"), [m["found"].value for m in months], charts.BLUE),
                            (_("销号"), [m["closed"].value for m in months], charts.GREEN),
                        ],
                        line=(_("按期整改率"), [m["on_time"].percent for m in months], charts.AMBER),
                    )
                },
                "chart-problem-categories": {
                    "option": charts.bars(
                        [row["name"] for row in categories],
                        [
                            (_("逾期"), [row["overdue"].value for row in categories], charts.RED),
                            (
                                _("在办未逾期"),
                                [row["open"].value - row["overdue"].value for row in categories],
                                charts.BLUE,
                            ),
                        ],
                        horizontal=True,
                        stack=True,
                    )
                },
                "chart-problem-domains": {"option": charts.pie([(row["name"], row["open"].value) for row in domains])},
                "chart-accountability": {
                    "option": charts.pie([(row["name"], row["count"].value) for row in accountability])
                },
            }
        )
        board.definitions += [
            (_("逾期未整改"), _("未销号（已登记、已交办、整改中、待核查）且整改期限早于统计日的问题。")),
            (_("按期整改率"), _("近12个月销号的问题中，在整改期限当日或之前销号的比例。")),
            (
                _("销号无核查记录"),
                _("已销号、但没有一条记录了核查方式和日期的通过核查的问题（含核查记录制度实行前的销号）。"),
            ),
        ]

    def zero_parts_of(self, board: Board, figures: Counter, link) -> list[ZeroPart]:
        ws = board.period.window_start
        conflict_class = board.facts.get(self.key, {}).get("conflict_class")
        return [
            ZeroPart(
                "duty_crime",
                figures["duty_crime"],
                hint=_("党纪政务处分或情节严重的追责问责（人次）"),
                definition=_("作出的追责问责中，问责方式为党纪政务处分，或情节严重、恶劣的人次"),
            ),
            ZeroPart(
                "conflict",
                figures["conflict"],
                link("problems", category=conflict_class, found_from=ws, source=list(CONFLICT_PROBLEM_SOURCES))
                if link
                else "",
                hint=_("“执法粗暴”类问题（投诉转办的除外）"),
                definition=_("发现的“执法粗暴”类问题（由投诉转办的除外，避免重复计算）"),
            ),
            ZeroPart(
                "opinion",
                figures["opinion"],
                link("problems", found_from=ws, source=list(OPINION_SOURCES)) if link else "",
                hint=_("经舆情、媒体曝光渠道发现的问题"),
                definition=_("经“舆情”“媒体曝光”渠道发现的问题数"),
            ),
        ]

    def place_nums(self, board: Board, place: Place, figures: Counter, link) -> dict:
        return {
            "open": Num(figures["open"], link("problems", open="yes")),
            "overdue": Num(figures["overdue"], link("problems", overdue="yes")),
            "on_time": rate(figures["closed_on_time"], figures["closed"]),
        }

    def place_charts(self, board: Board, places: list[Place]) -> dict:
        ranked = sorted(places, key=lambda p: -p.figures[self.key]["overdue"])
        return {
            "region-chart": {
                "option": charts.bars(
                    [p.name for p in ranked],
                    [
                        (_("逾期"), [p.figures[self.key]["overdue"] for p in ranked], charts.RED),
                        (
                            _("在办未逾期"),
                            [p.figures[self.key]["open"] - p.figures[self.key]["overdue"] for p in ranked],
                            charts.BLUE,
                        ),
                    ],
                    line=(_("按期整改率"), [p.nums["on_time"].percent for p in ranked], charts.AMBER),
                    stack=True,
                ),
                "urls": [p.url for p in ranked],
            }
        }


def overdue_url(scope, *, export: bool = False) -> str:
    """The overdue list (or its .xlsx) of a dashboard's scope (``cases/urls_overdue.py``)."""
    suffix = "-export" if export else ""
    if scope.unit:
        return reverse(f"overdue:unit{suffix}", kwargs={"pk": scope.unit.pk})
    if scope.root:
        return reverse(f"overdue:own{suffix}")
    return reverse(f"overdue:region{suffix}", kwargs={"region_code": scope.region.code})


def _months(period: Period, rows, link) -> list[dict]:
    by_month = {row["month"]: row for row in rows}
    empty = Counter()
    months = []
    for first in period.months():
        last = Period.month_end(first)
        p = by_month.get(first, empty)
        months.append(
            {
                "month": first,
                "label": formats.date_format(first, "Y-m"),
                "found": Num(p.get("found", 0), link(found_from=first, found_to=last)),
                "closed": Num(p.get("closed", 0), link(status="closed", closed_from=first, closed_to=last)),
                "on_time": rate(p.get("closed_on_time", 0), p.get("closed", 0)),
            }
        )
    return months


def _breakdown(rows, dim: str, link) -> list[dict]:
    """Problems by category class or by domain, most open first."""
    result = []
    for row in rows:
        key = row[f"{dim}_id"]
        if key is None:
            continue
        result.append(
            {
                "name": row[f"{dim}__name"],
                "order": row[f"{dim}__sort_order"],
                "total": Num(row["total"], link(**{dim: key})),
                "open": Num(row["open"], link(**{dim: key, "open": "yes"})),
                "overdue": Num(row["overdue"], link(**{dim: key, "overdue": "yes"})),
            }
        )
    result.sort(key=lambda r: (-r["open"].value, r["order"]))
    return result


def _accountability(rows) -> list[dict]:
    result = [
        {
            "measure": row["measure"],
            "name": str(MEASURE_LABELS.get(row["measure"], row["measure"])),
            "count": Num(row["accountable"]),
            "duty_crime": Num(row["duty_crime"]),
        }
        for row in rows
        if row["accountable"]
    ]
    order = list(MEASURE_LABELS)
    result.sort(key=lambda r: order.index(r["measure"]) if r["measure"] in order else len(order))
    return result
