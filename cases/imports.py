"""Importing the problem list's Excel ledger (台账导入): the whole file is checked first, then
written in one transaction with COPY, never a save() per row.

1. The file, through the ground floor's workbook reader (``portal.imports.xlsx``): a safe
   .xlsx (zip bombs refused from the zip's table of contents) of at most ``MAX_ROWS`` data rows,
   streamed by its ``SheetReader``, never parsed whole; then the ledger's headers here.
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
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

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
from portal.core.text import clean_text
from portal.imports.xlsx import (
    MAX_UPLOAD_BYTES,
    CellError,
    LedgerFileError,
    ReadLimitReached,
    RowError,
    Sheet,
    bounded,
    inspect_workbook,
    looks_like_formula,
    megabytes,
    normalise_header,
    open_sheet,
)
from portal.regions.models import EnforcementDomain, Region, Unit

logger = logging.getLogger(__name__)

MAX_ROWS = 200_000  # data rows in one import
INLINE_MAX_ROWS = 5_000  # above this the Celery task validates and writes
MAX_ERRORS_KEPT = 1_000  # bad cells kept for the preview (all are counted)
PROGRESS_EVERY = 2_000
STALE_AFTER = dt.timedelta(minutes=20)  # a job "running" this long lost its worker

# {normalised header: column key}: "＊区划 代码", "整改期限（YYYY-MM-DD）" find their columns.
KNOWN_HEADERS = {normalise_header(column.header): column.key for column in LEDGER_COLUMNS}
PEOPLE = ("first_responsible", "deputy_in_charge", "handling_department")
TEXT_LIMITS = {"code": 32, "title": 200, "first_responsible": 64, "deputy_in_charge": 64, "handling_department": 64}

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


def _header_map(sheet: Sheet) -> dict[str, int]:
    """{field key: column index} of the sheet's header row (found by ``open_sheet``, headers
    compared after ``normalise_header``); LedgerFileError naming what is wrong and what is
    expected: unknown or missing columns, and two headers that mean the same column."""
    found: dict[str, int] = {}
    unknown, duplicated = [], []
    for index, value in enumerate(sheet.header):
        name = normalise_header(value)
        if not name:
            continue
        key = KNOWN_HEADERS.get(name)
        if key is None:
            unknown.append(str(value).strip())
        elif key in found:
            duplicated.append(str(value).strip())
        else:
            found[key] = index
    missing = [column.header for column in LEDGER_COLUMNS if column.required and column.key not in found]
    if unknown or missing or duplicated:
        details = []
        if missing:
            details.append(_("缺少必填列：%(cols)s") % {"cols": "、".join(missing)})
        if unknown:
            details.append(_("无法识别的列：%(cols)s") % {"cols": "、".join(unknown)})
        if duplicated:
            details.append(_("重复的列（与前面的列含义相同）：%(cols)s") % {"cols": "、".join(duplicated)})
        details.append(
            _("表头应为：%(cols)s（其中%(required)s为必填）")
            % {
                "cols": "、".join(c.header for c in LEDGER_COLUMNS if c.importable),
                "required": "、".join(c.header for c in LEDGER_COLUMNS if c.required),
            }
        )
        raise LedgerFileError(_("第 %(row)s 行表头与模板不符，请使用下载的模板。") % {"row": sheet.header_row}, details)
    return found


def read_ledger(
    path: str | Path, read_limit: int | None = None
) -> tuple[dict[str, int], Iterator[tuple[int, tuple]], Callable[[], None]]:
    """(header map, (row number, values) for every data row after the header, close). Title
    rows above the header are skipped. More than ``read_limit`` rows read raises
    ``ReadLimitReached``. Call ``inspect_workbook`` first: it is what makes opening the
    workbook safe."""
    sheet = open_sheet(path, LEDGER_SHEET, KNOWN_HEADERS, _("（问题编号、问题标题……）"))
    try:
        columns = _header_map(sheet)
    except BaseException:
        sheet.close()
        raise
    return columns, bounded(sheet.rows, read_limit), sheet.close


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
    ("'=1+1" was written for "=1+1"), stored text's rule applied (``clean_text``: LF line breaks,
    control characters refused). Done once per cell as the row is read."""
    text = text.strip()
    if text[:1] == "'" and text[1:2] and text[1] in FORMULA_PREFIXES:
        text = text[1:]
    return clean_text(text)


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


