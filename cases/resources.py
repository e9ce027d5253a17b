"""The problem list's Excel ledger (问题清单台账): its columns, the django-import-export
resource, and the scoped export.

``LEDGER_COLUMNS`` is the one definition of the ledger's Chinese headers: the export, the
downloadable template and the fast importer (``cases.imports``) all read it. ``ProblemResource``
renders a problem as a ledger row; it can also import row by row the library's way, which
``bench/bench_cases.py`` measures as the baseline of the fast importer (the portal's own
import pages use ``cases.imports``, never ``ProblemResource.import_data``).

Every export goes through ``problems_for_export`` (the user's subtree, like every list) and
``safe_cell`` (a cell beginning with = + - @ is neutralised); a column registered as personal
data in ``portal.core.personal_data`` is masked.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from types import SimpleNamespace
from xml.sax.saxutils import escape

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from import_export import fields, resources, widgets
from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill

from cases.models import Category, Problem
from portal.accounts.capabilities import Cap
from portal.accounts.scoping import ensure_writable
from portal.audit.services import audit_record
from portal.core.exports import safe_cell
from portal.core.masking import mask
from portal.core.personal_data import REGISTRY as PERSONAL_FIELDS
from portal.regions.models import EnforcementDomain, Region, Unit

LEDGER_SHEET = "问题清单"
EXPORT_MAX_ROWS = 200_000


@dataclass(frozen=True)
class LedgerColumn:
    header: str
    key: str  # the Problem field
    required: bool = False  # an import needs the column and a value in every row
    importable: bool = True  # False: written by the export, ignored by the import
    width: int = 14


LEDGER_COLUMNS: tuple[LedgerColumn, ...] = (
    LedgerColumn("问题编号", "code", width=18),
    LedgerColumn("问题标题", "title", required=True, width=36),
    LedgerColumn("问题描述", "description", width=48),
    LedgerColumn("问题类别", "category", required=True, width=24),
    LedgerColumn("发现渠道", "source", required=True, width=12),
    LedgerColumn("严重程度", "severity", width=10),
    LedgerColumn("区划代码", "region", required=True, width=10),
    LedgerColumn("责任单位", "unit", required=True, width=30),
    LedgerColumn("执法领域", "domain", required=True, width=16),
    LedgerColumn("重点问题", "is_key", width=10),
    LedgerColumn("第一责任人", "first_responsible", width=12),
    LedgerColumn("分管领导", "deputy_in_charge", width=12),
    LedgerColumn("承办部门", "handling_department", width=16),
    LedgerColumn("发现日期", "found_on", width=12),
    LedgerColumn("整改期限", "deadline", width=12),
    LedgerColumn("状态", "status", importable=False, width=10),
)
HEADER_OF = {column.key: column.header for column in LEDGER_COLUMNS}
# What ``ProblemResource.export_rows`` reads, in the ledger's column order.
EXPORT_VALUES = (
    "code",
    "title",
    "description",
    "category__name",
    "category__parent__name",
    "source",
    "severity",
    "region_id",
    "unit__name",
    "domain__name",
    "is_key",
    "first_responsible",
    "deputy_in_charge",
    "handling_department",
    "found_on",
    "deadline",
    "status",
)

YES, NO = "是", "否"
TRUE_WORDS = frozenset({YES, "y", "yes", "true", "1", "√", "重点"})
FALSE_WORDS = frozenset({NO, "n", "no", "false", "0", "", "×"})
DATE_RE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")


def parse_ledger_date(value) -> dt.date | None:
    """A date cell (datetime or date) or text such as 2024-03-05, 2024/3/5, 2024.3.5,
    2024年3月5日 or 20240305; None for blank; ValueError for anything else."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, int) and 19000101 <= value <= 29991231:
        value = str(value)
    if not isinstance(value, str):
        raise ValueError(value)
    text = value.strip()
    if not text:
        return None
    match = DATE_RE.match(text)
    if match:
        year, month, day = (int(part) for part in match.groups())
    elif len(text) == 8 and text.isdigit():
        year, month, day = int(text[:4]), int(text[4:6]), int(text[6:])
    else:
        raise ValueError(value)
    return dt.date(year, month, day)  # ValueError for 2024-02-30


