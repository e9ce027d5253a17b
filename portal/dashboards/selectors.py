"""Reads of the dashboards, always scoped to the reader's subtree.

A dashboard shows one *scope*: the reader's own region (their whole subtree), a region under
it, or one unit in it; another region or unit answers 404 exactly like a missing one. Its
figures are sums over the summary tables (``models``), read through ``visible_to`` like every
other read, in a fixed number of queries whatever the data size:

1. the snapshot (when the figures were computed),
2. the regions of the breadcrumb and the scope's child regions,
3. and 4. the problem and the complaint figures of the scope by dimension (totals, category
   classes, domains, months, accountability measures): its subtree row or its unit's rows,
5. and 6. the same for its places, the rankings and the three zeros by region: the child
   regions' subtree rows (and, for the province, every county's), or a county's unit rows,
7. the active units by region (complaints per unit).

A unit's dashboard has no places (5 to 7 are skipped). The overdue list reads the problems
themselves (a COUNT and a page, on the partial index of open problems by deadline).
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from dataclasses import dataclass, field

from django.db.models import Count, Q, QuerySet, Sum
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.html import escape, format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cases.models import Accountability, Problem
from complaints.models import Kind
from portal.accounts.capabilities import Cap
from portal.accounts.scoping import OutOfScope, get_visible_or_404, subtree_q
from portal.dashboards import charts
from portal.dashboards.figures import Period
from portal.dashboards.links import Links
from portal.dashboards.models import ComplaintFigure, Dim, ProblemFigure, Snapshot, figure_fields
from portal.regions.models import Region, Unit

CAP = Cap.VIEW_DASHBOARD
REGION_CODE = re.compile(r"\d{6}")
PROBLEM_FIELDS = figure_fields(ProblemFigure)
COMPLAINT_FIELDS = figure_fields(ComplaintFigure)
PLACE_PROBLEM_FIELDS = [
    *("open", "overdue", "closed", "closed_on_time"),
    *("opinion", "conflict", "duty_crime", "accountable"),
]
PLACE_COMPLAINT_FIELDS = ["received", "complaints", "closed", "closed_on_time", "overdue", "conflict"]


# (attribute of Place, figure table, dimensions summed, figures) for the places' two queries
SOURCES = (
    ("problems", ProblemFigure, (Dim.ALL, Dim.MEASURE), PLACE_PROBLEM_FIELDS),
    ("complaints", ComplaintFigure, (Dim.ALL,), PLACE_COMPLAINT_FIELDS),
)
RANKING_SIZE = 10


# --- the scope --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scope:
    """What one dashboard shows: a region's subtree, or one unit."""

    region: Region
    unit: Unit | None = None
    root: bool = False  # the reader's own region: everything they may see

    @property
    def key(self) -> str:
        return f"unit:{self.unit.pk}" if self.unit else f"region:{self.region.code}"

    @property
    def name(self) -> str:
        return self.unit.name if self.unit else self.region.name

    @property
    def places_are_units(self) -> bool:
        return self.unit is None and self.region.level in (Region.Level.COUNTY, Region.Level.ZONE)

    def figure_q(self) -> Q:
        """The figure rows that sum to the scope: the region's subtree row, or the unit's rows."""
        if self.unit is not None:
            return Q(unit_id=self.unit.pk)
        return Q(region_id=self.region.code, unit__isnull=True)

    def problem_q(self) -> Q:
        """The problems of the scope; the reader's subtree comes from ``visible_to``, so their
        own region adds nothing."""
        if self.unit is not None:
            return Q(unit_id=self.unit.pk)
        if self.root:
            return Q()
        return Q(region__in=Region.objects.filter(path__startswith=self.region.path).values("code"))

    def list_params(self) -> dict:
        """The problem list's filters that select the scope."""
        return {"unit": self.unit.pk} if self.unit else {"region": self.region.code}

    @property
    def dashboard_url(self) -> str:
        if self.unit:
            return reverse("dashboards:unit", kwargs={"pk": self.unit.pk})
        return reverse("dashboards:region", kwargs={"region_code": self.region.code})

    @property
    def overdue_url(self) -> str:
        if self.unit:
            return reverse("dashboards:unit-overdue", kwargs={"pk": self.unit.pk})
        if self.root:
            return reverse("dashboards:overdue")
        return reverse("dashboards:region-overdue", kwargs={"region_code": self.region.code})

    @property
    def export_url(self) -> str:
        if self.unit:
            return reverse("dashboards:unit-overdue-export", kwargs={"pk": self.unit.pk})
        if self.root:
            return reverse("dashboards:overdue-export")
        return reverse("dashboards:region-overdue-export", kwargs={"region_code": self.region.code})


