"""Computing a period's figures for every entity, from the dashboards' figure definitions.

A computed indicator names a figure of ``portal.dashboards.registry`` (``NamedFigure``: e.g.
``problems.on_time_rate``), which computes its value from a scope's totals per figure set.
Here every set's own ``refresh`` (the one definition of its figures) is run once for the
period, but instead of filling the dashboards' summary table each grouped query is read back
grouped by region only (``Collector``): a few grouped queries for the whole province whatever
the number of entities. A city's totals are the sums over its subtree (the city itself and its
counties), a county's its own.

The period (``portal.dashboards.period.Period``): its first day is the window's start, and its
last day (or today, while the period runs) is "today" (what is overdue is judged on it). The
figures' windows have no upper end, so what happened between the period's end and its closing
counts too: close a period soon after it ends. Closing freezes the result.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict

from django.db.models import F
from django.utils import timezone

from portal.dashboards.period import Period as FigurePeriod
from portal.dashboards.registry import NamedFigure, figure_sets
from portal.regions.models import Region


def named_figures() -> dict[str, NamedFigure]:
    return {figure.key: figure for figure_set in figure_sets() for figure in figure_set.named}


def figure_period(starts_on: dt.date, ends_on: dt.date) -> FigurePeriod:
    today = min(ends_on, timezone.localdate())
    return FigurePeriod(today=today, month_start=today.replace(day=1), window_start=starts_on)


class Collector:
    """Stands in for the summary table (``services.Table``): each grouped insert of a set's
    total dimensions is run as a grouped read by region and summed here."""

    def __init__(self, dims: tuple[str, ...]):
        self.dims = dims
        self.by_region: dict[str, Counter] = defaultdict(Counter)

    def insert(self, dim, queryset, keys, measures) -> None:
        if dim not in self.dims:
            return
        region = keys.get("region_id", F("region_id"))
        rows = queryset.order_by().values(k_region=region).annotate(**{f"m_{k}": v for k, v in measures.items()})
        for row in rows:
            counts = self.by_region[row["k_region"]]
            for name in measures:
                counts[name] += row[f"m_{name}"] or 0


def entity_regions() -> list[Region]:
    """The entities: every city-level region and every county-level one (zones are statistics)."""
    return list(Region.objects.filter(level__in=[Region.Level.CITY, Region.Level.COUNTY]).order_by("path"))


def entity_totals(starts_on: dt.date, ends_on: dt.date, entities: list[Region]) -> dict[str, dict[str, Counter]]:
    """{region code: {set key: totals}} over the period for each entity's subtree."""
    period = figure_period(starts_on, ends_on)
    own: dict[str, dict[str, Counter]] = {}
    for figure_set in figure_sets():
        collector = Collector(figure_set.total_dims)
        figure_set.refresh(collector, period, figure_set.facts())
        own[figure_set.key] = collector.by_region
    paths = dict(Region.objects.values_list("code", "path"))
    result = {e.code: {key: Counter() for key in own} for e in entities}
    wanted = set(result)
    for key, by_region in own.items():
        for code, counts in by_region.items():
            path = paths.get(code) or ""
            for ancestor in path.strip("/").split("/"):
                if ancestor in wanted:
                    result[ancestor][key].update(counts)
    return result
