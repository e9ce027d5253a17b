"""Writes of the dashboards: rebuilding the summary tables, and the audited overdue export.

Why summary tables: a province dashboard sums 200,000 problems and 2,000,000 complaints.
Grouping them on every page view costs seconds (see ``bench/bench_dashboards.py``); summing a
few thousand pre-grouped rows costs milliseconds. ``figures_refresh`` recomputes every figure
(``figures.py``) from the records, grouped by region, unit and dimension, with
``INSERT ... SELECT`` statements that never bring a record into Python, in one transaction
under an advisory lock: readers see the previous figures until it commits, and two refreshes
never interleave. Celery beat runs it every few minutes (``schedule.py``); the dashboards show
its time as "数据截至".
"""

from __future__ import annotations

import io
import time
from collections.abc import Mapping

from django.db import connection, transaction
from django.db.models import DateField, F, QuerySet
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.models import Accountability, Problem
from complaints.models import Complaint
from portal.audit.services import audit_record
from portal.core.exports import safe_cell
from portal.dashboards import figures
from portal.dashboards.figures import Period
from portal.dashboards.models import ComplaintFigure, Dim, ProblemFigure, Snapshot, figure_fields
from portal.regions.models import Region

# pg_try_advisory_xact_lock key: "dashboards.figures_refresh" (any constant shared by refreshes).
REFRESH_LOCK = 7_412_001


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


def _month(field: str):
    """The first day of the (local) month of a date or timestamp column."""
    return TruncMonth(field, output_field=DateField())


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
            cursor.execute(f"DELETE FROM {connection.ops.quote_name(ProblemFigure._meta.db_table)}")  # noqa: S608
            cursor.execute(f"DELETE FROM {connection.ops.quote_name(ComplaintFigure._meta.db_table)}")  # noqa: S608
        period = Period.of(today)
        conflict_id = figures.conflict_class_id()
        _refresh_problems(period, conflict_id)
        _refresh_complaints(period, conflict_id)
        _insert_subtrees(ProblemFigure)
        _insert_subtrees(ComplaintFigure)
        snapshot, _created = Snapshot.objects.update_or_create(
            pk=1,
            defaults={
                "computed_at": timezone.now(),
                "today": period.today,
                "window_start": period.window_start,
                "duration_ms": round((time.monotonic() - started) * 1000),
                "conflict_class_id": conflict_id,
            },
        )
    return snapshot


def _refresh_problems(period: Period, conflict_id: int | None) -> None:
    problems = Problem.objects.all()
    place = {"region_id": F("region_id"), "unit_id": F("unit_id")}
    _insert(ProblemFigure, Dim.ALL, problems, place, figures.problem_measures(period, conflict_id))
    breakdown = figures.problem_breakdown_measures(period)
    _insert(ProblemFigure, Dim.CATEGORY, problems, {**place, "category_id": figures.category_class()}, breakdown)
    _insert(ProblemFigure, Dim.DOMAIN, problems, {**place, "domain_id": F("domain_id")}, breakdown)
    # A month's row counts the problems found in it and, separately, those closed in it.
    _insert(
        ProblemFigure,
        Dim.MONTH,
        problems.filter(found_on__gte=period.window_start),
        {**place, "month": _month("found_on")},
        figures.problem_found_measures(),
    )
    _insert(
        ProblemFigure,
        Dim.MONTH,
        problems.filter(figures.problem_closed_q(period.window_start)),
        {**place, "month": _month("closed_at")},
        figures.problem_closed_measures(),
    )
    _insert(
        ProblemFigure,
        Dim.MEASURE,
        Accountability.objects.filter(decided_on__gte=period.window_start),
        {"region_id": F("problem__region_id"), "unit_id": F("unit_id"), "measure": F("measure")},
        figures.accountability_measures(),
    )


def _refresh_complaints(period: Period, conflict_id: int | None) -> None:
    complaints = Complaint.objects.all()
    place = {"region_id": F("handling_region_id"), "unit_id": F("handling_unit_id")}
    _insert(ComplaintFigure, Dim.ALL, complaints, place, figures.complaint_measures(period, conflict_id))
    window = complaints.filter(received_at__gte=Period.aware(period.window_start))
    measures = figures.complaint_window_measures()
    _insert(ComplaintFigure, Dim.CATEGORY, window, {**place, "category_id": figures.category_class()}, measures)
    _insert(ComplaintFigure, Dim.MONTH, window, {**place, "month": _month("received_at")}, measures)


# --- the overdue list as .xlsx --------------------------------------------------------------------

EXPORT_MAX_ROWS = 200_000


def overdue_columns() -> list[tuple[str, int]]:
    return [
        (_("问题编号"), 18),
        (_("问题标题"), 48),
        (_("所属区划"), 14),
        (_("责任单位"), 30),
        (_("问题类别"), 20),
        (_("状态"), 10),
        (_("整改期限"), 12),
        (_("逾期天数"), 10),
        (_("重点问题"), 9),
        (_("第一责任人"), 12),
        (_("分管领导"), 12),
        (_("承办部门"), 14),
    ]


def overdue_export(*, actor, scope, queryset, filters: Mapping) -> tuple[str, bytes, int]:
    """The overdue problems of ``queryset`` (already scoped and filtered by the caller) as an
    .xlsx workbook: (file name, content, rows). Every text cell goes through ``safe_cell``.
    Audited as ``dashboard.overdue_export`` with the scope, the filters and the row count."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font, PatternFill
    from openpyxl.utils import get_column_letter

    today = timezone.localdate()
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_("逾期问题"))
    sheet.freeze_panes = "A2"
    columns = overdue_columns()
    for i, (_title, width) in enumerate(columns, start=1):
        sheet.column_dimensions[get_column_letter(i)].width = width
    header = []
    for title, _width in columns:
        cell = WriteOnlyCell(sheet, value=str(title))
        cell.font, cell.fill = Font(bold=True, color="FFFFFF"), PatternFill("solid", fgColor="1F4E79")
        header.append(cell)
    sheet.append(header)
    statuses = dict(Problem.Status.choices)
    yes, no = _("是"), _("否")
    rows = 0
    for problem in queryset[:EXPORT_MAX_ROWS].iterator(chunk_size=2000):
        sheet.append(
            [
                safe_cell(problem.code),
                safe_cell(problem.title),
                safe_cell(problem.region.name),
                safe_cell(problem.unit.name),
                safe_cell(str(problem.category)),
                safe_cell(str(statuses.get(problem.status, problem.status))),
                problem.deadline,
                (today - problem.deadline).days,
                safe_cell(str(yes if problem.is_key else no)),
                safe_cell(problem.first_responsible),
                safe_cell(problem.deputy_in_charge),
                safe_cell(problem.handling_department),
            ]
        )
        rows += 1
    buffer = io.BytesIO()
    workbook.save(buffer)
    with transaction.atomic():
        audit_record(
            actor=actor,
            action="dashboard.overdue_export",
            object_type="cases.problem",
            changes={"rows": rows, "scope": scope.key, "filters": dict(filters), "format": "xlsx"},
        )
    name = _("逾期问题-%(scope)s-%(time)s.xlsx") % {"scope": scope.name, "time": f"{timezone.localtime():%Y%m%d-%H%M}"}
    return name, buffer.getvalue(), rows