def scope_own(user) -> Scope:
    """The reader's own region: their whole subtree."""
    if not user.region_id:
        raise OutOfScope
    return Scope(user.region, root=True)


def scope_region(user, code: str) -> Scope:
    """A region in the reader's subtree (OutOfScope, a 404, for any other code)."""
    if not REGION_CODE.fullmatch(code or ""):
        raise OutOfScope
    region = Region.objects.filter(subtree_q(user, "code"), code=code).first()
    if region is None:
        raise OutOfScope
    return Scope(region, root=region.code == user.region_id)


def scope_unit(user, pk) -> Scope:
    unit = get_visible_or_404(Unit.objects.select_related("region"), user, CAP, pk=pk)
    return Scope(unit.region, unit=unit)


# --- numbers that link to their lists ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Num:
    """A count (or a rate, a ratio) that renders itself, as a link to its list when it has one."""

    value: int | float | None
    url: str = ""
    kind: str = "count"  # "count" | "rate" (a fraction shown as a percentage) | "ratio"

    def __str__(self) -> str:
        if self.value is None:
            return "—"
        if self.kind == "rate":
            return f"{self.value * 100:.1f}%"
        if self.kind == "ratio":
            return f"{self.value:.1f}"
        return f"{self.value:,}"

    @property
    def html(self) -> str:
        """``{{ num.html }}``: the number, as a link to its list when it has one (a zero
        stays plain: there is nothing behind it to see)."""
        if self.url and self.value:
            return format_html('<a class="dash-num" href="{}">{}</a>', self.url, str(self))
        return escape(str(self))

    @property
    def percent(self) -> float | None:
        """For charts: a rate in percent with one decimal."""
        return None if self.value is None else round(self.value * 100, 1)

    @property
    def zero(self) -> bool:
        return not self.value


def rate(part: int, whole: int) -> Num:
    return Num(part / whole if whole else None, kind="rate")


@dataclass(frozen=True)
class Kpi:
    label: str
    num: Num
    hint: str = ""
    tone: str = ""  # "", "danger", "warning", "success"


@dataclass
class Place:
    """A child region (or the scope's own level, or a unit) in the rankings."""

    key: str
    name: str
    url: str = ""  # its dashboard
    own_level: bool = False
    list_params: dict | None = None  # the problem list's filters selecting it (None: none can)
    problems: Counter = field(default_factory=Counter)
    complaints: Counter = field(default_factory=Counter)
    units: int = 0
    nums: dict = field(default_factory=dict)

    @property
    def shown(self) -> bool:
        """A child region or unit always; the scope's own level only when it has records."""
        return not self.own_level or any(self.problems.values()) or any(self.complaints.values())


# --- the dashboard ----------------------------------------------------------------------------------


@dataclass
class Dashboard:
    scope: Scope
    snapshot: Snapshot | None
    period: Period
    crumbs: list[tuple[str, str]]
    problem_kpis: list[Kpi]
    complaint_kpis: list[Kpi]
    zeros: list[Kpi]
    statuses: list[tuple[str, Num]]
    categories: list[dict]
    domains: list[dict]
    complaint_categories: list[dict]
    months: list[dict]
    accountability: list[dict]
    accountability_total: Num
    places: list[Place]
    county_rankings: list[dict]
    charts: dict


def _sums(fields) -> dict:
    return {name: Sum(name, default=0) for name in fields}


