"""Reads of the dashboards, always scoped to the reader's subtree.

A dashboard shows one *scope*: the reader's own region (their whole subtree), a region under
it, or one unit in it; another region or unit answers 404 exactly like a missing one. Its
figures are sums over the summary tables (``models``), read through ``visible_to`` like every
other read, in a fixed number of queries whatever the data size:

1. the snapshot (when the figures were computed),
2. the regions of the breadcrumb and the scope's child regions,
3. one per figure set (``registry``; today problems and complaints): the scope's rows by
   dimension, its subtree row or its unit's rows,
4. one per figure set for its places, the rankings and the three zeros by region: the child
   regions' subtree rows (and, for the province, every county's), or a county's unit rows,
5. the active units by region (records per unit).

A unit's dashboard has no places (4 and 5 are skipped). What the sections, cards and columns
show is each set's (``<app>/figures.py``); this module assembles them and names no domain.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, Q, Sum
from django.urls import reverse
from django.utils.html import escape, format_html
from django.utils.translation import gettext as _

from portal.accounts.capabilities import Cap
from portal.accounts.scoping import OutOfScope, get_visible_or_404, subtree_q
from portal.dashboards.links import Links
from portal.dashboards.models import Snapshot, figure_fields
from portal.dashboards.period import Period
from portal.dashboards.registry import ZERO_GOALS, Board, Card, PlaceColumn, Section, figure_sets
from portal.regions.models import Region, Unit

CAP = Cap.VIEW_DASHBOARD
REGION_CODE = re.compile(r"\d{6}")
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
    list_params: dict | None = None  # the lists' filters selecting it (None: none can)
    figures: dict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))  # by set
    units: int = 0
    nums: dict = field(default_factory=dict)

    @property
    def shown(self) -> bool:
        """A child region or unit always; the scope's own level only when it has records."""
        return not self.own_level or any(any(c.values()) for c in self.figures.values())


# --- the dashboard ----------------------------------------------------------------------------------


@dataclass
class Dashboard:
    scope: Scope
    snapshot: Snapshot | None
    period: Period
    crumbs: list[tuple[str, str]]
    sections: list[Section]
    zeros: list[Kpi]
    cards: list[Card]
    places: list[Place]
    place_columns: list[PlaceColumn]
    county_rankings: list[dict]
    actions: list[tuple[str, str, str]]
    definitions: list[tuple[str, str]]
    named: dict[str, Num]
    charts: dict

    def section(self, key: str) -> Section:
        return next(s for s in self.sections if s.key == key)

    def card(self, key: str) -> Card:
        return next(c for c in self.cards if c.key == key)

    def slot(self, name: str) -> list[Card]:
        return [c for c in self.cards if c.slot == name]

    @property
    def trend_cards(self) -> list[Card]:
        return self.slot("trend")

    @property
    def place_cards(self) -> list[Card]:
        return self.slot("places")

    @property
    def detail_cards(self) -> list[Card]:
        return self.slot("detail")


def _sums(fields) -> dict:
    return {name: Sum(name, default=0) for name in fields}


def dashboard(user, scope: Scope) -> Dashboard:
    snapshot = Snapshot.objects.filter(pk=1).first()
    period = Period(snapshot.today, snapshot.today.replace(day=1), snapshot.window_start) if snapshot else Period.of()
    links = Links(user, scope)
    regions = _regions(user, scope)
    board = Board(user=user, scope=scope, period=period, links=links, facts=snapshot.facts if snapshot else {})
    sets = figure_sets()
    by_set = {}
    for figure_set in sets:
        fields = figure_fields(figure_set.model)
        dims = [name for name in figure_set.model.DIMENSIONS if name != "dim"]
        values = ["dim", *(f"{name}_id" if _is_relation(figure_set.model, name) else name for name in dims)]
        rows = list(
            figure_set.model.objects.visible_to(user, CAP)
            .filter(scope.figure_q())
            .values(*values, *figure_set.row_values)
            .annotate(**_sums(fields))
            .order_by()
        )
        grouped = defaultdict(list)
        for row in rows:
            grouped[row["dim"]].append(row)
        total = Counter(dict.fromkeys(fields, 0))
        for dim in figure_set.total_dims:
            for row in grouped[dim]:
                total.update({name: row[name] for name in fields})
        board.totals[figure_set.key] = total
        by_set[figure_set.key] = grouped
    for figure_set in sets:
        figure_set.contribute(board, by_set[figure_set.key])

    places, counties = ([], []) if scope.unit else _places(user, scope, regions, board)
    if places:
        shown = [place for place in places if place.shown]
        for figure_set in sets:
            board.charts.update(figure_set.place_charts(board, shown))
    crumbs = [(r.name, _region_url(r)) for r in regions if r.code in scope.region.ancestor_codes]
    if scope.unit:
        crumbs.append((scope.unit.name, scope.dashboard_url))
    zeros, zero_definitions = _zeros(board)
    return Dashboard(
        scope=scope,
        snapshot=snapshot,
        period=period,
        crumbs=crumbs,
        sections=board.sections,
        zeros=zeros,
        cards=sorted(board.cards, key=lambda card: card.order),
        places=places,
        place_columns=[column for figure_set in sets for column in figure_set.place_columns] + _zero_columns(),
        county_rankings=_county_rankings(counties, board),
        actions=board.actions,
        definitions=[*board.definitions, *zero_definitions],
        named={
            figure.key: Num(figure.compute(board.totals), kind=figure.kind)
            for figure_set in sets
            for figure in figure_set.named
        },
        charts=board.charts,
    )


