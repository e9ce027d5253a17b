"""What the dashboards count of listed supervision (the ``supervision`` figure set of
``portal.dashboards.registry``): every figure defined once, as database aggregates over the
ledger items, by the item's region and responsible unit (as items are scoped).

- **listed** (在办): items not delisted; **overdue**: of those, the deadline before today, exactly
  as the ledger's ``overdue=yes`` says;
- **delisted** (12m): items delisted (摘牌) in the twelve months' window, and **delisted on time**:
  those of them delisted on or before their deadline (Asia/Shanghai date);
- **average working days to delist**: the working days from listing to delisting (fixed by the
  calendar when delisted, ``delist_working_days``) averaged over the items delisted in the window.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, F, Q, Sum, Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from portal.dashboards.period import Period
from portal.dashboards.registry import DrillList, FigureSet, NamedFigure, PlaceColumn, Section, register
from portal.dashboards.selectors import Kpi, Num, rate
from supervision.activities import ACTIVITY_FILTERS, quarter_of
from supervision.models import Activity, InspectionFigure, SupervisionFigure, SupervisionItem
from supervision.selectors import FILTERS

OPEN = ~Q(status=SupervisionItem.Status.DELISTED)


def supervision_measures(period: Period) -> dict:
    delisted = Q(status=SupervisionItem.Status.DELISTED, delisted_at__gte=Period.aware(period.window_start))
    return {
        "open": Count("id", filter=OPEN),
        "overdue": Count("id", filter=OPEN & Q(deadline__lt=period.today)),
        "delisted": Count("id", filter=delisted),
        "delisted_on_time": Count("id", filter=delisted & Q(delisted_at__date__lte=F("deadline"))),
        "delist_days": Coalesce(Sum("delist_working_days", filter=delisted), 0),
    }


def _average(t) -> float | None:
    return t["delist_days"] / t["delisted"] if t["delisted"] else None


@register
class SupervisionFigures(FigureSet):
    key = "supervision"
    order = 30
    model = SupervisionFigure
    place_fields = ("open", "overdue", "delisted", "delisted_on_time")
    lists = (
        DrillList(
            "supervision",
            "supervision:index",
            lambda: frozenset({*FILTERS, "unit"}),
            lambda: SupervisionItem,
        ),
    )
    named = (
        NamedFigure(
            "supervision.delisted_on_time_rate",
            gettext_lazy("挂牌督办按期摘牌率"),
            "rate",
            lambda t: (
                (t["supervision"]["delisted_on_time"] / t["supervision"]["delisted"])
                if t["supervision"]["delisted"]
                else None
            ),
        ),
    )
    place_columns = (PlaceColumn("sup_overdue", gettext_lazy("督办逾期"), alarm=True),)

    def refresh(self, table, period: Period, facts: dict) -> None:
        place = {"region_id": F("region_id"), "unit_id": F("unit_id")}
        table.insert("all", SupervisionItem.objects.filter(unit__isnull=False), place, supervision_measures(period))

    def contribute(self, board, rows) -> None:
        t, period = board.totals[self.key], board.period

        def link(**params) -> str:
            return board.links.to("supervision", **params)

        average = _average(t)
        board.sections.append(
            Section(
                "supervision",
                _("挂牌督办"),
                _("按督办事项所属区划和责任单位统计"),
                [
                    Kpi(_("挂牌在办"), Num(t["open"], link(status="open")), _("未摘牌")),
                    Kpi(_("督办逾期"), Num(t["overdue"], link(overdue="yes")), _("超过整改期限"), tone="danger"),
                    Kpi(
                        _("摘牌"),
                        Num(t["delisted"], link(status="delisted", delisted_from=period.window_start)),
                        _("近12个月"),
                    ),
                    Kpi(
                        _("按期摘牌"),
                        Num(
                            t["delisted_on_time"],
                            link(status="delisted", delisted_from=period.window_start, on_time="yes"),
                        ),
                        _("按期摘牌率 %(rate)s") % {"rate": rate(t["delisted_on_time"], t["delisted"])},
                    ),
                    Kpi(
                        _("平均摘牌用时"),
                        Num(average, kind="ratio"),
                        _("工作日，近12个月摘牌的事项"),
                    ),
                ],
            )
        )
        board.definitions.append(
            (
                _("挂牌督办"),
                _(
                    "在办：未摘牌的督办事项；逾期：在办且整改期限早于今天；摘牌：近12个月摘牌；按期摘牌：摘牌日期不晚于"
                    "整改期限；平均摘牌用时：挂牌至摘牌的工作日数的平均值。"
                ),
            )
        )

    def place_nums(self, board, place, figures, link):
        return {"sup_overdue": Num(figures["overdue"], link("supervision", overdue="yes"))}


# --- cross-region supervision of the quarter (异地执法监督, §7): by the organiser's region ------


def inspection_measures() -> dict:
    """The four counts over a queryset of activities (distinct: one activity's targets and
    findings join as many rows as they are)."""
    return {
        "activities_held": Count("id", distinct=True),
        "targets_visited": Count("targets", filter=Q(targets__visited=True), distinct=True),
        "findings": Count("findings", distinct=True),
        "problems_raised": Count("findings", filter=Q(findings__problem__isnull=False), distinct=True),
    }


@register
class InspectionFigures(FigureSet):
    """Per city and the province: activities held this quarter, targets visited, findings and
    problems raised (issue 17 §6). A region's row sums the activities organised in its subtree
    (a city's: its own; the province's: every one); ``activities_held`` links to the activity
    list with the same filters (region, year, quarter, held=yes)."""

    key = "inspection"
    order = 35
    model = InspectionFigure
    place_fields = ("activities_held", "targets_visited", "findings", "problems_raised")
    lists = (
        DrillList(
            "supervision_activities",
            "supervision:activities",
            lambda: ACTIVITY_FILTERS,
            lambda: Activity,
        ),
    )
    place_columns = (PlaceColumn("insp_held", gettext_lazy("本季度异地监督")),)

    def facts(self) -> dict:
        return {}

    def refresh(self, table, period: Period, facts: dict) -> None:
        from portal.accounts.scoping import PROVINCE_CODE
        from supervision.activities import held_q

        held = Activity.objects.filter(held_q(*quarter_of(period.today), period.today))
        # the organiser's own row, and the province's row of the cities' activities (organisers
        # are the province and the cities only): a region's row sums its subtree's activities
        table.insert("all", held, {"region_id": F("region_id")}, inspection_measures())
        table.insert(
            "all", held.exclude(region_id=PROVINCE_CODE), {"region_id": Value(PROVINCE_CODE)}, inspection_measures()
        )

    def _params(self, period) -> dict:
        year, quarter = quarter_of(period.today)
        return {"year": year, "quarter": quarter, "held": "yes"}

    def contribute(self, board, rows) -> None:
        t, period = board.totals[self.key], board.period
        year, quarter = quarter_of(period.today)
        held = board.links.to("supervision_activities", **self._params(period))
        board.sections.append(
            Section(
                "inspection",
                _("异地执法监督（%(year)s年第%(q)s季度）") % {"year": year, "q": quarter},
                _("按组织机关区划统计本季度已开展的活动"),
                [
                    Kpi(_("已开展活动"), Num(t["activities_held"], held), _("每季度至少一次")),
                    Kpi(_("已检查对象"), Num(t["targets_visited"])),
                    Kpi(_("检查发现"), Num(t["findings"])),
                    Kpi(_("立为问题"), Num(t["problems_raised"]), _("转入问题清单")),
                ],
            )
        )
        board.definitions.append(
            (
                _("异地执法监督"),
                _(
                    "已开展活动：本季度的异地执法监督活动中现场检查已开始的；已检查对象、检查发现、立为问题：这些活动"
                    "已登记检查记录的对象、登记的检查发现及其中已立为问题清单问题的。按组织机关（省厅、市局）所在区划"
                    "统计，上级区划含下级组织的活动。"
                ),
            )
        )

    def place_nums(self, board, place, figures, link):
        return {
            "insp_held": Num(figures["activities_held"], link("supervision_activities", **self._params(board.period)))
        }


# --- units with the most problems (问题密度): one figure, used by activities and candidates -------


def two_quarters_start(today) -> dt.date:
    """The first day of the quarter before today's (the last two quarters, this one included)."""
    q = (today.month - 1) // 3
    year, q = (today.year, q - 1) if q > 0 else (today.year - 1, 3)
    return dt.date(year, q * 3 + 1, 1)