def dashboard(user, scope: Scope) -> Dashboard:
    snapshot = Snapshot.objects.filter(pk=1).first()
    period = Period(snapshot.today, snapshot.today.replace(day=1), snapshot.window_start) if snapshot else Period.of()
    links = Links(user, scope)
    regions = _regions(user, scope)

    problem_rows = list(
        ProblemFigure.objects.visible_to(user, CAP)
        .filter(scope.figure_q())
        .values(
            "dim",
            "category_id",
            "category__name",
            "category__sort_order",
            "domain_id",
            "domain__name",
            "domain__sort_order",
            "month",
            "measure",
        )
        .annotate(**_sums(PROBLEM_FIELDS))
        .order_by()
    )
    complaint_rows = list(
        ComplaintFigure.objects.visible_to(user, CAP)
        .filter(scope.figure_q())
        .values("dim", "category_id", "category__name", "category__sort_order", "month")
        .annotate(**_sums(COMPLAINT_FIELDS))
        .order_by()
    )
    problems = _by_dim(problem_rows, PROBLEM_FIELDS)
    complaints = _by_dim(complaint_rows, COMPLAINT_FIELDS)
    p, c = problems[Dim.ALL], complaints[Dim.ALL]

    places, counties = ([], []) if scope.unit else _places(user, scope, regions, links)
    crumbs = [(r.name, _region_url(r)) for r in regions if r.code in scope.region.ancestor_codes]
    if scope.unit:
        crumbs.append((scope.unit.name, scope.dashboard_url))

    months = _months(period, problems[Dim.MONTH], complaints[Dim.MONTH], links)
    categories = _problem_breakdown(problems[Dim.CATEGORY], "category", links)
    domains = _problem_breakdown(problems[Dim.DOMAIN], "domain", links)
    complaint_categories = _complaint_categories(complaints[Dim.CATEGORY], period, links)
    accountability = _accountability(problems[Dim.MEASURE])
    zeros = _zeros(p, c, period, links, snapshot.conflict_class_id if snapshot else None)
    on_time = rate(p["closed_on_time"], p["closed"])
    in_time = rate(c["closed_on_time"], c["closed"])
    satisfaction = rate(c["satisfied"], c["called_back"])
    ws = period.window_start
    last_12 = _("近12个月")
    return Dashboard(
        scope=scope,
        snapshot=snapshot,
        period=period,
        crumbs=crumbs,
        problem_kpis=[
            Kpi(_("在办问题"), Num(p["open"], links.problems(open="yes"))),
            Kpi(_("逾期未整改"), Num(p["overdue"], links.problems(overdue="yes")), tone="danger"),
            Kpi(
                _("本月销号"),
                Num(p["closed_month"], links.problems(status="closed", closed_from=period.month_start)),
                tone="success",
            ),
            Kpi(_("按期整改率"), on_time, _("近12个月销号 %(closed)s 个") % {"closed": f"{p['closed']:,}"}),
            Kpi(
                _("重点问题逾期"),
                Num(p["key_overdue"], links.problems(is_key=True, overdue="yes")),
                _("重点问题在办 %(open)s 个") % {"open": f"{p['key_open']:,}"},
                tone="warning",
            ),
        ],
        complaint_kpis=[
            Kpi(_("受理诉求"), Num(c["received"], links.complaints(date_from=ws)), last_12),
            Kpi(_("投诉举报"), Num(c["complaints"], links.complaints(kind=Kind.COMPLAINT, date_from=ws)), last_12),
            Kpi(_("提级办理"), Num(c["escalated"], links.complaints(escalated="1", date_from=ws)), last_12),
            Kpi(_("超期未办结"), Num(c["overdue"], links.complaints(light="red")), _("红灯"), tone="danger"),
            Kpi(_("限时办结率"), in_time, _("已办结 %(closed)s 件") % {"closed": f"{c['closed']:,}"}),
            Kpi(_("回访满意率"), satisfaction, _("已回访 %(n)s 件") % {"n": f"{c['called_back']:,}"}),
        ],
        zeros=zeros,
        statuses=[
            (label, Num(p[status], links.problems(status=status)))
            for status, label in Problem.Status.choices
            if status != Problem.Status.CLOSED
        ],
        categories=categories,
        domains=domains,
        complaint_categories=complaint_categories,
        months=months,
        accountability=accountability,
        accountability_total=Num(sum(row["count"].value for row in accountability)),
        places=places,
        county_rankings=_county_rankings(counties, links),
        charts=charts.dashboard_charts(
            scope=scope,
            months=months,
            categories=categories,
            domains=domains,
            complaint_categories=complaint_categories,
            accountability=accountability,
            places=[place for place in places if place.shown],
        ),
    )