def validate_ledger(
    *, actor, path: str | Path, progress: Callable[[int], None] | None = None, read_limit: int | None = None
) -> LedgerReport:
    """The dry run: check the file and every row; write nothing. ``read_limit``: see
    ``read_ledger``."""
    inspect_workbook(path, max_rows=MAX_ROWS)
    columns, rows, close = read_ledger(path, read_limit)
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
                if looks_like_formula(value):
                    report.add(number, HEADER_OF[key], formula)
                    continue
                try:
                    value = _normalise(value)
                except ValidationError as exc:
                    report.add(number, HEADER_OF[key], exc.messages[0])
                    continue
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
        errors_before_dates = report.error_count
        found_on = row.get("found_on", _date, labels["found_on"])
        if found_on and found_on > look.today:
            row.fail("found_on", _("发现日期 %(d)s 晚于今天") % {"d": found_on})
        found_on_ok = report.error_count == errors_before_dates
        deadline = row.get("deadline", _date, labels["deadline"])
        found_on = found_on or look.today
        # compared only with a found date that was read (a bad one has its own message: one
        # clear message per bad cell, never a second one against today's date)
        if deadline and found_on_ok and deadline < found_on:
            row.fail("deadline", _("整改期限 %(d)s 早于发现日期 %(f)s") % {"d": deadline, "f": found_on})

        if report.error_count == errors_before:
            status = Problem.Status.ASSIGNED if deadline else Problem.Status.REGISTERED
            values = (code, title, description, category_id, source, severity or Problem.Severity.GENERAL)
            values += (region_id, unit_id, domain_id, is_key, *people, status, deadline, found_on)
            report.rows.append((number, values))

    if report.total_rows == 0:
        # a header and nothing under it (or only the template's sample row) is a mistake to
        # say, not an empty preview
        raise LedgerFileError(
            _("文件中只有模板的示例行，没有要导入的问题。请删除示例行后逐行填写问题再导入。")
            if report.sample_rows
            else _("表头下面没有数据行。请在表头下方逐行填写问题后再导入。")
        )
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
    read_limit: int | None = None,
) -> ImportOutcome:
    """Check the whole file, then (``mode`` given) write in one transaction: the valid rows
    (``valid_only``) or every row and only if all are valid (``all_or_nothing``).
    ``mode=None`` is the dry run. LedgerFileError when the file itself is refused."""
    if not has_cap(actor, Cap.EDIT_RECORDS) or not actor.region_id:
        raise PermissionDenied
    if mode is not None and mode not in ImportJob.Mode.values:
        raise ValidationError({"mode": _("未知的写入方式。")})
    report = validate_ledger(actor=actor, path=path, progress=progress, read_limit=read_limit)
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
            {
                "file": _("文件 %(size)s，超过上限 %(max)s。")
                % {"size": megabytes(upload.size), "max": megabytes(MAX_UPLOAD_BYTES)}
            }
        )
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    job = ImportJob(user=actor, region_id=actor.region_id, original_name=upload.name[:200], sha256=digest.hexdigest())
    job.file.save(f"{uuid.uuid4().hex}.xlsx", upload, save=False)  # never the user's own file name
    job.save()
    try:
        declared = inspect_workbook(job.file.path, max_rows=MAX_ROWS)
    except LedgerFileError as exc:
        _finish(job, ImportJob.Status.REFUSED, message=_report_message(exc))
        return job
    if declared is not None:
        ImportJob.objects.filter(pk=job.pk).update(total_rows=declared)
    _start(job.pk, declared)
    job.refresh_from_db()
    return job


def _start(job_id: int, rows: int | None) -> None:
    """Inline for a file that says it is small (the request waits a second or two), else the
    Celery task. The file's own word is only a hint: inline, at most ``INLINE_MAX_ROWS`` rows
    are read (blank ones included); a file that holds more is handed to the task."""
    if (
        rows is not None
        and rows <= INLINE_MAX_ROWS
        and import_job_run(job_id, read_limit=INLINE_MAX_ROWS) != "deferred"
    ):
        return
    _enqueue(job_id)


def _enqueue(job_id: int) -> None:
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


def import_job_run(job_id: int, read_limit: int | None = None) -> ImportJob | str | None:
    """Check (and, once a mode is chosen, write) one job's file. The Celery task calls this
    with the id; a missing job, or one another worker holds, is left alone. With a
    ``read_limit`` (the inline path) a file with more rows is put back in the queue, nothing
    written, and "deferred" returned."""
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
            read_limit=read_limit,
        )
    except ReadLimitReached:
        ImportJob.objects.filter(pk=job_id).update(
            status=ImportJob.Status.QUEUED, validated_rows=0, updated_at=timezone.now()
        )
        return "deferred"
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