def _is_relation(model, name: str) -> bool:
    return model._meta.get_field(name).is_relation


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


# --- the three zeros ----------------------------------------------------------------------------------


def _zero_num(parts) -> Num:
    """A goal's distance: the sum of its parts, linked to the one list behind it when only
    one part counts anything (two lists cannot show one sum)."""
    counting = [part for part in parts if part.count]
    url = counting[0].url if len(counting) == 1 else (parts[0].url if parts and not counting else "")
    return Num(sum(part.count for part in parts), url)


def _zeros(board: Board) -> tuple[list[Kpi], list[tuple[str, str]]]:
    zeros, definitions = [], []
    for goal in ZERO_GOALS:
        parts = [part for part in board.zero_parts if part.goal == goal.key]
        if not parts:
            continue
        num = _zero_num(parts)
        hint = _("、").join(str(part.hint) for part in parts if part.hint)
        zeros.append(Kpi(str(goal.label), num, hint, "success" if num.zero else "danger"))
        text = _("；").join(str(part.definition) for part in parts if part.definition)
        definitions.append((str(goal.label), _("近12个月：%(parts)s。") % {"parts": text}))
    return zeros, definitions


def _zero_columns() -> list[PlaceColumn]:
    labels = {"duty_crime": _("职务犯罪"), "conflict": _("执法冲突"), "opinion": _("负面舆情")}
    return [PlaceColumn(f"zero_{goal.key}", labels.get(goal.key, goal.label), alarm=True) for goal in ZERO_GOALS]


# --- places: the rankings and the three zeros by region ------------------------------------------


def _places(user, scope: Scope, regions: list[Region], board: Board) -> tuple[list[Place], list[Place]]:
    """The scope's child regions and its own level, or a county's units, with each set's
    figures and the unit counts (one grouped query per set, one for the units); for the
    province also its counties one by one (their subtree rows are read alongside)."""
    places: dict[str, Place] = {}
    counties: dict[str, Place] = {}
    sets = [figure_set for figure_set in figure_sets() if figure_set.place_fields]
    units = Unit.objects.visible_to(user, CAP).filter(active=True)
    if scope.places_are_units:
        where = Q(region_id=scope.region.code, unit__isnull=False)
        for unit in units.filter(region_id=scope.region.code).values("pk", "name").order_by("kind", "name"):
            places[str(unit["pk"])] = _unit_place(unit["pk"], unit["name"], units=1)
        for figure_set in sets:
            fields = figure_set.place_fields
            query = figure_set.model.objects.visible_to(user, CAP).filter(where, dim__in=figure_set.place_dims)
            for row in query.values("unit_id", "unit__name").annotate(**_sums(fields)).order_by():
                key = str(row["unit_id"])
                place = places.get(key) or places.setdefault(key, _unit_place(row["unit_id"], row["unit__name"]))
                place.figures[figure_set.key].update({name: row[name] for name in fields})
        for place in places.values():
            _place_nums(place, board)
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
    for figure_set in sets:
        fields = figure_set.place_fields
        query = figure_set.model.objects.visible_to(user, CAP).filter(
            where, unit__isnull=True, dim__in=figure_set.place_dims
        )
        for row in query.values("region_id", "region__name", "region__parent__name").annotate(**_sums(fields)):
            counts = {name: row[name] for name in fields}
            code = row["region_id"]
            if code == scope.region.code:
                own.figures[figure_set.key].update(counts)  # everything; the children are taken off below
            if code in places:
                places[code].figures[figure_set.key].update(counts)
            if rank_counties and code not in places and code != scope.region.code:
                counties.setdefault(code, _county_place(row))
                counties[code].figures[figure_set.key].update(counts)
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
        for key, counts in place.figures.items():
            own.figures[key].subtract(counts)
    places[own.key] = own
    for place in places.values():
        _place_nums(place, board)
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


def _place_nums(place: Place, board: Board) -> None:
    where = place.list_params

    def link(key: str, **params) -> str:
        return board.links.to(key, where, **params) if where is not None else ""

    nums = {"units": Num(place.units)}
    parts = []
    for figure_set in figure_sets():
        counts = place.figures[figure_set.key]
        nums.update(figure_set.place_nums(board, place, counts, link))
        parts.extend(figure_set.zero_parts_of(board, counts, None))
    for goal in ZERO_GOALS:
        nums[f"zero_{goal.key}"] = Num(sum(part.count for part in parts if part.goal == goal.key))
    place.nums = nums


def _county_rankings(counties: list[Place], board: Board) -> list[dict]:
    """The province's counties, ranked by each set's rankings (top ten each)."""
    if not counties:
        return []
    url = _region_url_template()
    result = []
    rankings = sorted((r for figure_set in figure_sets() for r in figure_set.rankings), key=lambda r: r.order)
    for ranking in rankings:
        keyed = [(ranking.sort_key(place), place) for place in counties]
        ranked = [place for key, place in sorted((k for k in keyed if k[0] is not None), key=lambda k: k[0])]
        rows = ranked[:RANKING_SIZE]
        for place in rows:
            if not place.nums:
                place.url = url.replace(URL_PLACEHOLDER, place.key)
                _place_nums(place, board)
        result.append({"title": ranking.title, "column": ranking.column, "num": ranking.num, "rows": rows})
    return result


URL_PLACEHOLDER = "000000"


def _region_url_template() -> str:
    return reverse("dashboards:region", kwargs={"region_code": URL_PLACEHOLDER})