def _by_dim(rows: list[dict], fields: list[str]) -> dict:
    """Rows by dimension; under ``all`` one Counter of the scope's totals (the accountability
    counts live in the ``measure`` rows only, so those add to it too)."""
    grouped = {dim: [] for dim in Dim.values}
    for row in rows:
        grouped[row["dim"]].append(row)
    total = Counter(dict.fromkeys(fields, 0))
    for row in [*grouped[Dim.ALL], *grouped[Dim.MEASURE]]:
        total.update({name: row[name] for name in fields})
    grouped[Dim.ALL] = total
    return grouped


def _regions(user, scope: Scope) -> list[Region]:
    """The breadcrumb (from the reader's own region down to the scope) and the scope's child
    regions, in one query."""
    codes = scope.region.ancestor_codes
    own = user.region_id
    crumb_codes = codes[codes.index(own) :] if own in codes else [scope.region.code]
    wanted = Q(code__in=crumb_codes)
    if scope.unit is None and not scope.places_are_units:
        wanted |= Q(parent_id=scope.region.code)
    return list(Region.objects.filter(wanted).order_by("path"))


def _region_url(region: Region) -> str:
    return reverse("dashboards:region", kwargs={"region_code": region.code})


# --- panels ------------------------------------------------------------------------------------------


def _months(period: Period, problem_rows, complaint_rows, links: Links) -> list[dict]:
    problems = {row["month"]: row for row in problem_rows}
    complaints = {row["month"]: row for row in complaint_rows}
    empty = Counter()
    months = []
    for first in period.months():
        last = _month_end(first)
        p, c = problems.get(first, empty), complaints.get(first, empty)
        months.append(
            {
                "month": first,
                "label": formats.date_format(first, "Y-m"),
                "found": Num(p.get("found", 0), links.problems(found_from=first, found_to=last)),
                "closed": Num(p.get("closed", 0), links.problems(status="closed", closed_from=first, closed_to=last)),
                "on_time": rate(p.get("closed_on_time", 0), p.get("closed", 0)),
                "received": Num(c.get("received", 0), links.complaints(date_from=first, date_to=last)),
                "complaints": Num(
                    c.get("complaints", 0), links.complaints(kind=Kind.COMPLAINT, date_from=first, date_to=last)
                ),
                "satisfaction": rate(c.get("satisfied", 0), c.get("called_back", 0)),
            }
        )
    return months


def _month_end(first: dt.date) -> dt.date:
    return (first.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)


def _problem_breakdown(rows, dim: str, links: Links) -> list[dict]:
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
                "total": Num(row["total"], links.problems(**{dim: key})),
                "open": Num(row["open"], links.problems(**{dim: key, "open": "yes"})),
                "overdue": Num(row["overdue"], links.problems(**{dim: key, "overdue": "yes"})),
            }
        )
    result.sort(key=lambda r: (-r["open"].value, r["order"]))
    return result


def _complaint_categories(rows, period: Period, links: Links) -> list[dict]:
    ws = period.window_start
    result = []
    for row in rows:
        key = row["category_id"]
        result.append(
            {
                "name": row["category__name"] or _("未分类"),
                "order": row["category__sort_order"] if key is not None else 10_000,
                "received": Num(row["received"], links.complaints(category=key, date_from=ws) if key else ""),
                "complaints": Num(
                    row["complaints"],
                    links.complaints(category=key, kind=Kind.COMPLAINT, date_from=ws) if key else "",
                ),
                "escalated": Num(
                    row["escalated"], links.complaints(category=key, escalated="1", date_from=ws) if key else ""
                ),
                "in_time": rate(row["closed_on_time"], row["closed"]),
            }
        )
    result.sort(key=lambda r: (-r["received"].value, r["order"]))
    return result


MEASURE_LABELS = dict(Accountability.Measure.choices)


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