def category_label(category: Category, ambiguous_names: frozenset[str] = frozenset()) -> str:
    """The ledger's name for a category: its name, or "上级 / 名称" when the name is shared
    (乱罚款 is both 逐利执法's and 公路"三乱"'s)."""
    if category.name in ambiguous_names and category.parent_id:
        return f"{category.parent.name} / {category.name}"
    return category.name


def ambiguous_category_names() -> frozenset[str]:
    seen, shared = set(), set()
    for name in Category.objects.values_list("name", flat=True):
        (shared if name in seen else seen).add(name)
    return frozenset(shared)


# --- widgets: one ledger cell <-> one field ------------------------------------------------


class ChoiceWidget(widgets.Widget):
    """A TextChoices field written as its Chinese label; the label or the stored value is read."""

    def __init__(self, choices, default=None):
        super().__init__(coerce_to_string=True)
        self.labels = {value: str(label) for value, label in choices}
        self.values = {label: value for value, label in self.labels.items()} | {v: v for v in self.labels}
        self.default = default

    def clean(self, value, row=None, **kwargs):
        text = "" if value is None else str(value).strip()
        if not text and self.default is not None:
            return self.default
        if text not in self.values:
            raise ValueError(
                _("“%(value)s”不是有效选项，可选：%(options)s")
                % {"value": text, "options": "、".join(self.labels.values())}
            )
        return self.values[text]

    def render(self, value, obj=None, **kwargs):
        return self.labels.get(value, value or "")


class YesNoWidget(widgets.Widget):
    def clean(self, value, row=None, **kwargs):
        if isinstance(value, bool):
            return value
        text = "" if value is None else str(value).strip().lower()
        if text in TRUE_WORDS:
            return True
        if text in FALSE_WORDS:
            return False
        raise ValueError(_("请填写“是”或“否”"))

    def render(self, value, obj=None, **kwargs):
        return YES if value else NO


class LedgerDateWidget(widgets.Widget):
    """Date cells stay dates in the workbook; text dates in the usual Chinese forms are read."""

    def clean(self, value, row=None, **kwargs):
        try:
            return parse_ledger_date(value)
        except ValueError:
            raise ValueError(_("日期“%(value)s”无效，请填写如 2024-03-05 的日期") % {"value": value}) from None

    def render(self, value, obj=None, **kwargs):
        return value


class CategoryWidget(widgets.ForeignKeyWidget):
    """A category by code, by name (when the name is not shared) or by "上级 / 名称"."""

    def __init__(self):
        super().__init__(Category, "name")
        self._ambiguous = None

    @property
    def ambiguous(self) -> frozenset[str]:
        if self._ambiguous is None:
            self._ambiguous = ambiguous_category_names()
        return self._ambiguous

    def clean(self, value, row=None, **kwargs):
        text = "" if value is None else str(value).strip()
        if not text:
            return None
        queryset = Category.objects.filter(active=True)
        parent, sep, name = text.replace("／", "/").partition("/")
        if sep:
            return queryset.get(parent__name=parent.strip(), name=name.strip())
        found = list(queryset.filter(code=text)[:1]) or list(queryset.filter(name=text)[:2])
        if len(found) != 1:
            raise Category.DoesNotExist(text)
        return found[0]

    def render(self, value, obj=None, **kwargs):
        return category_label(value, self.ambiguous) if value is not None else ""


class DomainWidget(widgets.ForeignKeyWidget):
    def __init__(self):
        super().__init__(EnforcementDomain, "name")

    def get_lookup_kwargs(self, value, row, **kwargs):
        text = str(value).strip()
        return {"code": text} if text.isascii() else {"name": text}


