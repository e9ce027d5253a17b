"""Importing the third-party evaluation (第三方满意度评价) for a half-year: the evaluator's .xlsx,
read through the ground floor's workbook reader (``portal.imports.xlsx``) like every ledger:
template download, a dry run that reports every bad cell (row, column, message), and writing
all or none, in one transaction with its audit event.

Sheet 满意度 (one row per region): 区划代码, 样本量, 满意率, then any number of item columns
("执法规范", "服务态度" …; each a rate). Sheet 暗访发现 (optional): 区划代码, 暗访日期, 暗访地点, 发现问题.

**The rule for rates** (one, documented on the template): a cell ending in "%" is a percentage
("95%" → 0.95); a number above 1 is a percentage (95 → 0.95); a number from 0 to 1 is a
fraction (0.95 → 0.95, and 1 → 100%). Over 100 % or negative is refused.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _
from openpyxl import Workbook

from evaluation.models import Period, SurveyResult
from portal.accounts.capabilities import Cap, has_cap
from portal.audit.services import audit_record
from portal.core.api import ConflictError
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

SURVEY_SHEET = "满意度"
FINDINGS_SHEET = "暗访发现"
MAX_ROWS = 2_000
FIXED = {"区划代码": "region", "样本量": "sample_size", "满意率": "satisfaction"}
FINDING_HEADERS = {"区划代码": "region", "暗访日期": "visited_on", "暗访地点": "place", "发现问题": "finding"}
RATE_RULE = (
    "带“%”的按百分数读（95% 即 0.95）；大于 1 的数按百分数读（95 即 0.95）；"
    "0 到 1 之间的数按比例读（0.95 即 95%，1 即 100%）。"
)


def parse_rate(value) -> float:
    """The documented rule above; CellError-like ValueError with a message otherwise."""
    if isinstance(value, bool) or value is None or value == "":
        raise ValueError(_("请填写比率（如 95%、95 或 0.95）。"))
    text = str(value).strip().replace("％", "%")
    percent = text.endswith("%")
    try:
        number = float(text.rstrip("%").strip())
    except ValueError:
        raise ValueError(_("“%(v)s”不是比率，请填写如 95%%、95 或 0.95。") % {"v": text}) from None
    if percent or number > 1:
        number /= 100
    if number < 0 or number > 1:
        raise ValueError(_("比率“%(v)s”超过 100%% 或为负数，请核对。") % {"v": text})
    return number


def survey_template() -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = SURVEY_SHEET
    sheet.append(["区划代码", "样本量", "满意率", "执法规范", "服务态度"])
    sheet.append(["410105", 400, "95%", 0.93, 96])
    findings = workbook.create_sheet(FINDINGS_SHEET)
    findings.append(list(FINDING_HEADERS))
    notes = workbook.create_sheet("说明")
    notes.append([_("比率的读法：") + RATE_RULE])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


@dataclass
class SurveyReport:
    results: list[dict] = field(default_factory=list)
    findings: list[dict] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)

    def add(self, row: int, column: str, message) -> None:
        self.errors.append(RowError(row, column, str(message)))


def _text(value) -> str:
    return "" if value is None else str(value).strip()


def survey_check(path) -> SurveyReport:
    """The dry run: every row checked, nothing written."""
    inspect_workbook(path, max_rows=MAX_ROWS)
    report = SurveyReport()
    regions = set(Region.objects.filter(level__in=["city", "county"]).values_list("code", flat=True))
    known = {normalise_header(h): k for h, k in FIXED.items()}
    sheet = open_sheet(path, SURVEY_SHEET, known, "（区划代码、样本量、满意率……）")
    try:
        missing = [h for h, k in FIXED.items() if k not in sheet.columns]
        if missing:
            raise LedgerFileError(_("缺少必填列：%(cols)s。请使用下载的模板。") % {"cols": "、".join(missing)})
        items = {
            index: normalise_header(value)
            for index, value in enumerate(sheet.header)
            if value not in (None, "") and index not in sheet.columns.values()
        }
        seen = set()
        for number, values in bounded(sheet.rows, MAX_ROWS):
            if not any(v not in (None, "") for v in values):
                continue

            def cell(key, values=values):
                index = sheet.columns.get(key)
                return values[index] if index is not None and index < len(values) else None

            code = _text(cell("region"))
            if code not in regions:
                report.add(number, "区划代码", _("区划代码“%(c)s”不是本省的市或县级区划。") % {"c": code})
            elif code in seen:
                report.add(number, "区划代码", _("区划代码“%(c)s”在文件中重复。") % {"c": code})
            seen.add(code)
            size = cell("sample_size")
            size_ok = isinstance(size, int) and not isinstance(size, bool) and size > 0
            if not size_ok and not (isinstance(size, str) and size.strip().isdigit() and int(size) > 0):
                report.add(number, "样本量", _("样本量应为正整数。"))
            row = {"region": code, "sample_size": int(str(size).strip()) if str(size).strip().isdigit() else 0}
            try:
                row["satisfaction"] = parse_rate(cell("satisfaction"))
            except ValueError as exc:
                report.add(number, "满意率", exc)
            row["items"] = {}
            for index, name in items.items():
                value = values[index] if index < len(values) else None
                if value in (None, ""):
                    continue
                if isinstance(value, str) and looks_like_formula(value):
                    report.add(number, name, _("单元格是公式，请填写数值。"))
                    continue
                try:
                    row["items"][name] = parse_rate(value)
                except ValueError as exc:
                    report.add(number, name, exc)
            report.results.append(row)
    finally:
        sheet.close()
    if not report.results and not report.errors:
        report.add(2, "区划代码", _("文件中没有数据行。"))
    return report


def survey_import(*, actor, period: Period, path, commit: bool) -> SurveyReport:
    """Dry run (``commit=False``) or import: all or none, replacing the period's earlier import."""
    if not has_cap(actor, Cap.EVALUATE):
        raise PermissionDenied
    if period.kind != Period.Kind.HALF or not period.is_open:
        raise ConflictError(_("第三方评价只能导入到进行中的半年度周期。"))
    report = survey_check(path)
    if not commit or report.errors:
        return report
    with transaction.atomic():
        period.survey_results.all().delete()
        SurveyResult.objects.bulk_create(
            [
                SurveyResult(
                    period=period,
                    region_id=row["region"],
                    sample_size=row["sample_size"],
                    satisfaction=row["satisfaction"],
                    items=row["items"],
                    imported_by=actor,
                )
                for row in report.results
            ]
        )
        audit_record(actor=actor, action="evaluation.survey_import", obj=period, changes={"rows": len(report.results)})
    return report
