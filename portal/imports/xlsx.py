"""Reading uploaded Excel workbooks (.xlsx) safely and fast: the ground floor of every import.

Any app that imports a ledger (the problem list today; case data and third-party survey results
next) reads its file through here:

1. ``inspect_workbook``: a real .xlsx (a zip holding a workbook), no part that would decompress
   beyond the caps (zip bombs are refused from the zip's own table of contents, before any XML
   is parsed), at most ``max_rows`` data rows.
2. ``open_sheet`` / ``SheetReader``: the sheet streamed with lxml (entities never expanded,
   no network, no DTD), memory flat whatever its size; values as Python ints, floats, bools,
   datetimes (numbers in a date format) and str; formulas as "=" + the formula, never evaluated.
3. ``LedgerFileError`` refuses the file as a whole with a message for the user; ``CellError`` and
   ``RowError`` are what an app's row checks raise and report, cell by cell.
"""

from __future__ import annotations

import datetime as dt
import itertools
import logging
import re
import unicodedata
import zipfile
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from django.utils.translation import gettext as _
from lxml import etree
from openpyxl.styles.numbers import is_date_format
from openpyxl.utils.datetime import MAC_EPOCH, WINDOWS_EPOCH, from_excel

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
MAX_ROWS = 200_000  # data rows in one import, unless the caller says otherwise
OLE_MAGIC = b"\xd0\xcf\x11\xe0"
TRAILING_NOTE_RE = re.compile(r"(\([^()]*\)|\[[^\[\]]*\]|【[^【】]*】)$")
FORMULA_LEADING = " \t\r\n\x0b\x0c\u3000\u00a0"
FORMULA_BODY_RE = re.compile(r"([A-Za-z_][\w.]*\s*\(|\$?[A-Za-z]{1,3}\$?\d+)")
DDE_RE = re.compile(r"[A-Za-z]+\|")
HEADER_SCAN_ROWS = 10  # a header is looked for in the first rows (title rows above it are common)
SHEET_PART_RE = re.compile(r"xl/worksheets/[^/]+\.xml")
DIMENSION_RE = re.compile(rb"<(?:\w+:)?dimension\s+ref=\"[A-Z]{1,3}\d+(?::[A-Z]{1,3}(\d+))?\"")


class LedgerFileError(Exception):
    """The file as a whole is refused; ``details`` are extra lines for the report."""

    def __init__(self, message: str, details=()):
        super().__init__(str(message))
        self.message = str(message)
        self.details = [str(d) for d in details]


class CellError(ValueError):
    pass


class ReadLimitReached(Exception):
    """More rows than a caller's read limit (see ``bounded``)."""


@dataclass(frozen=True)
class RowError:
    row: int  # the spreadsheet's row number (the header is row 1)
    column: str  # the column's header
    message: str

    def as_dict(self) -> dict:
        return {"row": self.row, "column": self.column, "message": self.message}


def megabytes(n: int) -> str:
    return f"{n / 1024 / 1024:,.0f} MB"


def _is_encrypted_package(path: str | Path) -> bool:
    """An OLE file holding Office's encrypted OOXML: the directory names its streams in
    UTF-16; looking for them in the bytes is enough to tell it from an .xls (which has none)."""
    with open(path, "rb") as handle:
        data = handle.read(MAX_UPLOAD_BYTES)
    return any(name.encode("utf-16-le") in data for name in ("EncryptionInfo", "EncryptedPackage"))


def _has_macros(archive: zipfile.ZipFile, names: set[str]) -> bool:
    """A macro-enabled workbook (.xlsm, .xltm) renamed .xlsx: a VBA project part, or a
    content type that says so. Such a file is refused before its parts are kept anywhere."""
    if any(name.lower().endswith("vbaproject.bin") for name in names):
        return True
    with archive.open("[Content_Types].xml") as part:
        types = part.read(MAX_PART_BYTES).lower()
    return b"macroenabled" in types or b"vbaproject" in types


def inspect_workbook(path: str | Path, *, max_rows: int = MAX_ROWS) -> int | None:
    """Refuse anything that is not a safe .xlsx, from the zip's table of contents alone;
    return the number of data rows the largest sheet declares (None when none declares any)."""
    with open(path, "rb") as handle:
        head = handle.read(8)
    if head.startswith(OLE_MAGIC):
        # An OLE compound file: an old .xls, or an .xlsx with an open password (Excel wraps the
        # encrypted package in one, beside an "EncryptionInfo" stream).
        if _is_encrypted_package(path):
            raise LedgerFileError(
                _("文件设置了打开密码（已加密），无法读取。请在 Excel 中取消密码（文件 → 信息 → 保护工作簿）后再导入。")
            )
        raise LedgerFileError(_("这是旧版 Excel 97-2003 (.xls) 文件，请在 Excel 中“另存为”.xlsx 格式后再导入。"))
    if not zipfile.is_zipfile(path):
        raise LedgerFileError(_("文件不是 Excel 工作簿 (.xlsx)，请使用下载的模板填写后上传。"))
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
            names = {info.filename for info in infos}
            if "xl/workbook.xml" not in names or "[Content_Types].xml" not in names:
                raise LedgerFileError(_("文件是压缩包而不是 Excel 工作簿 (.xlsx)，请使用下载的模板填写后上传。"))
            if _has_macros(archive, names):
                raise LedgerFileError(
                    _("文件含有宏（VBA），不能导入。请在 Excel 中另存为“Excel 工作簿 (*.xlsx)”后再导入。")
                )
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
                if rows is not None and rows > max_rows:
                    raise LedgerFileError(
                        _("文件有 %(rows)s 行数据，超过单次导入上限 %(max)s 行，请拆分为多个文件后分批导入。")
                        % {"rows": f"{rows:,}", "max": f"{max_rows:,}"}
                    )
            total = 0
            for info in infos:
                limit = MAX_SHEET_BYTES if SHEET_PART_RE.fullmatch(info.filename) else MAX_PART_BYTES
                if info.file_size > limit:
                    raise LedgerFileError(
                        _("文件解压后过大（%(part)s 解压后 %(size)s，上限 %(max)s），疑似压缩炸弹，已拒绝。")
                        % {"part": info.filename, "size": megabytes(info.file_size), "max": megabytes(limit)}
                    )
                total += info.file_size
            if total > MAX_TOTAL_BYTES:
                raise LedgerFileError(
                    _("文件解压后共 %(size)s，超过上限 %(max)s，疑似压缩炸弹，已拒绝。")
                    % {"size": megabytes(total), "max": megabytes(MAX_TOTAL_BYTES)}
                )
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, EOFError):
        raise LedgerFileError(_("文件已损坏，无法作为 Excel 工作簿 (.xlsx) 读取。")) from None
    return declared


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