def units_with_most_problems(user, *, today=None, limit: int = 20, units=None) -> list[dict]:
    """**Units with the most problems** (problem density), the one definition: per responsible
    unit in the reader's scope, over the last two quarters (``two_quarters_start``: from the
    first day of the previous quarter to today, Asia/Shanghai):

    - ``open``: problems found in the window and still open;
    - ``complaints``: complaints received in the window against the unit (duplicates excluded);
    - ``overdue``: of the open problems, those past their deadline (as ``overdue=yes`` says);
    - ``score`` = open + complaints + overdue (an overdue problem weighs twice).

    Ordered by score, then overdue, then unit id; ``limit`` rows (None: all). Two grouped
    queries over indexes, never a query per unit. ``units``: limit to these unit ids."""
    from django.utils import timezone

    from cases.models import Problem
    from complaints.models import Complaint
    from portal.regions.models import Unit

    today = today or timezone.localdate()
    start = two_quarters_start(today)
    since = dt.datetime.combine(start, dt.time.min, timezone.get_current_timezone())
    problems = Problem.objects.visible_to(user).filter(
        status__in=Problem.OPEN_STATES, found_on__gte=start, unit__isnull=False
    )
    complaints = Complaint.objects.visible_to(user).filter(
        received_at__gte=since, unit__isnull=False, duplicate_of__isnull=True
    )
    if units is not None:
        problems, complaints = problems.filter(unit_id__in=units), complaints.filter(unit_id__in=units)
    rows: dict[int, dict] = {}
    for unit_id, n_open, n_overdue in (
        problems.values_list("unit_id")
        .annotate(n=Count("id"), od=Count("id", filter=Q(deadline__lt=today)))
        .order_by()
        .values_list("unit_id", "n", "od")
    ):
        rows[unit_id] = {"unit_id": unit_id, "open": n_open, "overdue": n_overdue, "complaints": 0}
    for unit_id, n in complaints.values_list("unit_id").annotate(n=Count("id")).order_by().values_list("unit_id", "n"):
        rows.setdefault(unit_id, {"unit_id": unit_id, "open": 0, "overdue": 0, "complaints": 0})["complaints"] = n
    for row in rows.values():
        row["score"] = row["open"] + row["complaints"] + row["overdue"]
    ranked = sorted(rows.values(), key=lambda r: (-r["score"], -r["overdue"], r["unit_id"]))
    ranked = ranked[:limit] if limit else ranked
    names = {
        u.pk: u
        for u in Unit.objects.filter(pk__in=[r["unit_id"] for r in ranked])
        .select_related("region")
        .only("name", "region__name", "region__path", "region_id")
    }
    for row in ranked:
        unit = names.get(row["unit_id"])
        row["unit"] = unit
        row["unit_name"] = unit.name if unit else ""
        row["region_id"] = unit.region_id if unit else None
        row["region_name"] = unit.region.name if unit else ""
    return ranked


from supervision import risk_figures  # noqa: E402,F401 - incidents: the strip and their share of the three zeros
