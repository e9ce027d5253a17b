"""Importing the problem list's Excel ledger (台账导入): the whole file is checked first, then
written in one transaction with COPY, never a save() per row.

1. The file (``inspect_ledger``): a real .xlsx (a zip holding a workbook), no part that would
   decompress beyond the caps (zip bombs are refused from the zip's own table of contents,
   before any XML is parsed), at most ``MAX_ROWS`` data rows, the ledger's headers. The sheet
   is then streamed by ``SheetReader`` (lxml, entities never expanded), not parsed whole.
2. Every row (``validate_ledger``): required values, known choices, real dates (date cells or
   text such as 2024-03-05, 2024/3/5, 2024年3月5日), no formulas, a region that exists and lies
   in the importing user's subtree, a unit of that region, a known category and domain, problem
   codes unique in the file and not yet in the database. Every bad cell is reported as (row,
   column header, message); that report is the dry run (preview).
3. Writing (``ledger_import`` with a mode): ``valid_only`` writes the valid rows and reports the
   others; ``all_or_nothing`` writes nothing unless every row is valid. Either way one
   transaction: COPY of the rows plus one ``problem.import`` audit event with the counts.
   Blank codes get numbers from ``next_problem_codes``; a row with a deadline is ``assigned``,
   one without is ``registered``. Each problem written gets its own history like one registered
   on the page: a ``problem.register`` event and, when assigned, a ``problem.assign`` event with
   its deadline (``cases.services.problem_events_copy``, one COPY); the assignment obeys the
   workflow's rules (``cases.requirements``) like any move — a row whose assignment the rules
   hold back is written as registered.

Uploads become ``ImportJob`` rows (``import_job_create``): a file of up to ``INLINE_MAX_ROWS``
rows is checked during the request, a larger one by the Celery task ``ledger_import_run``,
which calls ``import_job_run`` with the job id; the job page polls the progress.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import re
import uuid
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from lxml import etree
from openpyxl.styles.numbers import is_date_format
from openpyxl.utils.datetime import MAC_EPOCH, WINDOWS_EPOCH, from_excel

from cases import requirements
from cases.models import Category, ImportJob, Problem
from cases.resources import (
    HEADER_OF,
    LEDGER_COLUMNS,
    LEDGER_SHEET,
    SAMPLE_PREFIX,
    YesNoWidget,
    parse_ledger_date,
)
from cases.services import next_problem_codes, problem_events_copy
from portal.accounts.capabilities import Cap, has_cap
from portal.accounts.scoping import OutOfScope, get_visible_or_404, is_province_wide
from portal.audit.models import AuditEvent
from portal.audit.services import audit_record
from portal.core.api import ConflictError
from portal.core.exports import FORMULA_PREFIXES
from portal.core.seeding import copy_rows, reserve_ids
from portal.regions.models import EnforcementDomain, Region, Unit

logger = logging.getLogger(__name__)

MAX_UPLOAD_BYTES = 50 * 1024 * 1024  # the .xlsx as uploaded (200,000 rows are 10-20 MB)
# Decompressed sizes, read off the zip's table of contents before any XML is parsed. A sheet is
# streamed (memory stays flat), so its cap bounds the time spent: 400 MB holds 200,000 rows even
# as written by openpyxl (inline strings, CJK as character references). Other parts (shared
# strings, styles) are read whole and capped lower.
MAX_SHEET_BYTES = 400 * 1024 * 1024
MAX_PART_BYTES = 100 * 1024 * 1024
MAX_TOTAL_BYTES = 500 * 1024 * 1024
MAX_PARTS = 1_000
MAX_ROWS = 200_000  # data rows in one import
INLINE_MAX_ROWS = 5_000  # above this the Celery task validates and writes
MAX_ERRORS_KEPT = 1_000  # bad cells kept for the preview (all are counted)
PROGRESS_EVERY = 2_000
STALE_AFTER = dt.timedelta(minutes=20)  # a job "running" this long lost its worker

HEADERS = {column.header: column for column in LEDGER_COLUMNS}
PEOPLE = ("first_responsible", "deputy_in_charge", "handling_department")
TEXT_LIMITS = {"code": 32, "title": 200, "first_responsible": 64, "deputy_in_charge": 64, "handling_department": 64}
SHEET_PART_RE = re.compile(r"xl/worksheets/[^/]+\.xml")
DIMENSION_RE = re.compile(rb"<(?:\w+:)?dimension\s+ref=\"[A-Z]{1,3}\d+(?::[A-Z]{1,3}(\d+))?\"")

# What COPY writes, in this order: the row's values (code first) and then the constants.
ROW_FIELDS = (
    "code",
    "title",
    "description",
    "category_id",
    "source",
    "severity",
    "region_id",
    "unit_id",
    "domain_id",
    "is_key",
    "first_responsible",
    "deputy_in_charge",
    "handling_department",
    "status",
    "deadline",
    "found_on",
)
COPY_COLUMNS = (
    "id",
    *ROW_FIELDS,
    "deadline_version",
    "deadline_provisional",
    "version",
    "registered_by_id",
    "created_at",
    "updated_at",
)


class LedgerFileError(Exception):
    """The file as a whole is refused; ``details`` are extra lines for the report."""

    def __init__(self, message: str, details=()):
        super().__init__(str(message))
        self.message = str(message)
        self.details = [str(d) for d in details]


class CellError(ValueError):
    pass


@dataclass(frozen=True)
class RowError:
    row: int  # the spreadsheet's row number (the header is row 1)
    column: str  # the column's header
    message: str

    def as_dict(self) -> dict:
        return {"row": self.row, "column": self.column, "message": self.message}


@dataclass
class LedgerReport:
    """The dry run: what would be written and what is wrong, cell by cell."""

    total_rows: int = 0  # non-empty data rows, the sample row excluded
    rows: list[tuple[int, tuple]] = field(default_factory=list)  # valid: (row number, ROW_FIELDS values)
    errors: list[RowError] = field(default_factory=list)  # the first MAX_ERRORS_KEPT
    error_count: int = 0
    bad_rows: set[int] = field(default_factory=set)
    sample_rows: int = 0

    @property
    def valid_rows(self) -> int:
        return len(self.rows)

    def add(self, row: int, column: str, message: str) -> None:
        self.error_count += 1
        self.bad_rows.add(row)
        if len(self.errors) < MAX_ERRORS_KEPT:
            self.errors.append(RowError(row, column, str(message)))


@dataclass
class ImportOutcome:
    report: LedgerReport
    mode: str | None  # None: a dry run
    written: int = 0
    refused: bool = False  # all_or_nothing with bad rows: nothing written
    codes: tuple[str, str] | None = None  # first and last code written


# --- 1. the file --------------------------------------------------------------------------------


def _mb(n: int) -> str:
    return f"{n / 1024 / 1024:,.0f} MB"


def inspect_ledger(path: str | Path) -> int | None:
    """Refuse anything that is not a safe .xlsx, from the zip's table of contents alone;
    return the number of data rows the first sheet declares (None when it declares none)."""
    with open(path, "rb") as handle:
        head = handle.read(8)
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise LedgerFileError(_("这是旧版 Excel 97-2003 (.xls) 文件，请在 Excel 中“另存为”.xlsx 格式后再导入。"))
    if not zipfile.is_zipfile(path):
        raise LedgerFileError(_("文件不是 Excel 工作簿 (.xlsx)，请使用下载的模板填写后上传。"))
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
            names = {info.filename for info in infos}
            if "xl/workbook.xml" not in names or "[Content_Types].xml" not in names:
                raise LedgerFileError(_("文件是压缩包而不是 Excel 工作簿 (.xlsx)，请使用下载的模板填写后上传。"))
            if len(infos) > MAX_PARTS:
                raise LedgerFileError(_("文件内部结构异常（%(n)s 个部件），已拒绝。") % {"n": len(infos)})
            sheets = [info for info in infos if SHEET_PART_RE.fullmatch(info.filename)]
            if not sheets:
                raise LedgerFileError(_("工作簿中没有工作表。"))
            declared = None
            for info in sheets:
                # the row count a sheet declares, from its first bytes (a few KB decompressed)
                with archive.open(info) as part:
                    match = DIMENSION_RE.search(part.read(4096))
                rows = int(match.group(1) or 1) - 1 if match else None
                if rows is not None:
                    declared = max(declared or 0, rows)
                if rows is not None and rows > MAX_ROWS:
                    raise LedgerFileError(
                        _("文件有 %(rows)s 行数据，超过单次导入上限 %(max)s 行，请拆分为多个文件后分批导入。")
                        % {"rows": f"{rows:,}", "max": f"{MAX_ROWS:,}"}
                    )
            total = 0
            for info in infos:
                limit = MAX_SHEET_BYTES if SHEET_PART_RE.fullmatch(info.filename) else MAX_PART_BYTES
                if info.file_size > limit:
                    raise LedgerFileError(
                        _("文件解压后过大（%(part)s 解压后 %(size)s，上限 %(max)s），疑似压缩炸弹，已拒绝。")
                        % {"part": info.filename, "size": _mb(info.file_size), "max": _mb(limit)}
                    )
                total += info.file_size
            if total > MAX_TOTAL_BYTES:
                raise LedgerFileError(
                    _("文件解压后共 %(size)s，超过上限 %(max)s，疑似压缩炸弹，已拒绝。")
                    % {"size": _mb(total), "max": _mb(MAX_TOTAL_BYTES)}
                )
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, EOFError):
        raise LedgerFileError(_("文件已损坏，无法作为 Excel 工作簿 (.xlsx) 读取。")) from None
    return declared


def _header_map(header: tuple) -> dict[str, int]:
    """{field key: column index}; LedgerFileError naming what is wrong and what is expected."""
    found: dict[str, int] = {}
    unknown, duplicated = [], []
    for index, value in enumerate(header):
        text = str(value).strip().rstrip("*＊").strip() if value is not None else ""
        if not text:
            continue
        column = HEADERS.get(text)
        if column is None:
            unknown.append(text)
        elif column.key in found:
            duplicated.append(text)
        else:
            found[column.key] = index
    missing = [column.header for column in LEDGER_COLUMNS if column.required and column.key not in found]
    if unknown or missing or duplicated:
        details = []
        if missing:
            details.append(_("缺少必填列：%(cols)s") % {"cols": "、".join(missing)})
        if unknown:
            details.append(_("无法识别的列：%(cols)s") % {"cols": "、".join(unknown)})
        if duplicated:
            details.append(_("重复的列：%(cols)s") % {"cols": "、".join(duplicated)})
        details.append(
            _("表头应为：%(cols)s（其中%(required)s为必填）")
            % {
                "cols": "、".join(c.header for c in LEDGER_COLUMNS if c.importable),
                "required": "、".join(c.header for c in LEDGER_COLUMNS if c.required),
            }
        )
        raise LedgerFileError(_("第 1 行表头与模板不符，请使用下载的模板。"), details)
    return found


# Reading the workbook. openpyxl's read-only mode builds a Python object per cell and, for a
# sheet without a <dimension>, parses the whole sheet twice: about 0.5 ms per row, too slow for
# 100,000 rows in a minute. ``SheetReader`` streams the sheet with lxml (C) and keeps only what
# the ledger needs: shared and inline strings, numbers, booleans, dates (numbers in a date
# format, per styles.xml, with openpyxl's own date rules), formulas (as "=" + the formula).

SPREADSHEET_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
RELS_NS = "{http://schemas.openxmlformats.org/package/2006/relationships}"
DOC_RELS_NS = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
# Built-in number formats that are dates or times: the standard ones and the CJK locales'.
DATE_FORMAT_IDS = frozenset([*range(14, 23), *range(27, 37), 45, 46, 47, *range(50, 59)])
XML_OPTIONS = {"resolve_entities": False, "no_network": True, "load_dtd": False, "huge_tree": False}
_COLUMN_INDEX: dict[str, int] = {}


def _column_index(ref: str) -> int:
    """ "AB12" -> 27 (zero-based), cached per column letters."""
    letters = ref.rstrip("0123456789")
    index = _COLUMN_INDEX.get(letters)
    if index is None:
        index = 0
        for ch in letters:
            index = index * 26 + ord(ch) - 64
        index -= 1
        _COLUMN_INDEX[letters] = index
    return index


def _free(element, count: int) -> None:
    """Empty a parsed element; every 1,000th call also drops the emptied ones before it, so
    memory stays flat whatever the sheet (deleting on every call costs more than parsing)."""
    element.clear()
    if count % 1000 == 0:
        parent = element.getparent()
        if parent is not None:
            del parent[: parent.index(element)]


class SheetReader:
    """The rows of one worksheet of a (checked) .xlsx, as (row number, values)."""

    def __init__(self, path: str | Path, sheet_name: str | None = None):
        self.archive = zipfile.ZipFile(path)
        try:
            parts = self._workbook_parts()
            self.sheet_part = parts["sheets"].get(sheet_name) or parts["first"]
            self.date1904 = parts["date1904"]
            self.shared = self._shared_strings(parts["shared"])
            self.date_styles = self._date_styles(parts["styles"])
        except BaseException:
            self.archive.close()
            raise

    def close(self) -> None:
        self.archive.close()

    def _xml(self, name: str):
        return etree.fromstring(self.archive.read(name), etree.XMLParser(**XML_OPTIONS))

    def _workbook_parts(self) -> dict:
        workbook = self._xml("xl/workbook.xml")
        targets, kinds = {}, {}
        if "xl/_rels/workbook.xml.rels" in self.archive.namelist():
            for rel in self._xml("xl/_rels/workbook.xml.rels").iter(f"{RELS_NS}Relationship"):
                target = rel.get("Target", "")
                target = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
                targets[rel.get("Id")] = target
                kinds[rel.get("Type", "").rsplit("/", 1)[-1]] = target
        sheets = {}
        for sheet in workbook.iter(f"{SPREADSHEET_NS}sheet"):
            target = targets.get(sheet.get(f"{DOC_RELS_NS}id"))
            if target:
                sheets.setdefault(sheet.get("name"), target)
        if not sheets:
            raise LedgerFileError(_("工作簿中没有工作表。"))
        properties = workbook.find(f"{SPREADSHEET_NS}workbookPr")
        date1904 = properties is not None and properties.get("date1904", "").lower() in ("1", "true")
        return {
            "sheets": sheets,
            "first": next(iter(sheets.values())),
            "date1904": date1904,
            "shared": kinds.get("sharedStrings", "xl/sharedStrings.xml"),
            "styles": kinds.get("styles", "xl/styles.xml"),
        }

    def _shared_strings(self, name: str) -> list[str]:
        if name not in self.archive.namelist():
            return []
        strings = []
        t_tag, rph_tag = f"{SPREADSHEET_NS}t", f"{SPREADSHEET_NS}rPh"
        with self.archive.open(name) as part:
            for count, (_event, item) in enumerate(
                etree.iterparse(part, tag=f"{SPREADSHEET_NS}si", **XML_OPTIONS), start=1
            ):
                if len(item) == 1 and item[0].tag == t_tag:  # plain text, the common case
                    strings.append(item[0].text or "")
                else:  # rich text runs joined; phonetic guides (<rPh>) left out
                    strings.append("".join(t.text or "" for t in item.iter(t_tag) if t.getparent().tag != rph_tag))
                _free(item, count)
        return strings

    def _date_styles(self, name: str) -> frozenset[int]:
        if name not in self.archive.namelist():
            return frozenset()
        styles = self._xml(name)
        custom = {
            int(fmt.get("numFmtId", -1)): fmt.get("formatCode", "") for fmt in styles.iter(f"{SPREADSHEET_NS}numFmt")
        }
        cell_formats = styles.find(f"{SPREADSHEET_NS}cellXfs")
        dates = set()
        for index, xf in enumerate(cell_formats if cell_formats is not None else ()):
            fmt_id = int(xf.get("numFmtId", 0))
            code = custom.get(fmt_id)
            if (code is not None and is_date_format(code)) or (code is None and fmt_id in DATE_FORMAT_IDS):
                dates.add(index)
        return frozenset(dates)

    def rows(self) -> Iterator[tuple[int, tuple]]:
        ns = SPREADSHEET_NS
        c_tag, v_tag, f_tag, is_tag, t_tag = f"{ns}c", f"{ns}v", f"{ns}f", f"{ns}is", f"{ns}t"
        shared = self.shared
        date_styles = {str(index) for index in self.date_styles}  # compared with the raw s="..."
        epoch = MAC_EPOCH if self.date1904 else WINDOWS_EPOCH
        number = count = 0
        with self.archive.open(self.sheet_part) as part:
            for _event, row in etree.iterparse(part, tag=f"{ns}row", **XML_OPTIONS):
                count += 1
                number = int(row.get("r") or number + 1)
                values: list = []
                position = 0
                for cell in row:  # <c> elements; a cell's first child says what it holds
                    if cell.tag != c_tag:
                        continue
                    ref = cell.get("r")
                    if ref:  # "B12": one letter is the common case
                        position = ord(ref[0]) - 65 if ref[1] <= "9" else _column_index(ref)
                    value = None
                    for child in cell:
                        tag = child.tag
                        if tag == v_tag:
                            raw = child.text or ""
                            kind = cell.get("t")
                            if kind == "s":
                                value = shared[int(raw)]
                            elif kind is None or kind == "n":
                                try:
                                    value = int(raw)
                                except ValueError:
                                    value = float(raw)
                                if cell.get("s") in date_styles:
                                    value = from_excel(value, epoch)
                            elif kind == "b":
                                value = raw.strip() in ("1", "true")
                            elif kind == "d":
                                value = dt.datetime.fromisoformat(raw.strip())
                            else:  # "str" (a formula's result: the <f> comes first), "e" (an error)
                                value = raw
                        elif tag == is_tag:
                            only = child[0] if len(child) == 1 else None
                            value = (
                                (only.text or "")
                                if only is not None and only.tag == t_tag
                                else "".join(child.itertext(t_tag))
                            )
                        elif tag == f_tag:
                            value = "=" + (child.text or "")  # reported as a formula, never evaluated
                        else:
                            continue  # <extLst> and the like
                        break
                    filled = len(values)
                    if position == filled:
                        values.append(value)
                    elif position > filled:
                        values.extend([None] * (position - filled))
                        values.append(value)
                    else:
                        values[position] = value
                    position += 1
                _free(row, count)
                yield number, tuple(values)


def read_ledger(path: str | Path) -> tuple[dict[str, int], Iterator[tuple[int, tuple]], Callable[[], None]]:
    """(header map, (row number, values) for every data row, close). Call ``inspect_ledger``
    first: it is what makes opening the workbook safe."""
    try:
        reader = SheetReader(path, LEDGER_SHEET)
    except LedgerFileError:
        raise
    except Exception as exc:  # a damaged workbook fails in many ways
        logger.info("ledger: unreadable workbook %s: %r", path, exc)
        raise LedgerFileError(_("文件已损坏或不是有效的 Excel 工作簿，无法读取。")) from None
    try:
        rows = _guarded(reader.rows())
        first = next(rows, None)
        if first is None or first[0] != 1 or not any(v not in (None, "") for v in first[1]):
            raise LedgerFileError(_("文件第 1 行应为表头（问题编号、问题标题……），请使用下载的模板。"))
        columns = _header_map(first[1])
    except BaseException:
        reader.close()
        raise
    return columns, rows, reader.close


def _guarded(rows: Iterator) -> Iterator:
    """A sheet that turns out malformed halfway is reported as a damaged file."""
    try:
        yield from rows
    except (etree.XMLSyntaxError, ValueError, IndexError, KeyError, OverflowError, zipfile.BadZipFile) as exc:
        logger.info("ledger: malformed sheet: %r", exc)
        raise LedgerFileError(_("文件已损坏或不是有效的 Excel 工作簿，无法读取。")) from None


# --- 2. every row -----------------------------------------------------------------------------


class Lookups:
    """Everything a row is checked against, read once: a few queries per import."""

    AMBIGUOUS = object()

    def __init__(self, actor):
        self.actor = actor
        province_wide = is_province_wide(actor)
        scope_path = actor.region.path if actor.region_id else None
        self.regions = {}  # code -> (name, in scope)
        for code, name, path in Region.objects.values_list("code", "name", "path"):
            self.regions[code] = (name, bool(scope_path) and (province_wide or path.startswith(scope_path)))
        units = Unit.objects.filter(region__path__startswith=scope_path) if scope_path else Unit.objects.none()
        self.units = {(region, name.strip()): pk for pk, region, name in units.values_list("pk", "region_id", "name")}
        self.categories: dict[str, object] = {}
        rows = list(Category.objects.filter(active=True).values_list("pk", "code", "name", "parent__name"))
        for pk, code, name, parent in rows:
            self.categories[code] = pk
            key = name.strip()
            self.categories[key] = self.AMBIGUOUS if key in self.categories else pk
            if parent:
                self.categories[f"{parent}/{key}"] = pk
        self.domains = {}
        for pk, code, name in EnforcementDomain.objects.filter(active=True).values_list("pk", "code", "name"):
            self.domains[code] = self.domains[name] = pk
        self.sources = _choices(Problem.Source.choices)
        self.severities = _choices(Problem.Severity.choices)
        self.yes_no = YesNoWidget()
        self.today = timezone.localdate()


def _choices(choices) -> dict[str, str]:
    return {str(label): value for value, label in choices} | {value: value for value, _label in choices}


# Cleaners: a raw cell in, a clean value out, or CellError with the message for that cell.


def _normalise(text: str) -> str:
    """A text cell as the ledger means it: trimmed, the export's neutralising apostrophe undone
    ("'=1+1" was written for "=1+1"). Done once per cell as the row is read."""
    text = text.strip()
    if text[:1] == "'" and text[1:2] and text[1] in FORMULA_PREFIXES:
        text = text[1:]
    return text


def _text(raw) -> str:
    if raw.__class__ is str:
        return raw  # already normalised
    if raw is None:
        return ""
    if isinstance(raw, float) and raw.is_integer():
        return str(int(raw))
    if isinstance(raw, dt.datetime | dt.date):
        raise CellError(_("应为文字，不是日期"))
    return str(raw)


def _required(raw) -> str:
    text = raw if raw.__class__ is str else _text(raw)
    if not text:
        raise CellError(_("必填，不能为空"))
    return text


def _limited(raw, limit: int, required: bool = False) -> str:
    text = raw if raw.__class__ is str else _text(raw)
    if required and not text:
        raise CellError(_("必填，不能为空"))
    if len(text) > limit:
        raise CellError(_("超过 %(n)s 个字") % {"n": limit})
    return text


def _code(raw) -> str:
    code = _limited(raw, TEXT_LIMITS["code"])
    if any(ch.isspace() for ch in code):
        raise CellError(_("问题编号不能含有空格"))
    return code


def _pick(raw, table: dict, what: str, options: str, default: str | None = None) -> str:
    text = _text(raw)
    if not text and default is not None:
        return default
    if text not in table:
        raise CellError(
            _("%(what)s“%(value)s”无效，可选：%(options)s") % {"what": what, "value": text, "options": options}
        )
    return table[text]


def _date(raw, what: str) -> dt.date | None:
    try:
        day = parse_ledger_date(raw)
    except (ValueError, TypeError, OverflowError):
        raise CellError(
            _("%(what)s“%(value)s”不是有效日期，请填写如 2024-03-05 或 2024年3月5日") % {"what": what, "value": raw}
        ) from None
    if day is not None and not dt.date(2000, 1, 1) <= day <= dt.date(2099, 12, 31):
        raise CellError(_("%(what)s %(day)s 超出合理范围") % {"what": what, "day": day})
    return day


def _category(raw, look: Lookups) -> int:
    key = _required(raw)
    if "/" in key or "／" in key:
        key = re.sub(r"\s*[/／]\s*", "/", key)
    found = look.categories.get(key)
    if found is None:
        raise CellError(_("问题类别“%(v)s”不存在（见模板“填写说明”中的类别清单）") % {"v": key})
    if found is Lookups.AMBIGUOUS:
        raise CellError(_("问题类别“%(v)s”有多个，请写成“上级类别 / %(v)s”或填写类别代码") % {"v": key})
    return found


def _region(raw, look: Lookups) -> str:
    code = _required(raw)
    known = look.regions.get(code)
    if known is None:
        raise CellError(_("区划代码“%(v)s”不存在，应为 6 位行政区划代码，如 410105") % {"v": code})
    name, in_scope = known
    if not in_scope:
        raise CellError(_("区划 %(code)s（%(name)s）不在您的管辖范围内") % {"code": code, "name": name})
    return code


def _unit(raw, look: Lookups, region_id: str | None) -> int | None:
    name = _required(raw)
    if region_id is None:
        return None  # the region's own error says why
    pk = look.units.get((region_id, name))
    if pk is None:
        raise CellError(
            _("区划 %(code)s（%(region)s）下没有名为“%(name)s”的单位")
            % {"code": region_id, "region": look.regions[region_id][0], "name": name}
        )
    return pk


def _domain(raw, look: Lookups) -> int:
    name = _required(raw)
    if name not in look.domains:
        raise CellError(_("执法领域“%(v)s”不存在（见模板“填写说明”）") % {"v": name})
    return look.domains[name]


def _yes_no(raw, look: Lookups) -> bool:
    try:
        return look.yes_no.clean(raw)
    except ValueError as exc:
        raise CellError(str(exc)) from None


class _Row:
    """One data row being checked: each clean value, or an error on its column."""

    __slots__ = ("number", "raw", "report")

    def __init__(self, report: LedgerReport, number: int, raw: dict):
        self.report, self.number, self.raw = report, number, raw

    def get(self, key: str, clean, *args):
        if key not in self.raw:
            return None  # an optional column the file leaves out, or a formula already reported
        try:
            return clean(self.raw[key], *args)
        except CellError as exc:
            self.report.add(self.number, HEADER_OF[key], str(exc))
            return None

    def fail(self, key: str, message: str) -> None:
        self.report.add(self.number, HEADER_OF[key], message)


def validate_ledger(*, actor, path: str | Path, progress: Callable[[int], None] | None = None) -> LedgerReport:
    """The dry run: check the file and every row; write nothing."""
    inspect_ledger(path)
    columns, rows, close = read_ledger(path)
    try:
        return _validate_rows(actor, columns, rows, progress)
    finally:
        close()


def _is_blank(values: tuple) -> bool:
    return all(v is None or (isinstance(v, str) and not v.strip()) for v in values)


def _validate_rows(actor, columns: dict[str, int], rows, progress) -> LedgerReport:
    look = Lookups(actor)
    report = LedgerReport()
    seen_codes: dict[str, int] = {}
    sources = "、".join(str(label) for _v, label in Problem.Source.choices)
    severities = "、".join(str(label) for _v, label in Problem.Severity.choices)
    importable = [(c.key, columns[c.key]) for c in LEDGER_COLUMNS if c.importable and c.key in columns]
    width = max(index for _k, index in importable) + 1
    title_index = columns["title"]
    formula = _("单元格含有公式，请改为直接填写数值或文字（复制后“选择性粘贴 → 值”）")
    labels = {"source": _("发现渠道"), "severity": _("严重程度"), "found_on": _("发现日期"), "deadline": _("整改期限")}
    general = Problem.Severity.GENERAL

    for number, values in rows:
        if len(values) < width:
            values = (*values, *(None,) * (width - len(values)))
        if _is_blank(values):
            continue  # blank rows (Excel keeps formatted ones) are not data
        title_raw = values[title_index]
        if isinstance(title_raw, str) and title_raw.strip().startswith(SAMPLE_PREFIX):
            report.sample_rows += 1
            continue
        report.total_rows += 1
        if report.total_rows > MAX_ROWS:
            raise LedgerFileError(
                _("文件数据超过单次导入上限 %(max)s 行（第 %(row)s 行仍有数据），请拆分为多个文件后分批导入。")
                % {"max": f"{MAX_ROWS:,}", "row": f"{number:,}"}
            )
        if progress and report.total_rows % PROGRESS_EVERY == 0:
            progress(report.total_rows)

        errors_before = report.error_count
        raw = {}
        for key, index in importable:
            value = values[index]
            if value.__class__ is str:
                if value[:1] == "=":
                    report.add(number, HEADER_OF[key], formula)
                    continue
                value = _normalise(value)
            raw[key] = value
        row = _Row(report, number, raw)

        code = row.get("code", _code) or ""
        if code:
            first = seen_codes.setdefault(code, number)
            if first != number:
                row.fail("code", _("问题编号 %(code)s 与第 %(row)s 行重复") % {"code": code, "row": first})
        title = row.get("title", _limited, TEXT_LIMITS["title"], True)
        description = row.get("description", _text) or ""
        category_id = row.get("category", _category, look)
        source = row.get("source", _pick, look.sources, labels["source"], sources)
        severity = row.get("severity", _pick, look.severities, labels["severity"], severities, general)
        region_id = row.get("region", _region, look)
        unit_id = row.get("unit", _unit, look, region_id)
        domain_id = row.get("domain", _domain, look)
        is_key = bool(row.get("is_key", _yes_no, look))
        people = [row.get(key, _limited, TEXT_LIMITS[key]) or "" for key in PEOPLE]
        found_on = row.get("found_on", _date, labels["found_on"])
        if found_on and found_on > look.today:
            row.fail("found_on", _("发现日期 %(d)s 晚于今天") % {"d": found_on})
        deadline = row.get("deadline", _date, labels["deadline"])
        found_on = found_on or look.today
        if deadline and deadline < found_on:
            row.fail("deadline", _("整改期限 %(d)s 早于发现日期 %(f)s") % {"d": deadline, "f": found_on})

        if report.error_count == errors_before:
            status = Problem.Status.ASSIGNED if deadline else Problem.Status.REGISTERED
            values = (code, title, description, category_id, source, severity or Problem.Severity.GENERAL)
            values += (region_id, unit_id, domain_id, is_key, *people, status, deadline, found_on)
            report.rows.append((number, values))

    # codes already in the database: one query for the whole file
    taken = _existing_codes(list(seen_codes))
    if taken:
        for code in sorted(taken, key=seen_codes.get):
            report.add(seen_codes[code], HEADER_OF["code"], _("问题编号 %(code)s 已存在于系统中") % {"code": code})
        report.rows = [(number, values) for number, values in report.rows if values[0] not in taken]
    report.errors.sort(key=lambda e: e.row)
    if progress and report.total_rows % PROGRESS_EVERY:
        progress(report.total_rows)
    return report


def _existing_codes(codes: list[str]) -> set[str]:
    if not codes:
        return set()
    with connection.cursor() as cursor:
        cursor.execute("SELECT code FROM cases_problem WHERE code = ANY(%s)", [codes])
        return {code for (code,) in cursor.fetchall()}


# --- 3. writing -----------------------------------------------------------------------------


def ledger_import(
    *,
    actor,
    path: str | Path,
    mode: str | None,
    source_name: str = "",
    progress: Callable[[int], None] | None = None,
    before_write: Callable[[], None] | None = None,
    job_id: int | None = None,
) -> ImportOutcome:
    """Check the whole file, then (``mode`` given) write in one transaction: the valid rows
    (``valid_only``) or every row and only if all are valid (``all_or_nothing``).
    ``mode=None`` is the dry run. LedgerFileError when the file itself is refused."""
    if not has_cap(actor, Cap.EDIT_RECORDS) or not actor.region_id:
        raise PermissionDenied
    if mode is not None and mode not in ImportJob.Mode.values:
        raise ValidationError({"mode": _("未知的写入方式。")})
    report = validate_ledger(actor=actor, path=path, progress=progress)
    outcome = ImportOutcome(report=report, mode=mode)
    if mode is None:
        return outcome
    summary = {
        "file": source_name,
        "mode": mode,
        "rows": report.total_rows,
        "valid_rows": report.valid_rows,
        "bad_rows": len(report.bad_rows),
        "errors": report.error_count,
        **({"job": job_id} if job_id else {}),
    }
    if (mode == ImportJob.Mode.ALL_OR_NOTHING and report.bad_rows) or not report.rows:
        outcome.refused = True
        with transaction.atomic():
            audit_record(
                actor=actor,
                action="problem.import",
                object_type="cases.problem",
                changes={**summary, "written": 0},
                outcome=AuditEvent.Outcome.FAILED,
            )
        return outcome
    if before_write:
        before_write()
    with transaction.atomic():
        blanks = sum(1 for _number, values in report.rows if not values[0])
        fresh = iter(next_problem_codes(blanks)) if blanks else iter(())
        now = timezone.now()
        constants = (1, False, 1, actor.pk, now, now)
        first = last = None
        ids = iter(reserve_ids(Problem, len(report.rows)))
        rules = requirements.active_rules()
        status_at = ROW_FIELDS.index("status")
        severity_at, key_at = ROW_FIELDS.index("severity"), ROW_FIELDS.index("is_key")
        deadline_at = ROW_FIELDS.index("deadline")
        assigned = Problem.Status.ASSIGNED
        history: list[tuple] = []

        def copy_source():
            nonlocal first, last
            for _number, values in report.rows:
                pk = next(ids)
                code = values[0] or next(fresh)
                first = first or code
                last = code
                row = (code, *values[1:])
                history.append((now, actor, "problem.register", pk, {}))
                if row[status_at] == assigned:
                    facts = requirements.Facts(problem_id=pk, severity=row[severity_at], is_key=row[key_at])
                    if requirements.unmet_of(rules, "assign", facts):
                        row = (*row[:status_at], Problem.Status.REGISTERED, *row[status_at + 1 :])
                    else:
                        changes = {
                            "status": ["registered", "assigned"],
                            "deadline": [None, row[deadline_at].isoformat()],
                        }
                        history.append((now, actor, "problem.assign", pk, changes))
                yield (pk, *row, *constants)

        outcome.written = copy_rows(Problem, COPY_COLUMNS, copy_source())
        outcome.codes = (first, last)
        problem_events_copy(history)
        audit_record(
            actor=actor,
            action="problem.import",
            object_type="cases.problem",
            changes={**summary, "written": outcome.written, "codes": [first, last]},
        )
    return outcome


# --- jobs: an upload, its preview, the user's choice, the result --------------------------------


def import_job_create(*, actor, upload) -> ImportJob:
    """Store the upload under MEDIA_ROOT/imports/ and check it: during the request for a small
    file, by the Celery task for a large one. A refused file ends the job at once."""
    if not has_cap(actor, Cap.EDIT_RECORDS) or not actor.region_id:
        raise PermissionDenied
    if upload.size > MAX_UPLOAD_BYTES:
        raise ValidationError(
            {"file": _("文件 %(size)s，超过上限 %(max)s。") % {"size": _mb(upload.size), "max": _mb(MAX_UPLOAD_BYTES)}}
        )
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    job = ImportJob(user=actor, region_id=actor.region_id, original_name=upload.name[:200], sha256=digest.hexdigest())
    job.file.save(f"{uuid.uuid4().hex}.xlsx", upload, save=False)  # never the user's own file name
    job.save()
    try:
        declared = inspect_ledger(job.file.path)
    except LedgerFileError as exc:
        _finish(job, ImportJob.Status.REFUSED, message=_report_message(exc))
        return job
    if declared is not None:
        ImportJob.objects.filter(pk=job.pk).update(total_rows=declared)
    _start(job.pk, declared)
    job.refresh_from_db()
    return job


def _start(job_id: int, rows: int | None) -> None:
    """Inline for a small file (the request waits a second or two), else the Celery task."""
    if rows is not None and rows <= INLINE_MAX_ROWS:
        import_job_run(job_id)
        return
    from cases.tasks import ledger_import_run

    transaction.on_commit(lambda: ledger_import_run.delay(job_id))


def import_job_commit(*, actor, job_id: int, mode: str) -> ImportJob:
    """The user's choice after the preview: write the valid rows, or all or nothing."""
    job = get_visible_or_404(ImportJob, actor, Cap.EDIT_RECORDS, pk=job_id)
    if job.user_id != actor.pk:
        raise OutOfScope  # only the uploader writes their own file
    if mode not in ImportJob.Mode.values:
        raise ValidationError({"mode": _("请选择写入方式。")})
    claimed = ImportJob.objects.filter(pk=job.pk, status=ImportJob.Status.PREVIEWED, mode="").update(
        status=ImportJob.Status.QUEUED, mode=mode, validated_rows=0, updated_at=timezone.now()
    )
    if not claimed:
        raise ConflictError(_("该导入已经确认过或仍在校验中，请刷新页面。"))
    _start(job.pk, job.total_rows)
    job.refresh_from_db()
    return job


