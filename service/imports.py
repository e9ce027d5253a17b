"""Importing the register of transport enterprises from .xlsx, through the ground floor's
workbook reader (``portal.imports.xlsx``) like every ledger: template download, a dry run that
reports every bad cell (row, column, message), and writing all or none in one transaction with
its audit event.

Columns: 企业名称, 统一社会信用代码, 类型, 规模, 区划代码, 校验确认理由 (optional: a code whose
check character fails is imported only with a reason, as on the form)."""

from __future__ import annotations

import io
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _
from openpyxl import Workbook

from portal.accounts.capabilities import Cap, has_cap
from portal.accounts.scoping import region_in_scope
from portal.audit.services import audit_record
from portal.core.text import refused_character
from portal.imports.xlsx import (
    LedgerFileError,
    RowError,
    bounded,
    inspect_workbook,
    looks_like_formula,
    normalise_header,
    open_sheet,
)
from portal.regions.models import Region
from service import creditcode
from service.models import Enterprise
from service.services import credit_code_problem

SHEET = "企业名录"
MAX_ROWS = 20_000
HEADERS = {
    "企业名称": "name",
    "统一社会信用代码": "credit_code",
    "类型": "kind",
    "规模": "size",
    "区划代码": "region",
    "校验确认理由": "reason",
}
REQUIRED = ("name", "credit_code", "kind", "size", "region")


def template() -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = SHEET
    sheet.append(list(HEADERS))
    sheet.append(["郑州示例物流有限公司", "91410105MA44R2J1X7", "道路货物运输", "中型", "410105", ""])
    notes = workbook.create_sheet("说明")
    notes.append([_("类型可填：") + "、".join(str(label) for label in Enterprise.Kind.labels)])
    notes.append([_("规模可填：") + "、".join(str(label) for label in Enterprise.Size.labels)])
    notes.append([_("统一社会信用代码校验位不符的（早期试点地区核发），须在“校验确认理由”列说明理由。")])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


@dataclass
class Report:
    rows: list[dict] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    overrides: int = 0

    def add(self, row: int, column: str, message) -> None:
        self.errors.append(RowError(row, column, str(message)))


def _text(value) -> str:
    return "" if value is None else str(value).strip()


def check(path, *, actor) -> Report:
    """The dry run: every row checked, nothing written."""
    inspect_workbook(path, max_rows=MAX_ROWS)
    report = Report()
    kinds = {str(label): value for value, label in Enterprise.Kind.choices} | {v: v for v in Enterprise.Kind.values}
    sizes = {str(label): value for value, label in Enterprise.Size.choices} | {v: v for v in Enterprise.Size.values}
    regions = dict(Region.objects.divisions().exclude(level="province").values_list("code", "path"))
    known = {normalise_header(h): k for h, k in HEADERS.items()}
    sheet = open_sheet(path, SHEET, known, "（企业名称、统一社会信用代码……）")
    existing_codes = set(Enterprise.objects.values_list("credit_code", flat=True))
    existing_names = set(Enterprise.objects.values_list("name", flat=True))
    seen_codes, seen_names = set(), set()
    labels = {k: h for h, k in HEADERS.items()}
    try:
        missing = [labels[k] for k in REQUIRED if k not in sheet.columns]
        if missing:
            raise LedgerFileError(_("缺少必填列：%(cols)s。请使用下载的模板。") % {"cols": "、".join(missing)})
        for number, values in bounded(sheet.rows, MAX_ROWS):
            if not any(v not in (None, "") for v in values):
                continue

            def cell(key, values=values):
                index = sheet.columns.get(key)
                return _text(values[index]) if index is not None and index < len(values) else ""

            row = {key: cell(key) for key in HEADERS.values()}
            before = len(report.errors)
            for key, text in row.items():
                if looks_like_formula(text):
                    report.add(number, labels[key], _("单元格是公式，请填写文字。"))
                elif refused := refused_character(text):
                    report.add(number, labels[key], _("含有不可见的控制字符 %(c)s，请删除。") % {"c": refused})
            if not row["name"]:
                report.add(number, "企业名称", _("请填写企业名称。"))
            elif len(row["name"]) > 128:
                report.add(number, "企业名称", _("企业名称不能超过 128 个字。"))
            elif row["name"] in existing_names or row["name"] in seen_names:
                report.add(number, "企业名称", _("企业“%(n)s”已登记或在文件中重复。") % {"n": row["name"]})
            code = creditcode.normalise(row["credit_code"])
            problem = credit_code_problem(code, row["reason"])
            if problem is not None:
                report.add(number, "统一社会信用代码", problem.message_dict["credit_code"][0])
            elif code in existing_codes or code in seen_codes:
                report.add(number, "统一社会信用代码", _("统一社会信用代码“%(c)s”已登记或在文件中重复。") % {"c": code})
            if row["kind"] not in kinds:
                report.add(number, "类型", _("类型“%(v)s”不在可选范围内，见模板“说明”页。") % {"v": row["kind"]})
            if row["size"] not in sizes:
                report.add(
                    number, "规模", _("规模“%(v)s”不在可选范围内（大型、中型、小型、微型）。") % {"v": row["size"]}
                )
            if row["region"] not in regions:
                report.add(number, "区划代码", _("区划代码“%(c)s”不是本省的市或县级区划。") % {"c": row["region"]})
            elif not region_in_scope(actor, row["region"]):
                report.add(number, "区划代码", _("区划代码“%(c)s”不在您的管辖范围内。") % {"c": row["region"]})
            seen_codes.add(code)
            seen_names.add(row["name"])
            if len(report.errors) == before:
                override = row["reason"][:200] if not creditcode.check_ok(code) else ""
                report.overrides += bool(override)
                report.rows.append(
                    {
                        "name": row["name"],
                        "credit_code": code,
                        "kind": kinds[row["kind"]],
                        "size": sizes[row["size"]],
                        "region_id": row["region"],
                        "check_override_reason": override,
                    }
                )
    finally:
        sheet.close()
    if not report.rows and not report.errors:
        report.add(2, "企业名称", _("文件中没有数据行。"))
    return report


def enterprises_import(*, actor, path, commit: bool) -> Report:
    """Dry run (``commit=False``) or import: all rows or none."""
    if not has_cap(actor, Cap.EDIT_RECORDS):
        raise PermissionDenied
    report = check(path, actor=actor)
    if not commit or report.errors:
        return report
    with transaction.atomic():
        Enterprise.objects.bulk_create([Enterprise(created_by=actor, **row) for row in report.rows])
        audit_record(
            actor=actor,
            action="service.enterprises_import",
            object_type="service.enterprise",
            object_id="import",
            changes={"rows": len(report.rows), "check_overrides": report.overrides},
        )
    return report
