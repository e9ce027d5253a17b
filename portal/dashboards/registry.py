"""The dashboards' registry: every app brings its figures in its own ``figures.py``.

A *figure set* (``FigureSet``, registered with ``@register``) is one app's share of the
dashboards:

- its summary table (a ``FigureTable`` model of the app) and how to refill it from the app's
  records (``refresh``: grouped ``INSERT ... SELECT`` statements through ``Table.insert``);
  the ground floor adds the subtree rows, keeps the snapshot and the lock;
- the *facts* it fixes at refresh time (``facts``: e.g. which category class counts as
  conflicts), kept in the snapshot so the page links what the figures counted;
- what a dashboard shows of it (``contribute``): KPI sections, cards (a template of the app
  with its data), parts of the three-zero goals, the columns of the places table, county
  rankings, charts of the places, header actions and the definitions (统计口径);
- its *drill-down lists* (``DrillList``): the list each number links to and the filters that
  list understands, so a number links only where its list shows the same count;
- its *named figures* (``NamedFigure``): values such as the on-time rectification rate,
  computed from a scope's totals, that other apps (evaluation) read by name.

The ground floor (``selectors.dashboard``) reads each set's rows for a scope in one query and
its places' rows in another, whatever the data size, and assembles the page; it never names
a domain.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext_lazy

if TYPE_CHECKING:
    from portal.dashboards.period import Period
    from portal.dashboards.selectors import Kpi, Num, Place, Scope

_SETS: dict[str, FigureSet] = {}
_LISTS: dict[str, DrillList] = {}


def register(cls: type[FigureSet]) -> type[FigureSet]:
    """Class decorator of an app's figure set (in ``<app>/figures.py``)."""
    instance = cls()
    if not instance.key:
        raise ValueError(f"{cls.__name__} needs a key")
    _SETS[instance.key] = instance
    for drill in instance.lists:
        _LISTS[drill.key] = drill
    return cls


def figure_sets() -> list[FigureSet]:
    return sorted(_SETS.values(), key=lambda s: (s.order, s.key))


def figure_set(key: str) -> FigureSet:
    return _SETS[key]


def drill_lists() -> dict[str, DrillList]:
    return dict(_LISTS)


# --- the three zeros (§ 一): the policy's goals; the sets bring their parts --------------------------


@dataclass(frozen=True)
class ZeroGoal:
    key: str
    label: Any


ZERO_GOALS = (
    ZeroGoal("duty_crime", gettext_lazy("零职务犯罪")),
    ZeroGoal("conflict", gettext_lazy("零执法冲突")),
    ZeroGoal("opinion", gettext_lazy("零负面舆情")),
)


@dataclass(frozen=True)
class ZeroPart:
    """One set's share of a zero goal: its count (with its list) and what it counts."""

    goal: str
    count: int
    url: str = ""
    hint: Any = ""
    definition: Any = ""


# --- drill-down lists ------------------------------------------------------------------------------


@dataclass(frozen=True)
class DrillList:
    """A list numbers link to: its URL name, the filters it understands (read lazily, from the
    list's own filter set) and, optionally, the model its route declares it lists.

    ``place_filtered``: the list filters by ``region``/``unit`` itself; when False it is always
    limited to the reader's subtree, so the reader's own dashboard needs no place filter."""

    key: str
    url_name: str
    filters: Callable[[], frozenset[str]]
    model: Callable[[], type] | None = None
    place_filtered: bool = True


# --- what a set contributes to one dashboard ---------------------------------------------------------


@dataclass
class Section:
    """A row of KPIs under a title (``id="kpi-<key>"`` on the page)."""

    key: str
    title: Any
    subtitle: Any
    kpis: list[Kpi]


@dataclass
class Card:
    """A card rendered by the app's template (``template``) with ``data``; ``slot`` says where:
    ``trend`` (the monthly trends), ``places`` (beside the places table), ``detail``."""

    key: str
    template: str
    slot: str
    data: dict
    width: int = 6  # Bootstrap columns on wide screens
    order: int = 100  # within its slot, across the sets


@dataclass(frozen=True)
class PlaceColumn:
    """A column of the places table: ``place.nums[key]``; ``alarm``: non-zero is bad news."""

    key: str
    label: Any
    alarm: bool = False


@dataclass(frozen=True)
class Ranking:
    """A ranking of the province's counties: ``sort_key(place)`` (None leaves the place out)
    orders them, ``num`` names the ``place.nums`` entry shown."""

    title: Any
    column: Any
    num: str
    sort_key: Callable[[Place], Any]
    order: int = 100  # across the sets


@dataclass(frozen=True)
class NamedFigure:
    """A value computed from a scope's totals by set (``{set key: Counter}``), read by name."""

    key: str
    label: Any
    kind: str  # "count" | "rate"
    compute: Callable[[dict[str, Counter]], int | float | None]


@dataclass
class Board:
    """What the sets fill while one dashboard is built (``selectors.dashboard``)."""

    user: Any
    scope: Scope
    period: Period
    links: Any
    facts: dict
    totals: dict[str, Counter] = field(default_factory=dict)
    sections: list[Section] = field(default_factory=list)
    cards: list[Card] = field(default_factory=list)
    zero_parts: list[ZeroPart] = field(default_factory=list)
    charts: dict = field(default_factory=dict)
    definitions: list[tuple[Any, Any]] = field(default_factory=list)
    actions: list[tuple[Any, str, str]] = field(default_factory=list)  # (label, url, style)


class FigureSet:
    """One app's figures. Subclass in ``<app>/figures.py`` and decorate with ``@register``."""

    key: str = ""
    order: int = 100
    model = None  # the app's FigureTable
    # Extra columns read with each row of the scope (names of the table's relations).
    row_values: tuple[str, ...] = ()
    # Dimensions whose rows add up to the scope's totals ("all", and e.g. a dimension whose
    # counts live only in its own rows).
    total_dims: tuple[str, ...] = ("all",)
    # The counts read per place (child region or unit) for the places table and rankings.
    place_fields: tuple[str, ...] = ()
    place_dims: tuple[str, ...] = ("all",)
    lists: tuple[DrillList, ...] = ()
    named: tuple[NamedFigure, ...] = ()

    def facts(self) -> dict:
        """What the refresh fixes for this set (JSON), stored in the snapshot."""
        return {}

    def refresh(self, table: Any, period: Period, facts: dict) -> None:
        """Fill ``table`` (``services.Table``) with the unit rows of every dimension."""
        raise NotImplementedError

    def contribute(self, board: Board, rows: dict[str, list[dict]]) -> None:
        """Add sections, cards, zero parts, charts and definitions for the scope; ``rows``: the
        scope's rows by dimension (``board.totals[self.key]`` holds its totals)."""

    def place_nums(self, board: Board, place: Place, figures: Counter, link: Callable) -> dict[str, Num]:
        """The numbers of one place; ``link(list key, **params)`` links to a list within it
        ("" when the list cannot select the place)."""
        return {}

    def zero_parts_of(self, board: Board, figures: Counter, link: Callable | None) -> list[ZeroPart]:
        """This set's parts of the zero goals for the totals ``figures`` (the scope's, or one
        place's; ``link(list key, **params)`` links to the list within it, None: no link)."""
        return []

    place_columns: tuple[PlaceColumn, ...] = ()
    rankings: tuple[Ranking, ...] = ()

    def place_charts(self, board: Board, places: list[Place]) -> dict:
        """Charts of the places (``{container id: {"option": ..., "urls": [...]}}``)."""
        return {}
