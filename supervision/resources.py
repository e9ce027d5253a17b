"""The supervision ledger (督办台账) as Excel, in the layout officials keep by hand: one row per
item, the four lists (问题、措施、整改责任、督办责任) as columns. Scoped and filtered exactly
like the list page; every cell through ``portal.core.exports.safe_cell``."""

from __future__ import annotations

import io

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill

from portal.audit.services import audit_record
from portal.core.exports import safe_cell
from supervision.selectors import items_filtered

EXPORT_MAX_ROWS = 50_000


def _columns():
    return [
        (_("序号"), 6),
        (_("督办编号"), 14),
        (_("督办事项"), 30),
        (_("挂牌级别"), 10),
        (_("所属区划"), 12),
        (_("责任单位"), 24),
        (_("问题清单"), 40),
        (_("措施清单"), 40),
        (_("整改责任清单"), 30),
        (_("督办责任清单"), 30),
        (_("挂牌日期"), 12),
        (_("整改期限"), 12),
        (_("状态"), 10),
        (_("是否逾期"), 8),
        (_("验收未通过次数"), 8),
        (_("摘牌日期"), 12),
    ]


def ledger_export(*, actor, params) -> tuple[str, bytes]:
    queryset, filters = items_filtered(actor, params)
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = _("督办台账")
    columns = _columns()
    sheet.append([name for name, _w in columns])
    for i, (_name, width) in enumerate(columns, start=1):
        cell = sheet.cell(row=1, column=i)
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDEBF7")
        sheet.column_dimensions[cell.column_letter].width = width
    sheet.freeze_panes = "A2"
    wrap = Alignment(wrap_text=True, vertical="top")
    rows = 0
    for rows, item in enumerate(queryset[:EXPORT_MAX_ROWS].iterator(chunk_size=1000), start=1):
        delisted = timezone.localtime(item.delisted_at).date() if item.delisted_at else ""
        sheet.append(
            [
                safe_cell(v)
                for v in (
                    rows,
                    item.code,
                    item.title,
                    item.get_level_display(),
                    item.region.name,
                    item.unit.name if item.unit_id else "",
                    item.problem_list,
                    item.measures_list,
                    item.rectification_responsibility,
                    item.supervision_responsibility,
                    item.listed_on,
                    item.deadline,
                    item.get_status_display(),
                    _("是") if item.is_overdue else _("否"),
                    item.failed_acceptances,
                    delisted,
                )
            ]
        )
        for cell in sheet[rows + 1][6:10]:
            cell.alignment = wrap
    buffer = io.BytesIO()
    workbook.save(buffer)
    with transaction.atomic():
        audit_record(
            actor=actor,
            action="supervision.export",
            object_type="supervision.supervisionitem",
            changes={"rows": rows, "filters": {k: v for k, v in filters.items() if v}, "format": "xlsx"},
        )
    return f"督办台账-{timezone.localtime():%Y%m%d-%H%M}.xlsx", buffer.getvalue()