class RegionWidget(widgets.ForeignKeyWidget):
    def __init__(self):
        super().__init__(Region, "code")

    def clean(self, value, row=None, **kwargs):
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        return super().clean(None if value is None else str(value).strip(), row, **kwargs)


class UnitWidget(widgets.ForeignKeyWidget):
    """A unit by name, within the row's region."""

    def __init__(self):
        super().__init__(Unit, "name")

    def get_queryset(self, value, row, *args, **kwargs):
        region = row.get(HEADER_OF["region"]) if row else None
        if isinstance(region, float) and region.is_integer():
            region = int(region)
        return Unit.objects.filter(region_id=str(region).strip())


# --- the resource ----------------------------------------------------------------------------


def _field(key: str, widget=None, **kwargs) -> fields.Field:
    return fields.Field(attribute=key, column_name=HEADER_OF[key], widget=widget, **kwargs)


class ProblemResource(resources.ModelResource):
    """A problem as a row of the ledger. ``user`` is whoever exports or imports: an import
    through this resource checks every row's region and unit against that user's scope."""

    code = _field("code")
    title = _field("title")
    description = _field("description")
    category = _field("category", CategoryWidget())
    source = _field("source", ChoiceWidget(Problem.Source.choices))
    severity = _field("severity", ChoiceWidget(Problem.Severity.choices, default=Problem.Severity.GENERAL))
    region = _field("region", RegionWidget())
    unit = _field("unit", UnitWidget())
    domain = _field("domain", DomainWidget())
    is_key = _field("is_key", YesNoWidget())
    first_responsible = _field("first_responsible")
    deputy_in_charge = _field("deputy_in_charge")
    handling_department = _field("handling_department")
    found_on = _field("found_on", LedgerDateWidget())
    deadline = _field("deadline", LedgerDateWidget())
    status = _field("status", ChoiceWidget(Problem.Status.choices), readonly=True)

    class Meta:
        model = Problem
        fields = tuple(column.key for column in LEDGER_COLUMNS)
        export_order = fields
        import_id_fields = ("code",)

    def __init__(self, user=None, **kwargs):
        super().__init__(**kwargs)
        self.user = user
        self.personal = {
            entry.field: entry.kind for (label, _f), entry in PERSONAL_FIELDS.items() if label == "cases.problem"
        }

    # export: masked where personal, neutralised everywhere
    def export_field(self, field, instance, **kwargs):
        value = super().export_field(field, instance, **kwargs)
        kind = self.personal.get(field.attribute)
        if kind and value:
            value = mask(kind, value)
        return safe_cell(value)

    def export_rows(self, queryset):
        """For each problem what ``export_resource`` gives, read as plain values in one query
        (no model instances, no widget call per cell): the ledger export at provincial scale."""
        shared = ambiguous_category_names()
        labels = {name: self.fields[name].widget.labels for name in ("source", "severity", "status")}
        keys = [column.key for column in LEDGER_COLUMNS]
        personal = [(keys.index(field), kind) for field, kind in self.personal.items() if field in keys]
        values = queryset.values_list(*EXPORT_VALUES).iterator(chunk_size=5000)
        for code, title, text, name, parent, source, severity, region, unit, domain, *rest in values:
            is_key, first, deputy, department, found_on, deadline, status = rest
            row = [
                code,
                title,
                text,
                f"{parent} / {name}" if parent and name in shared else name,
                labels["source"].get(source, source),
                labels["severity"].get(severity, severity),
                region,
                unit,
                domain,
                YES if is_key else NO,
                first,
                deputy,
                department,
                found_on,
                deadline,
                labels["status"].get(status, status),
            ]
            for index, kind in personal:
                if row[index]:
                    row[index] = mask(kind, row[index])
            yield [safe_cell(value) for value in row]

    # import, row by row (the benchmark's baseline; the portal imports with cases.imports)
    def before_save_instance(self, instance, row, **kwargs):
        from cases.services import next_problem_codes

        if self.user is not None:
            ensure_writable(self.user, region=instance.region)
            ensure_writable(self.user, unit=instance.unit)
            instance.registered_by = self.user
        if instance.unit.region_id != instance.region_id:
            raise ValidationError({"unit": _("责任单位不属于该区划。")})
        if not instance.code:
            instance.code = next_problem_codes(1)[0]
        if instance._state.adding:
            instance.status = Problem.Status.ASSIGNED if instance.deadline else Problem.Status.REGISTERED
            instance.found_on = instance.found_on or timezone.localdate()
            instance.description = instance.description or ""
            for name in ("first_responsible", "deputy_in_charge", "handling_department"):
                setattr(instance, name, getattr(instance, name) or "")

    def save_instance(self, instance, is_create, row, **kwargs):
        super().save_instance(instance, is_create, row, **kwargs)
        if is_create and instance.pk:
            self._write_history(instance)

    def _write_history(self, instance) -> None:
        """A problem imported here has its history too: registered, and assigned with its
        deadline (the events the workflow's services write)."""
        from portal.audit.services import audit_record

        audit_record(actor=self.user, action="problem.register", obj=instance, changes={})
        if instance.status == Problem.Status.ASSIGNED:
            audit_record(
                actor=self.user,
                action="problem.assign",
                obj=instance,
                changes={"status": ["registered", "assigned"], "deadline": [None, instance.deadline.isoformat()]},
            )


