"""The overdue problems of a dashboard's scope (逾期问题清单): the list, longest overdue first,
and the same list as an audited .xlsx (the dashboards' header links to them,
``cases/figures.py``). The list reads the problems themselves (a COUNT and a page, on the
partial index of open problems by deadline)."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Mapping

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.models import Problem
from portal.accounts.capabilities import Cap
from portal.audit.services import audit_record
from portal.core.exports import safe_cell
from portal.dashboards.selectors import Scope

OVERDUE_DAYS = (30, 90, 180)


def overdue_problems(user, scope: Scope, params, *, cap: Cap = Cap.VIEW_DASHBOARD) -> tuple[QuerySet[Problem], dict]:
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


# --- the overdue list as .xlsx ---------------------------------------------------------------------

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