def import_job_run(job_id: int) -> ImportJob | None:
    """Check (and, once a mode is chosen, write) one job's file. The Celery task calls this
    with the id; a missing job, or one another worker holds, is left alone."""
    now = timezone.now()
    claimed = (
        ImportJob.objects.filter(pk=job_id)
        .filter(
            Q(status=ImportJob.Status.QUEUED)
            | Q(status__in=[ImportJob.Status.VALIDATING, ImportJob.Status.WRITING], updated_at__lt=now - STALE_AFTER)
        )
        .update(status=ImportJob.Status.VALIDATING, validated_rows=0, updated_at=now)
    )
    if not claimed:
        return None
    job = ImportJob.objects.select_related("user__region").get(pk=job_id)
    actor = job.user
    if not actor.is_active or not has_cap(actor, Cap.EDIT_RECORDS) or actor.region_id != job.region_id:
        return _finish(job, ImportJob.Status.FAILED, message=_("导入人的账号或权限已变更，未写入任何数据。"))

    def progress(rows: int) -> None:
        ImportJob.objects.filter(pk=job_id).update(
            validated_rows=rows, total_rows=max(rows, job.total_rows), updated_at=timezone.now()
        )

    def before_write() -> None:
        ImportJob.objects.filter(pk=job_id).update(status=ImportJob.Status.WRITING, updated_at=timezone.now())

    try:
        outcome = ledger_import(
            actor=actor,
            path=job.file.path,
            mode=job.mode or None,
            source_name=job.original_name,
            progress=progress,
            before_write=before_write,
            job_id=job.pk,
        )
    except LedgerFileError as exc:
        return _finish(job, ImportJob.Status.REFUSED, message=_report_message(exc))
    except IntegrityError:
        logger.warning("ledger import job %s: integrity error while writing", job_id, exc_info=True)
        return _finish(
            job, ImportJob.Status.FAILED, message=_("写入时问题编号与刚导入的数据冲突，未写入任何数据，请重新导入。")
        )
    except Exception:
        logger.exception("ledger import job %s failed", job_id)
        _finish(job, ImportJob.Status.FAILED, message=_("导入失败（服务器错误），未写入任何数据。"))
        raise
    report = outcome.report
    fields = {
        "total_rows": report.total_rows,
        "validated_rows": report.total_rows,
        "valid_rows": report.valid_rows,
        "error_count": report.error_count,
        "errors": [error.as_dict() for error in report.errors],
        "written_rows": outcome.written,
    }
    if outcome.mode is None:
        return _finish(job, ImportJob.Status.PREVIEWED, **fields)
    if outcome.refused:
        message = (
            _("有 %(n)s 行不符合要求，按“全部有效才写入”未写入任何数据。") % {"n": len(report.bad_rows)}
            if report.bad_rows
            else _("文件中没有可写入的数据行。")
        )
        return _finish(job, ImportJob.Status.REFUSED, message=message, **fields)
    message = _("已写入 %(n)s 行（问题编号 %(first)s 至 %(last)s）。") % {
        "n": f"{outcome.written:,}",
        "first": outcome.codes[0],
        "last": outcome.codes[1],
    }
    if report.bad_rows:
        message += " " + _("另有 %(n)s 行不符合要求，未写入。") % {"n": len(report.bad_rows)}
    return _finish(job, ImportJob.Status.DONE, message=message, **fields)


def _report_message(exc: LedgerFileError) -> str:
    return "\n".join([exc.message, *exc.details])


def _finish(job: ImportJob, status: str, **fields) -> ImportJob:
    """Record how the job ended; a file that will not be read again is deleted."""
    now = timezone.now()
    final = status != ImportJob.Status.PREVIEWED
    if final and job.file:
        job.file.delete(save=False)
        fields["file"] = ""
    ImportJob.objects.filter(pk=job.pk).update(
        status=status, updated_at=now, finished_at=now if final else None, **fields
    )
    job.refresh_from_db()
    return job