# --- export -------------------------------------------------------------------------------------


def problems_for_export(user, params: Mapping | None = None):
    """The problems ``user`` may export (their subtree, EXPORT_RECORDS) narrowed by the list
    page's own filters (``cases.selectors.ProblemFilter``: region, status, category, overdue,
    deadline range, key ...) in the list's order. Invalid filters are ignored, as on the list."""
    from cases.selectors import LIST_ORDERINGS, ProblemFilter

    params = params if params is not None else {}
    queryset = Problem.objects.visible_to(user, Cap.EXPORT_RECORDS)
    filterset = ProblemFilter(params, queryset=queryset, request=SimpleNamespace(user=user))
    if filterset.is_valid():
        queryset = filterset.qs
    return queryset.order_by(*LIST_ORDERINGS.get(params.get("o", ""), LIST_ORDERINGS[""]))


HEADER_FONT = Font(bold=True, color="FFFFFF")
HEADER_FILL = PatternFill("solid", fgColor="1F4E79")


# --- writing .xlsx fast -------------------------------------------------------------------------
# openpyxl's streaming mode costs about 10 µs a cell and writes every string inline with CJK as
# character references (eight bytes a character); the province's 200,000 problems came to
# 280 MB of sheet XML in 8 minutes. ``LedgerWriter`` streams the sheet the way Excel saves one
# (shared strings, a <dimension>, date cells, a frozen, styled header) straight into the zip.

MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_CT = "application/vnd.openxmlformats-officedocument.spreadsheetml"
_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
_XML = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
EXCEL_EPOCH = dt.date(1899, 12, 30)
# XML 1.0 cannot carry these control characters (openpyxl refuses them too)
ILLEGAL_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
STYLE_DATE, STYLE_HEADER = 1, 2


def _column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