def _zeros(p: Counter, c: Counter, period: Period, links: Links, conflict_class_id: int | None) -> list[Kpi]:
    from portal.dashboards import figures

    ws = period.window_start
    conflict_id = conflict_class_id
    conflicts = p["conflict"] + c["conflict"]
    conflict_url = ""
    if not p["conflict"]:
        conflict_url = links.complaints(kind=Kind.COMPLAINT, category=conflict_id, date_from=ws)
    elif not c["conflict"]:
        conflict_url = links.problems(
            category=conflict_id, found_from=ws, source=list(figures.CONFLICT_PROBLEM_SOURCES)
        )
    items = [
        (ZERO_LABELS["duty_crime"], Num(p["duty_crime"]), ZERO_HINTS["duty_crime"]),
        (ZERO_LABELS["conflict"], Num(conflicts, conflict_url), ZERO_HINTS["conflict"]),
        (
            ZERO_LABELS["opinion"],
            Num(p["opinion"], links.problems(found_from=ws, source=list(figures.OPINION_SOURCES))),
            ZERO_HINTS["opinion"],
        ),
    ]
    return [Kpi(str(label), num, str(hint), "success" if num.zero else "danger") for label, num, hint in items]


ZERO_LABELS = {
    "duty_crime": gettext_lazy("零职务犯罪"),
    "conflict": gettext_lazy("零执法冲突"),
    "opinion": gettext_lazy("零负面舆情"),
}
ZERO_HINTS = {
    "duty_crime": gettext_lazy("党纪政务处分或情节严重的追责问责（人次）"),
    "conflict": gettext_lazy("“执法粗暴”类问题（投诉转办的除外）与投诉举报"),
    "opinion": gettext_lazy("经舆情、媒体曝光渠道发现的问题"),
}


# --- places: the rankings and the three zeros by region ------------------------------------------


def _places(user, scope: Scope, regions: list[Region], links: Links) -> tuple[list[Place], list[Place]]:
    """The scope's child regions and its own level, or a county's units, with their problem
    and complaint figures and unit counts (three grouped queries); for the province also its
    counties one by one (the same queries: their subtree rows are read alongside)."""
    places: dict[str, Place] = {}
    counties: dict[str, Place] = {}
    units = Unit.objects.visible_to(user, CAP).filter(active=True)
    if scope.places_are_units:
        where = Q(region_id=scope.region.code, unit__isnull=False)
        for unit in units.filter(region_id=scope.region.code).values("pk", "name").order_by("kind", "name"):
            places[str(unit["pk"])] = _unit_place(unit["pk"], unit["name"], units=1)
        for source, model, dims, fields in SOURCES:
            query = model.objects.visible_to(user, CAP).filter(where, dim__in=dims)
            for row in query.values("unit_id", "unit__name").annotate(**_sums(fields)).order_by():
                key = str(row["unit_id"])
                place = places.get(key) or places.setdefault(key, _unit_place(row["unit_id"], row["unit__name"]))
                getattr(place, source).update({name: row[name] for name in fields})
        for place in places.values():
            _place_nums(place, links)
        return list(places.values()), []
    own = Place(key=scope.region.code, name=_("%(name)s（本级）") % {"name": scope.region.name}, own_level=True)
    for region in regions:
        if region.parent_id == scope.region.code:
            places[region.code] = Place(
                key=region.code, name=region.name, url=_region_url(region), list_params={"region": region.code}
            )
    rank_counties = scope.region.level == Region.Level.PROVINCE
    # Subtree rows of the children (and of every county, for the province), and the scope's own.
    where = Q(region__parent_id=scope.region.code) | Q(region_id=scope.region.code)
    if rank_counties:
        where |= Q(region__level__in=[Region.Level.COUNTY, Region.Level.ZONE])
    for source, model, dims, fields in SOURCES:
        query = model.objects.visible_to(user, CAP).filter(where, unit__isnull=True, dim__in=dims)
        for row in query.values("region_id", "region__name", "region__parent__name").annotate(**_sums(fields)):
            figures_ = {name: row[name] for name in fields}
            code = row["region_id"]
            if code == scope.region.code:
                getattr(own, source).update(figures_)  # everything; the children are taken off below
            if code in places:
                getattr(places[code], source).update(figures_)
            if rank_counties and code not in places and code != scope.region.code:
                counties.setdefault(code, _county_place(row))
                getattr(counties[code], source).update(figures_)
    depth = scope.region.depth + 1
    for row in (
        units.filter(region__path__startswith=scope.region.path)
        .values("region_id", "region__path")
        .annotate(n=Count("id"))
        .order_by()
    ):
        codes = row["region__path"].split("/")
        (places.get(codes[depth], own) if len(codes) > depth + 1 else own).units += row["n"]
        if row["region_id"] in counties:
            counties[row["region_id"]].units += row["n"]
    for place in places.values():
        own.problems.subtract(place.problems)
        own.complaints.subtract(place.complaints)
    places[own.key] = own
    for place in places.values():
        _place_nums(place, links)
    return list(places.values()), list(counties.values())


