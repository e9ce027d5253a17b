"""What the dashboards count of service-oriented enforcement (the ``service`` figure set of
``portal.dashboards.registry``), each figure defined once here and linked to the list that
shows the same rows:

- **enterprises** (在册企业): active enterprises of the region's subtree; **unassigned**: of
  those, the ones no leader is assigned to (the enterprise list with ``unassigned=yes``);
- **months below** (驻点不足): leaders' closed months (``StationMonth``) with fewer than 2
  station days in the twelve months' window, by the leader's region (the month list with
  ``below=yes&month_from=``);
- **stations** (基层站所): active units of kind station; the light registers in use by kind
  (the record list with ``kind=…&status=in_use``; the open days and experience weeks, one
  figure, repeat ``kind``: ``kind=open_day&kind=experience``); party branches and demonstration sites are
  one per station, so their count over the stations is the coverage.

Rows are subtree rows only (no unit rows): each record adds to its region's row, its city's
and the province's, as ``supervision.figures.InspectionFigures`` does."""

from __future__ import annotations

from django.db.models import Count, Exists, F, OuterRef, Q, Value
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from portal.accounts.capabilities import Cap
from portal.accounts.scoping import PROVINCE_CODE
from portal.dashboards.period import Period
from portal.dashboards.registry import DrillList, FigureSet, NamedFigure, PlaceColumn, Section, register
from portal.dashboards.selectors import Kpi, Num, rate
from portal.regions.models import Region, Unit
from service.models import Assignment, Enterprise, ServiceFigure, ServiceRecord, StationMonth
from service.selectors import ENTERPRISE_FILTERS, MONTH_FILTERS, RECORD_FILTERS

IN_USE = ServiceRecord.Status.IN_USE
# figure column -> record kinds counted in it
RECORD_COLUMNS = {
    "rest_rooms": ("rest_room",),
    "open_days": ("open_day", "experience"),
    "service_points": ("service_point",),
    "case_talks": ("case_talk",),
    "party_branches": ("party_branch",),
    "demo_sites": ("demo_site",),
}


def _unassigned() -> Q:
    return ~Q(Exists(Assignment.objects.filter(enterprise=OuterRef("pk"))))


def _insert_subtree(table, queryset, measures: dict, field: str = "region") -> None:
    """The records' own region's row, their city's (for records of a county) and the province's."""
    table.insert("all", queryset, {"region_id": F(f"{field}_id")}, measures)
    table.insert(
        "all",
        queryset.filter(**{f"{field}__level__in": [Region.Level.COUNTY, Region.Level.ZONE]}),
        {"region_id": F(f"{field}__parent_id")},
        measures,
    )
    table.insert(
        "all",
        queryset.exclude(**{f"{field}__level": Region.Level.PROVINCE}).exclude(
            **{f"{field}__parent_id": PROVINCE_CODE, f"{field}__level__in": [Region.Level.COUNTY, Region.Level.ZONE]}
        ),
        {"region_id": Value(PROVINCE_CODE)},
        measures,
    )


def record_measures() -> dict:
    return {column: Count("id", filter=Q(kind__in=kinds, status=IN_USE)) for column, kinds in RECORD_COLUMNS.items()}