class LedgerWriter:
    """``append`` rows of str, int, float, bool, date or None; ``close`` finishes the file."""

    def __init__(self, target, *, sheet_name: str, headers: list[str], widths: list[int], rows: int):
        self.zip = zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED, compresslevel=6)
        self.sheet_name = sheet_name
        self.letters = [_column_letter(i) for i in range(len(headers))]
        self.strings: dict[str, int] = {}
        self.number = 0
        self.sheet = self.zip.open("xl/worksheets/sheet1.xml", "w", force_zip64=True)
        cols = "".join(
            f'<col min="{i}" max="{i}" width="{width}" customWidth="1"/>' for i, width in enumerate(widths, start=1)
        )
        self.sheet.write(
            (
                f'{_XML}<worksheet xmlns="{MAIN_NS}"><dimension ref="A1:{self.letters[-1]}{rows + 1}"/>'
                '<sheetViews><sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" activePane="bottomLeft"'
                f' state="frozen"/></sheetView></sheetViews><cols>{cols}</cols><sheetData>'
            ).encode()
        )
        self._buffer: list[str] = []
        self.append(headers, style=STYLE_HEADER)

    def _string(self, text: str) -> int:
        index = self.strings.get(text)
        if index is None:
            index = self.strings[text] = len(self.strings)
        return index

    def append(self, values, *, style: int | None = None) -> None:
        self.number += 1
        number = self.number
        styled = f' s="{style}"' if style else ""
        cells = []
        for letter, value in zip(self.letters, values, strict=False):
            if value is None or value == "":
                continue
            kind = value.__class__
            if kind is str:
                cells.append(f'<c r="{letter}{number}"{styled} t="s"><v>{self._string(value)}</v></c>')
            elif kind is bool:
                cells.append(f'<c r="{letter}{number}"{styled} t="b"><v>{int(value)}</v></c>')
            elif kind is dt.date:
                cells.append(f'<c r="{letter}{number}" s="{STYLE_DATE}"><v>{(value - EXCEL_EPOCH).days}</v></c>')
            elif kind is int or kind is float:
                cells.append(f'<c r="{letter}{number}"{styled}><v>{value!r}</v></c>')
            else:
                cells.append(f'<c r="{letter}{number}"{styled} t="s"><v>{self._string(str(value))}</v></c>')
        self._buffer.append(f'<row r="{number}">{"".join(cells)}</row>')
        if len(self._buffer) >= 1000:
            self._flush()

    def _flush(self) -> None:
        self.sheet.write("".join(self._buffer).encode())
        self._buffer.clear()

    def close(self) -> None:
        self._flush()
        self.sheet.write(b"</sheetData></worksheet>")
        self.sheet.close()

        def si(text: str) -> str:
            text = escape(ILLEGAL_XML.sub("", text))
            space = ' xml:space="preserve"' if text[:1].isspace() or text[-1:].isspace() else ""
            return f"<si><t{space}>{text}</t></si>"

        count = len(self.strings)
        with self.zip.open("xl/sharedStrings.xml", "w", force_zip64=True) as part:
            part.write(f'{_XML}<sst xmlns="{MAIN_NS}" count="{count}" uniqueCount="{count}">'.encode())
            batch = []
            for text in self.strings:
                batch.append(si(text))
                if len(batch) >= 5000:
                    part.write("".join(batch).encode())
                    batch.clear()
            part.write(("".join(batch) + "</sst>").encode())
        parts = {
            "[Content_Types].xml": (
                f'{_XML}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
                '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
                '<Default Extension="xml" ContentType="application/xml"/>'
                f'<Override PartName="/xl/workbook.xml" ContentType="{_CT}.sheet.main+xml"/>'
                f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{_CT}.worksheet+xml"/>'
                f'<Override PartName="/xl/styles.xml" ContentType="{_CT}.styles+xml"/>'
                f'<Override PartName="/xl/sharedStrings.xml" ContentType="{_CT}.sharedStrings+xml"/></Types>'
            ),
            "_rels/.rels": (
                f'{_XML}<Relationships xmlns="{_PKG_REL}">'
                f'<Relationship Id="rId1" Type="{_REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
            ),
            "xl/workbook.xml": (
                f'{_XML}<workbook xmlns="{MAIN_NS}" xmlns:r="{_REL}"><sheets>'
                f'<sheet name="{escape(self.sheet_name)}" sheetId="1" r:id="rId1"/></sheets></workbook>'
            ),
            "xl/_rels/workbook.xml.rels": (
                f'{_XML}<Relationships xmlns="{_PKG_REL}">'
                f'<Relationship Id="rId1" Type="{_REL}/worksheet" Target="worksheets/sheet1.xml"/>'
                f'<Relationship Id="rId2" Type="{_REL}/styles" Target="styles.xml"/>'
                f'<Relationship Id="rId3" Type="{_REL}/sharedStrings" Target="sharedStrings.xml"/></Relationships>'
            ),
            "xl/styles.xml": (
                f'{_XML}<styleSheet xmlns="{MAIN_NS}">'
                '<numFmts count="1"><numFmt numFmtId="164" formatCode="yyyy-mm-dd"/></numFmts>'
                '<fonts count="2"><font><sz val="11"/><name val="等线"/></font>'
                '<font><b/><sz val="11"/><color rgb="FFFFFFFF"/><name val="等线"/></font></fonts>'
                '<fills count="3"><fill><patternFill patternType="none"/></fill>'
                '<fill><patternFill patternType="gray125"/></fill>'
                '<fill><patternFill patternType="solid"><fgColor rgb="FF1F4E79"/><bgColor indexed="64"/>'
                "</patternFill></fill></fills>"
                '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
                '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
                '<cellXfs count="3"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
                '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
                '<xf numFmtId="0" fontId="1" fillId="2" borderId="0" xfId="0" applyFont="1" applyFill="1"/>'
                '</cellXfs><cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
                "</styleSheet>"
            ),
        }
        for name, content in parts.items():
            self.zip.writestr(name, content)
        self.zip.close()


