"""Writes of the dashboards: rebuilding the summary tables of every figure set.

Why summary tables: a province dashboard sums 200,000 problems and 2,000,000 complaints.
Grouping them on every page view costs seconds (see ``bench/bench_dashboards.py``); summing a
few thousand pre-grouped rows costs milliseconds. ``figures_refresh`` recomputes every figure
of every registered figure set (``registry``, the apps' ``figures.py``) from the records,
grouped by region, unit and dimension, with ``INSERT ... SELECT`` statements that never bring
a record into Python, in one transaction under an advisory lock: readers see the previous
figures until it commits, and two refreshes never interleave. Celery beat runs it every few
minutes (``schedule.py``); the dashboards show its time as "数据截至".
"""

from __future__ import annotations

import time
from collections.abc import Mapping

from django.db import connection, transaction
from django.db.models import DateField, QuerySet
from django.db.models.functions import TruncMonth
from django.utils import timezone

from portal.dashboards.models import Snapshot, figure_fields
from portal.dashboards.period import Period
from portal.dashboards.registry import figure_sets
from portal.regions.models import Region

# pg_try_advisory_xact_lock key: "dashboards.figures_refresh" (any constant shared by refreshes).
REFRESH_LOCK = 7_412_001


class Table:
    """The summary table of one figure set, as its ``refresh`` fills it."""

    def __init__(self, model):
        self.model = model

    def insert(self, dim: str, queryset: QuerySet, keys: Mapping, measures: Mapping) -> None:
        _insert(self.model, dim, queryset, keys, measures)


def month_of(field: str):
    """The first day of the (local) month of a date or timestamp column."""
    return TruncMonth(field, output_field=DateField())


def _insert(model, dim: str, queryset: QuerySet, keys: Mapping, measures: Mapping) -> None:
    """``INSERT INTO <model's table> SELECT``: the groups of ``queryset`` by ``keys`` (figure
    column -> expression over the records) with ``measures`` (figure column -> aggregate).
    Columns not named keep their database default (0, or NULL for unused dimensions)."""
    grouped = (
        queryset.order_by()
        .values(**{f"k_{column}": expression for column, expression in keys.items()})
        .annotate(**{f"m_{column}": aggregate for column, aggregate in measures.items()})
    )
    sql, params = grouped.query.sql_with_params()
    quote = connection.ops.quote_name
    columns = ["dim", *keys, *measures]
    selected = ["%s", *(quote(f"k_{c}") for c in keys), *(quote(f"m_{c}") for c in measures)]
    statement = (
        f"INSERT INTO {quote(model._meta.db_table)} ({', '.join(quote(c) for c in columns)}) "  # noqa: S608 - identifiers from model metadata
        f"SELECT {', '.join(selected)} FROM ({sql}) AS grouped"
    )
    with connection.cursor() as cursor:
        cursor.execute(statement, [dim, *params])


def _insert_subtrees(model) -> None:
    """The subtree rows: every unit row added to the row of each region on its region's path
    (the province, its city, its county), one grouped ``INSERT ... SELECT``."""
    meta = model._meta
    quote = connection.ops.quote_name
    dims = [meta.get_field(name).column for name in model.DIMENSIONS]
    counts = figure_fields(model)
    table, regions = quote(meta.db_table), quote(Region._meta.db_table)
    select_dims = ", ".join(f"f.{quote(c)}" for c in dims)
    sums = ", ".join(f"SUM(f.{quote(c)})" for c in counts)
    statement = (
        f"INSERT INTO {table} (region_id, {', '.join(quote(c) for c in [*dims, *counts])}) "  # noqa: S608 - identifiers from model metadata
        f"SELECT ancestor.code, {select_dims}, {sums} FROM {table} AS f "
        f"JOIN {regions} AS r ON r.code = f.region_id "
        "CROSS JOIN LATERAL unnest(string_to_array(rtrim(r.path, '/'), '/')) AS ancestor(code) "
        f"WHERE f.unit_id IS NOT NULL GROUP BY ancestor.code, {select_dims}"
    )
    with connection.cursor() as cursor:
        cursor.execute(statement)


def figures_refresh(*, today=None) -> Snapshot | None:
    """Recompute every dashboard figure. Returns the new snapshot, or None when another
    refresh holds the lock (it will write the same figures)."""
    started = time.monotonic()
    outermost = not connection.in_atomic_block
    with transaction.atomic():
        with connection.cursor() as cursor:
            if outermost:
                # Every statement below reads the same snapshot of the records.
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [REFRESH_LOCK])
            if not cursor.fetchone()[0]:
                return None
            sets = figure_sets()
            for figure_set in sets:
                cursor.execute(f"DELETE FROM {connection.ops.quote_name(figure_set.model._meta.db_table)}")  # noqa: S608
        period = Period.of(today)
        facts = {figure_set.key: figure_set.facts() for figure_set in sets}
        for figure_set in sets:
            figure_set.refresh(Table(figure_set.model), period, facts[figure_set.key])
        for figure_set in sets:
            _insert_subtrees(figure_set.model)
        snapshot, _created = Snapshot.objects.update_or_create(
            pk=1,
            defaults={
                "computed_at": timezone.now(),
                "today": period.today,
                "window_start": period.window_start,
                "duration_ms": round((time.monotonic() - started) * 1000),
                "facts": facts,
            },
        )
    return snapshot