def _county_place(row) -> Place:
    """A county of the province's rankings: its URL and numbers come once it is ranked."""
    code = row["region_id"]
    return Place(key=code, name=f"{row['region__parent__name']} {row['region__name']}", list_params={"region": code})


def _unit_place(pk: int, name: str, units: int = 0) -> Place:
    return Place(
        key=str(pk),
        name=name,
        url=reverse("dashboards:unit", kwargs={"pk": pk}),
        list_params={"unit": pk},
        units=units,
    )


def _place_nums(place: Place, links: Links) -> None:
    p, c = place.problems, place.complaints
    where = place.list_params

    def problems(**params) -> str:
        return links.problems(where, **params) if where is not None else ""

    place.nums = {
        "open": Num(p["open"], problems(open="yes")),
        "overdue": Num(p["overdue"], problems(overdue="yes")),
        "on_time": rate(p["closed_on_time"], p["closed"]),
        "complaints": Num(c["complaints"]),
        "units": Num(place.units),
        "per_unit": Num(c["complaints"] / place.units if place.units else None, kind="ratio"),
        "in_time": rate(c["closed_on_time"], c["closed"]),
        "duty_crime": Num(p["duty_crime"]),
        "conflict": Num(p["conflict"] + c["conflict"]),
        "opinion": Num(p["opinion"]),
    }


def _county_rankings(counties: list[Place], links: Links) -> list[dict]:
    """The province's counties: most overdue, most complaints per unit, lowest on-time rate."""
    if not counties:
        return []

    def per_unit(place: Place) -> float:
        return place.complaints["complaints"] / place.units

    def on_time(place: Place) -> float:
        return place.problems["closed_on_time"] / place.problems["closed"]

    rankings = [
        (
            _("逾期问题最多"),
            _("逾期"),
            "overdue",
            sorted(counties, key=lambda p: (-p.problems["overdue"], p.key)),
        ),
        (
            _("每单位投诉举报最多"),
            _("件/单位"),
            "per_unit",
            sorted((p for p in counties if p.units), key=lambda p: (-per_unit(p), p.key)),
        ),
        (
            _("按期整改率最低"),
            _("按期整改率"),
            "on_time",
            sorted((p for p in counties if p.problems["closed"]), key=lambda p: (on_time(p), p.key)),
        ),
    ]
    url = _region_url_template()
    result = []
    for title, column, num, ranked in rankings:
        for place in ranked[:RANKING_SIZE]:
            if not place.nums:
                place.url = url.replace(URL_PLACEHOLDER, place.key)
                _place_nums(place, links)
        result.append({"title": title, "column": column, "num": num, "rows": ranked[:RANKING_SIZE]})
    return result


URL_PLACEHOLDER = "000000"


def _region_url_template() -> str:
    return reverse("dashboards:region", kwargs={"region_code": URL_PLACEHOLDER})


# --- the overdue list -------------------------------------------------------------------------------

OVERDUE_DAYS = (30, 90, 180)


def overdue_problems(user, scope: Scope, params, *, cap: Cap = CAP) -> tuple[QuerySet[Problem], dict]:
    """The scope's overdue problems, longest overdue first, with the list's own filters
    (``days``: overdue more than that many days; ``key``: key problems only)."""
    today = timezone.localdate()
    queryset = Problem.objects.visible_to(user, cap).overdue(today).filter(scope.problem_q())
    filters = {}
    days = params.get("days", "")
    if days.isdigit() and int(days) in OVERDUE_DAYS:
        filters["days"] = int(days)
        queryset = queryset.filter(deadline__lt=today - dt.timedelta(days=int(days)))
    if params.get("key") in ("1", "true", "yes"):
        filters["key"] = "1"
        queryset = queryset.filter(is_key=True)
    queryset = queryset.select_related("region", "unit", "category__parent").order_by("deadline", "id")
    return queryset, filters