@register
class ServiceFigures(FigureSet):
    key = "service"
    order = 60
    model = ServiceFigure
    place_fields = ("enterprises", "unassigned", "months_below", "stations", "party_branches", "demo_sites")
    lists = (
        DrillList("service_enterprises", "service:index", lambda: ENTERPRISE_FILTERS, lambda: Enterprise),
        DrillList("service_months", "service:months", lambda: MONTH_FILTERS, lambda: StationMonth),
        DrillList("service_records", "service:records", lambda: RECORD_FILTERS, lambda: ServiceRecord),
    )
    named = (
        NamedFigure(
            "service.station_months_below",
            gettext_lazy("领导驻点不足2天的月份数"),
            "count",
            lambda t: t["service"]["months_below"],
        ),
    )
    place_columns = (
        PlaceColumn("svc_unassigned", gettext_lazy("未分配联系领导的企业"), alarm=True),
        PlaceColumn("svc_below", gettext_lazy("驻点不足2天（月）"), alarm=True),
    )

    def refresh(self, table, period: Period, facts: dict) -> None:
        active = Enterprise.objects.filter(active=True)
        _insert_subtree(table, active, {"enterprises": Count("id"), "unassigned": Count("id", filter=_unassigned())})
        below = StationMonth.objects.filter(below=True, month__gte=period.window_start)
        _insert_subtree(table, below, {"months_below": Count("id")})
        stations = Unit.objects.filter(kind=Unit.Kind.STATION, active=True)
        _insert_subtree(table, stations, {"stations": Count("id")})
        _insert_subtree(table, ServiceRecord.objects.all(), record_measures())

    def contribute(self, board, rows) -> None:
        t, period = board.totals[self.key], board.period

        def link(key, **params) -> str:
            return board.links.to(key, **params)

        def records(column) -> str:
            kinds = RECORD_COLUMNS[column]
            return link("service_records", kind=list(kinds) if len(kinds) > 1 else kinds[0], status=IN_USE)

        board.sections.append(
            Section(
                "service",
                _("执法为民"),
                _("联百企驻百站、为民办实事，按所属区划统计"),
                [
                    Kpi(_("在册运输企业"), Num(t["enterprises"], link("service_enterprises"))),
                    Kpi(
                        _("未分配联系领导"),
                        Num(t["unassigned"], link("service_enterprises", unassigned="yes")),
                        _("企业"),
                        tone="danger",
                    ),
                    Kpi(
                        _("驻点不足2天"),
                        Num(t["months_below"], link("service_months", below="yes", month_from=period.window_start)),
                        _("领导·月，近12个月已结月份"),
                        tone="danger",
                    ),
                    Kpi(
                        _("党支部覆盖站所"),
                        Num(t["party_branches"], records("party_branches")),
                        _("覆盖率 %(rate)s") % {"rate": rate(t["party_branches"], t["stations"])},
                    ),
                    Kpi(_("服务型执法示范点"), Num(t["demo_sites"], records("demo_sites"))),
                    Kpi(_("司机之家"), Num(t["rest_rooms"], records("rest_rooms"))),
                    Kpi(_("开放日/体验周"), Num(t["open_days"], records("open_days"))),
                    Kpi(_("以案释法"), Num(t["case_talks"], records("case_talks"))),
                ],
            )
        )
        board.definitions.append(
            (
                _("执法为民"),
                _(
                    "在册运输企业：区划内在册的运输企业；未分配联系领导：其中没有任何领导联系的；驻点不足2天：近12个月已结"
                    "月份中，有联系站所的领导当月驻点办公少于2天的人月数（按领导所属区划）；党支部覆盖站所等：状态为已建成/"
                    "已开展的登记数，每个站所至多一条，覆盖率为其与基层站所数之比。"
                ),
            )
        )

    def place_nums(self, board, place, figures, link):
        return {
            "svc_unassigned": Num(figures["unassigned"], link("service_enterprises", unassigned="yes")),
            "svc_below": Num(
                figures["months_below"], link("service_months", below="yes", month_from=board.period.window_start)
            ),
        }


# --- the coverage page: per child region, live from the lists it links to -----------------------


def coverage_rows(user) -> list[dict]:
    """Per child region of the reader's region (the cities for the province), the counts of the
    registers, each computed from the rows its list shows (``visible_to``), with its link."""
    home = user.region
    children = list(Region.objects.divisions().filter(parent=home).order_by("code")) or [home]
    by_code = {r.code: r for r in children}

    def child_of(path: str) -> str | None:
        for code in path.split("/"):
            if code in by_code:
                return code
        return None

    counts: dict[str, dict[str, int]] = {code: {} for code in by_code}

    def fold(queryset, name_measures: dict) -> None:
        for row in queryset.values("region__path").annotate(**name_measures).order_by():
            code = child_of(row["region__path"])
            if code is not None:
                for name in name_measures:
                    counts[code][name] = counts[code].get(name, 0) + row[name]

    fold(
        Enterprise.objects.visible_to(user, Cap.VIEW_RECORDS).filter(active=True),
        {"enterprises": Count("id"), "unassigned": Count("id", filter=_unassigned())},
    )
    window = Period.of().window_start
    fold(
        StationMonth.objects.visible_to(user, Cap.VIEW_RECORDS).filter(below=True, month__gte=window),
        {"months_below": Count("id")},
    )
    fold(
        Unit.objects.visible_to(user, Cap.VIEW_RECORDS).filter(kind=Unit.Kind.STATION, active=True),
        {"stations": Count("id")},
    )
    fold(ServiceRecord.objects.visible_to(user, Cap.VIEW_RECORDS), record_measures())
    enterprises, months, records = reverse("service:index"), reverse("service:months"), reverse("service:records")
    rows = []
    for code, region in by_code.items():
        c = counts[code]
        links = {
            "enterprises": f"{enterprises}?region={code}",
            "unassigned": f"{enterprises}?region={code}&unassigned=yes",
            "months_below": f"{months}?region={code}&below=yes&month_from={window.isoformat()}",
        }
        for column, kinds in RECORD_COLUMNS.items():
            links[column] = f"{records}?region={code}&{'&'.join(f'kind={k}' for k in kinds)}&status={IN_USE}"
        rows.append(
            {
                "region": region,
                "counts": {
                    k: c.get(k, 0) for k in ("enterprises", "unassigned", "months_below", "stations", *RECORD_COLUMNS)
                },
                "links": links,
                "party_rate": rate(c.get("party_branches", 0), c.get("stations", 0)),
                "demo_rate": rate(c.get("demo_sites", 0), c.get("stations", 0)),
            }
        )
    return rows