# --- export -------------------------------------------------------------------------------------


def ledger_export(*, actor, params: Mapping | None = None) -> tuple[str, bytes, int]:
    """The filtered, scoped problem list as an .xlsx ledger: (file name, content, rows).
    Audited as ``problem.export`` with the filters and the row count."""
    queryset = problems_for_export(actor, params)
    total = min(queryset.count(), EXPORT_MAX_ROWS)
    resource = ProblemResource(user=actor)
    buffer = io.BytesIO()
    writer = LedgerWriter(
        buffer,
        sheet_name=LEDGER_SHEET,
        headers=resource.get_export_headers(),
        widths=[column.width for column in LEDGER_COLUMNS],
        rows=total,
    )
    rows = 0
    for values in resource.export_rows(queryset[:total]):
        writer.append(values)
        rows += 1
    writer.close()
    filters = {key: (params.getlist(key) if hasattr(params, "getlist") else params[key]) for key in (params or {})}
    with transaction.atomic():
        audit_record(
            actor=actor,
            action="problem.export",
            object_type="cases.problem",
            changes={"rows": rows, "filters": filters, "format": "xlsx"},
        )
    name = f"问题清单台账-{timezone.localtime():%Y%m%d-%H%M}.xlsx"
    return name, buffer.getvalue(), rows


# --- the template ------------------------------------------------------------------------------

GUIDE_SHEET = "填写说明"
SAMPLE_PREFIX = "【示例】"  # cases.imports skips a row whose title begins with it