@dataclass
class Sheet:
    """An opened sheet: its header row (found, not assumed to be row 1), the data rows after it,
    and ``close``. ``columns`` maps each recognised header's key to its column index."""

    header_row: int
    header: tuple
    columns: dict[str, int]
    rows: Iterator[tuple[int, tuple]]
    close: Callable[[], None]


def normalise_header(value) -> str:
    """A header as people write it, reduced to the name it stands for: full-width forms folded
    (NFKC: "（", "＊", full-width letters), every space removed ("区划 代码"), the "required"
    asterisks around it dropped, and a trailing note in brackets cut off ("整改期限(YYYY-MM-DD)",
    "问题标题【必填】")."""
    if value is None:
        return ""
    text = unicodedata.normalize("NFKC", str(value))
    text = "".join(text.split())
    while True:
        stripped = TRAILING_NOTE_RE.sub("", text.strip("*"))
        if stripped == text:
            return text
        text = stripped


def open_sheet(path: str | Path, sheet_name: str | None, known: Mapping[str, str], first_row_hint: str) -> Sheet:
    """Open the sheet named ``sheet_name`` (else the first) and find its header: among the first
    ``HEADER_SCAN_ROWS`` rows, the one with the most cells whose ``normalise_header`` is a key
    of ``known`` ({normalised header: column key}); title rows above it are skipped. A header
    cell that is not known, or two that mean the same column, are refused by the caller from
    ``Sheet.header`` / ``duplicates``. Call ``inspect_workbook`` first: it is what makes
    opening the workbook safe. ``first_row_hint`` completes the message for a sheet that has
    no header at all, e.g. "（问题编号、问题标题……）"."""
    try:
        reader = SheetReader(path, sheet_name)
    except LedgerFileError:
        raise
    except Exception as exc:  # a damaged workbook fails in many ways
        logger.info("xlsx: unreadable workbook %s: %r", path, exc)
        raise LedgerFileError(_("文件已损坏或不是有效的 Excel 工作簿，无法读取。")) from None
    try:
        rows = guarded(reader.rows())
        scanned = list(itertools.islice(rows, HEADER_SCAN_ROWS))
        best, best_score = None, 0
        for position, (_number, values) in enumerate(scanned):
            score = sum(1 for value in values if normalise_header(value) in known)
            if score > best_score:
                best, best_score = position, score
        if best is None:  # nothing recognised: the first filled row is what the file calls its header
            best = next((i for i, (_n, values) in enumerate(scanned) if any(v not in (None, "") for v in values)), None)
        if best is None:
            raise LedgerFileError(_("文件第 1 行应为表头%(hint)s，请使用下载的模板。") % {"hint": first_row_hint})
        header_row, header = scanned[best]
        columns = {}
        for index, value in enumerate(header):
            key = known.get(normalise_header(value))
            if key is not None:
                columns.setdefault(key, index)
    except BaseException:
        reader.close()
        raise
    return Sheet(header_row, header, columns, itertools.chain(scanned[best + 1 :], rows), reader.close)


def bounded(rows: Iterator[tuple[int, tuple]], limit: int | None) -> Iterator[tuple[int, tuple]]:
    """The rows, raising ``ReadLimitReached`` once more than ``limit`` rows (blank ones included)
    have been read: what bounds an import checked during a web request is what is read, never
    the row count the file declares about itself."""
    if limit is None:
        yield from rows
        return
    for count, row in enumerate(rows, start=1):
        if count > limit:
            raise ReadLimitReached(limit)
        yield row


def looks_like_formula(text: str) -> bool:
    """Text that a spreadsheet would run: "=..." after any leading spaces or control characters
    (a tab or CR before "=" is still a formula to Excel and LibreOffice), or "+", "-", "@"
    followed by a function call or a cell reference ("+SUM(A1)", "-A1*2", "@HYPERLINK(...)"),
    or a DDE call ("cmd|..."). Plain text such as "-" or "+86 138..." is not."""
    stripped = text.lstrip(FORMULA_LEADING)
    if stripped[:1] == "=":
        return True
    return bool(stripped[:1] in ("+", "-", "@") and FORMULA_BODY_RE.match(stripped[1:].lstrip())) or bool(
        DDE_RE.match(stripped)
    )


def guarded(rows: Iterator) -> Iterator:
    """A sheet that turns out malformed halfway is reported as a damaged file."""
    try:
        yield from rows
    except (etree.XMLSyntaxError, ValueError, IndexError, KeyError, OverflowError, zipfile.BadZipFile) as exc:
        logger.info("xlsx: malformed sheet: %r", exc)
        raise LedgerFileError(_("文件已损坏或不是有效的 Excel 工作簿，无法读取。")) from None