def ledger_template(*, actor) -> bytes:
    """The import template: the ledger's headers and a sample row, drop-down lists for the
    choice columns, and a second sheet with the valid categories, domains, channels and
    severities and the regions and units of the user's own subtree."""
    from openpyxl.worksheet.datavalidation import DataValidation

    from cases.selectors import categories, regions_for, units_for

    columns = [column for column in LEDGER_COLUMNS if column.importable]
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = LEDGER_SHEET
    for i, column in enumerate(columns, start=1):
        cell = sheet.cell(row=1, column=i, value=column.header)
        cell.font, cell.fill = HEADER_FONT, HEADER_FILL
        sheet.column_dimensions[cell.column_letter].width = column.width
    sheet.freeze_panes = "A2"

    cats = list(categories())
    shared = ambiguous_category_names()
    units = list(units_for(actor))
    sample_unit = next((u for u in units if u.region_id == actor.region_id), units[0] if units else None)
    today = timezone.localdate()
    sample = {
        "code": "",
        "title": f"{SAMPLE_PREFIX}治超站点对超限车辆直接罚款（示例行，导入时自动跳过，可删除）",
        "description": "暗访发现该站点未按规定卸载转运即予罚款。",
        "category": category_label(next((c for c in cats if c.code == "lyj-directfine"), cats[0]), shared)
        if cats
        else "",
        "source": str(Problem.Source.UNANNOUNCED_VISIT.label),
        "severity": str(Problem.Severity.SERIOUS.label),
        "region": sample_unit.region_id if sample_unit else (actor.region_id or ""),
        "unit": sample_unit.name if sample_unit else "",
        "domain": "普通公路执法",
        "is_key": NO,
        "first_responsible": "张某某",
        "deputy_in_charge": "李某某",
        "handling_department": "法制科",
        "found_on": today,
        "deadline": today + dt.timedelta(days=30),
    }
    for i, column in enumerate(columns, start=1):
        sheet.cell(row=2, column=i, value=sample[column.key])
    last_row = 10_000

    def drop_down(key: str, options: list[str]) -> None:
        letter = sheet.cell(row=1, column=[c.key for c in columns].index(key) + 1).column_letter
        validation = DataValidation(type="list", formula1='"' + ",".join(options) + '"', allow_blank=True)
        validation.error = "请从下拉列表中选择"
        sheet.add_data_validation(validation)
        validation.add(f"{letter}2:{letter}{last_row}")

    drop_down("source", [str(label) for _v, label in Problem.Source.choices])
    drop_down("severity", [str(label) for _v, label in Problem.Severity.choices])
    drop_down("is_key", [YES, NO])

    guide = workbook.create_sheet(GUIDE_SHEET)
    guide.column_dimensions["A"].width = 28
    guide.column_dimensions["B"].width = 40
    guide.column_dimensions["C"].width = 40
    bold = Font(bold=True)
    lines = [
        ("必填列", "、".join(c.header for c in columns if c.required)),
        ("问题编号", "可留空，导入时自动编号；填写时不得与已有编号或文件中其他行重复"),
        ("区划代码", "6 位行政区划代码，只能填写您管辖范围内的区划（见下表）"),
        ("责任单位", "须为该区划下已登记的单位名称（见下表）"),
        ("日期", "日期格式单元格，或 2024-03-05、2024/3/5、2024年3月5日 形式的文字"),
        ("整改期限", "填写后问题状态为“已交办”，留空为“已登记”"),
        ("公式", "不接受公式，请填写数值或文字"),
        ("示例行", f"标题以“{SAMPLE_PREFIX}”开头的行不会被导入"),
    ]

    def heading(*titles) -> None:
        guide.append(list(titles))
        for cell in guide[guide.max_row]:
            cell.font = bold

    heading("填写要求", "说明")
    for row in lines:
        guide.append(list(row))
    guide.append([])
    heading("问题类别（填写“填写值”列或类别代码）", "填写值", "所属大类")
    for category in cats:
        label = category_label(category, shared)
        guide.append([category.code, label, category.parent.name if category.parent_id else ""])
    guide.append([])
    heading("执法领域代码", "执法领域（填写此列）")
    for code, name in EnforcementDomain.objects.filter(active=True).values_list("code", "name"):
        guide.append([code, name])
    guide.append([])
    heading("发现渠道", "严重程度")
    sources = [str(label) for _v, label in Problem.Source.choices]
    severities = [str(label) for _v, label in Problem.Severity.choices]
    for i, source in enumerate(sources):
        guide.append([source, severities[i] if i < len(severities) else ""])
    guide.append([])
    heading("区划代码", "区划名称", "责任单位（填写单位名称）")
    region_names = dict(regions_for(actor).values_list("code", "name"))
    by_region: dict[str, list[str]] = {}
    for unit in units:
        by_region.setdefault(unit.region_id, []).append(unit.name)
    for code, name in region_names.items():
        for i, unit_name in enumerate(by_region.get(code) or [""]):
            guide.append([code if i == 0 else "", name if i == 0 else "", unit_name])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
