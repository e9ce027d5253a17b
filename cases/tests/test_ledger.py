"""Excel ledgers (issue 4 §9): export, template, the fast import with its dry-run report, the
write modes, scoping, bad input of every kind, and the large-file path through the task."""

from __future__ import annotations

import datetime as dt
import io
import random
import re
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from openpyxl import Workbook, load_workbook

from cases import imports, services
from cases import seed as cases_seed
from cases.imports import LedgerFileError, ledger_import
from cases.models import Category, ImportJob, Problem
from cases.resources import LEDGER_COLUMNS, ProblemResource, ledger_export
from cases.tasks import ledger_import_run
from portal.accounts import seed as accounts_seed
from portal.accounts.models import Role, User
from portal.audit.models import AuditEvent
from portal.core.seeding import SeedContext
from portal.imports import xlsx as workbook_reader
from portal.regions import seed as regions_seed
from portal.regions.models import EnforcementDomain, Region, Unit

pytestmark = pytest.mark.django_db

HEADERS = [column.header for column in LEDGER_COLUMNS if column.importable]
JINSHUI_UNIT = "金水区交通运输综合行政执法大队"
ZHONGMOU_UNIT = "中牟县交通运输综合行政执法大队"
XIGONG_UNIT = "西工区交通运输综合行政执法大队"
INJECTION = "=cmd|' /C calc'!A0"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def people():
    def make(name, code, role):
        return User.objects.create_user(name, region_id=code, roles=[role])

    units = {
        code: Unit.objects.create(name=name, kind=Unit.Kind.ENFORCEMENT_AGENCY, region_id=code)
        for code, name in (("410105", JINSHUI_UNIT), ("410122", ZHONGMOU_UNIT), ("410303", XIGONG_UNIT))
    }
    return {
        "county": make("county", "410105", Role.COUNTY_OFFICER),
        "county_b": make("county_b", "410303", Role.COUNTY_OFFICER),
        "city": make("city", "410100", Role.CITY_STAFF),
        "province": make("province", "410000", Role.PROVINCE_STAFF),
        "admin": make("padmin", "410000", Role.PROVINCE_ADMIN),
        "units": units,
    }


def row(**values) -> list:
    """One ledger row in the template's column order; keyword arguments override defaults."""
    base = {
        "问题编号": "",
        "问题标题": "治超站点对超限车辆直接罚款",
        "问题描述": "暗访发现",
        "问题类别": "治超站点直接罚款",
        "发现渠道": "暗访",
        "严重程度": "较重",
        "区划代码": "410105",
        "责任单位": JINSHUI_UNIT,
        "执法领域": "普通公路执法",
        "重点问题": "否",
        "第一责任人": "王局长",
        "分管领导": "李副局长",
        "承办部门": "法制科",
        "发现日期": dt.date(2024, 3, 5),
        "整改期限": "",
    }
    base.update(values)
    return [base[h] for h in HEADERS]


def xlsx(rows, headers=HEADERS) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "问题清单"
    sheet.append(headers)
    for values in rows:
        sheet.append(values)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def save(tmp_path, data: bytes, name="ledger.xlsx"):
    path = tmp_path / name
    path.write_bytes(data)
    return path


def dry_run(actor, tmp_path, rows, **kwargs):
    return ledger_import(actor=actor, path=save(tmp_path, xlsx(rows, **kwargs)), mode=None).report


def messages_of(report) -> list[tuple[int, str, str]]:
    return [(e.row, e.column, e.message) for e in report.errors]


def register(actor, unit, **extra):
    return services.problem_register(
        actor=actor,
        title=extra.pop("title", "乱罚款"),
        category=Category.objects.get(code="lyj-directfine"),
        source=Problem.Source.COMPLAINT,
        region=unit.region,
        unit=unit,
        domain=EnforcementDomain.objects.get(code="highway"),
        **extra,
    )


def sheet_rows(content: bytes) -> list[tuple]:
    return list(load_workbook(io.BytesIO(content), read_only=True).worksheets[0].iter_rows(values_only=True))


# --- export ---------------------------------------------------------------------------------------


def test_export_is_scoped_neutralised_filtered_and_audited(people):
    mine = register(people["county"], people["units"]["410105"], title=INJECTION, first_responsible="+张三")
    services.problem_transition(actor=people["city"], problem_id=mine.pk, move="assign")
    register(people["county"], people["units"]["410105"], title="@SUM(1)")
    register(people["county_b"], people["units"]["410303"], title="洛阳的问题")

    _name, content, count = ledger_export(actor=people["county"], params={})
    rows = sheet_rows(content)
    assert list(rows[0]) == [column.header for column in LEDGER_COLUMNS]
    titles = {r[1] for r in rows[1:]}
    assert count == 2 and titles == {"'" + INJECTION, "'@SUM(1)"}  # the other county's problem never appears
    exported = next(r for r in rows[1:] if r[1] == "'" + INJECTION)
    assert exported[10] == "'+张三" and exported[15] == "已交办" and exported[6] == "410105"
    assert not any(isinstance(v, str) and v[:1] in "=+-@" for r in rows[1:] for v in r)

    # the list page's filters: ?status=
    _name, content, count = ledger_export(actor=people["city"], params={"status": "assigned"})
    assert count == 1 and sheet_rows(content)[1][0] == mine.code
    # the province sees every county
    assert ledger_export(actor=people["province"], params={})[2] == 3
    event = AuditEvent.objects.filter(action="problem.export").order_by("-seq").first()
    assert event.changes["rows"] == 3 and event.actor_username == "province"


def test_the_fast_export_rows_equal_the_resources_own_rendering(people):
    mine = register(people["county"], people["units"]["410105"], title=INJECTION, is_key=True)
    services.problem_transition(actor=people["city"], problem_id=mine.pk, move="assign")
    register(people["county"], people["units"]["410105"], title="-1", first_responsible="")
    problem = register(people["county"], people["units"]["410105"], title="乱罚款类")
    Problem.objects.filter(pk=problem.pk).update(category=Category.objects.get(code="sanluan-fines"))
    resource = ProblemResource(user=people["province"])
    queryset = Problem.objects.order_by("pk")
    fast = list(resource.export_rows(queryset))
    slow = [resource.export_resource(p) for p in queryset.select_related("category__parent", "region", "unit")]
    assert fast == slow
    assert fast[2][3] == '公路"三乱" / 乱罚款'  # a shared name is written with its class


def test_export_view_needs_the_export_capability(people, client):
    register(people["county"], people["units"]["410105"])
    client.force_login(people["county"])
    response = client.get(reverse("cases:ledger-export") + "?status=registered")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in response["Content-Disposition"]
    assert len(sheet_rows(response.content)) == 2
    client.force_login(people["admin"])  # the system administrator reads, but does not export
    assert client.get(reverse("cases:ledger-export")).status_code == 404


def test_a_column_registered_as_personal_data_is_exported_masked(people, monkeypatch):
    from portal.core import personal_data

    register(people["county"], people["units"]["410105"], first_responsible="王建国")
    monkeypatch.setitem(
        personal_data.REGISTRY,
        ("cases.problem", "first_responsible"),
        personal_data.PersonalField("cases.problem", "first_responsible", "name", lambda user: Problem.objects.all()),
    )
    rows = sheet_rows(ledger_export(actor=people["county"], params={})[1])
    assert rows[1][HEADERS.index("第一责任人")] == "王**"


# --- the template ----------------------------------------------------------------------------------


def test_the_template_lists_the_users_own_regions_and_its_sample_row_is_skipped(people, client, tmp_path):
    client.force_login(people["county"])
    response = client.get(reverse("cases:ledger-template"))
    assert response.status_code == 200
    workbook = load_workbook(io.BytesIO(response.content))
    data, guide = workbook.worksheets
    assert [c.value for c in data[1]] == HEADERS
    assert data["B2"].value.startswith("【示例】")
    guide_text = {str(c.value) for line in guide.iter_rows() for c in line if c.value}
    assert {"410105", JINSHUI_UNIT, "普通公路执法", "逐利执法 / 乱罚款"} <= guide_text
    assert "410303" not in guide_text and XIGONG_UNIT not in guide_text  # another county's

    # the template as downloaded holds only its sample row: said so, nothing written
    with pytest.raises(LedgerFileError, match="只有模板的示例行"):
        ledger_import(actor=people["county"], path=save(tmp_path, response.content), mode="valid_only")
    assert not Problem.objects.exists()


# --- import: round trip, modes, audit ------------------------------------------------------------


def test_round_trip_export_then_import(people, tmp_path):
    unit = people["units"]["410105"]
    originals = [
        register(people["county"], unit, title=INJECTION, description="-1 的描述", is_key=True),
        register(people["county"], unit, title="第二个问题", found_on=dt.date(2024, 1, 2)),
    ]
    services.problem_transition(actor=people["city"], problem_id=originals[1].pk, move="assign")
    fields = ["code", "title", "description", "category_id", "source", "severity", "region_id", "unit_id"]
    fields += ["domain_id", "is_key", "first_responsible", "found_on", "deadline"]
    before = {p["code"]: p for p in Problem.objects.values(*fields)}
    _name, content, _count = ledger_export(actor=people["city"], params={})
    Problem.objects.all().delete()

    outcome = ledger_import(actor=people["county"], path=save(tmp_path, content), mode="all_or_nothing")
    assert outcome.report.errors == [] and outcome.written == 2
    after = {p["code"]: p for p in Problem.objects.values(*fields)}
    assert after == before  # the neutralising apostrophe is undone: "=cmd..." comes back as it was
    statuses = dict(Problem.objects.values_list("code", "status"))
    assert statuses == {originals[0].code: "registered", originals[1].code: "assigned"}


def test_valid_only_writes_the_valid_rows_and_reports_the_rest(people, tmp_path):
    path = save(tmp_path, xlsx([row(), row(区划代码="419999"), row(问题标题="第三行", 整改期限="2030/6/30")]))
    outcome = ledger_import(actor=people["county"], path=path, mode="valid_only", source_name="台账.xlsx")
    assert outcome.written == 2 and not outcome.refused
    assert messages_of(outcome.report) == [(3, "区划代码", "区划代码“419999”不存在，应为 6 位行政区划代码，如 410105")]
    problems = list(Problem.objects.order_by("code"))
    assert [p.status for p in problems] == ["registered", "assigned"]
    assert problems[1].deadline == dt.date(2030, 6, 30) and problems[0].deadline is None
    assert all(p.code.startswith(f"WT{timezone.localdate().year}-") for p in problems)  # blank codes numbered
    assert all(p.registered_by == people["county"] for p in problems)
    event = AuditEvent.objects.get(action="problem.import")  # one event summarising the import
    assert event.changes | {"codes": None} == {
        "file": "台账.xlsx",
        "mode": "valid_only",
        "rows": 3,
        "valid_rows": 2,
        "bad_rows": 1,
        "errors": 1,
        "written": 2,
        "codes": None,
    }
    # Each problem has its own history, as if registered (and assigned) on the page.
    for problem, expected in zip(problems, (["problem.register"], ["problem.register", "problem.assign"]), strict=True):
        events = AuditEvent.objects.filter(object_type="cases.problem", object_id=str(problem.pk)).order_by("seq")
        assert list(events.values_list("action", flat=True)) == expected
        assert {e.actor_username for e in events} == {"county"}
    assign = AuditEvent.objects.get(action="problem.assign", object_id=str(problems[1].pk))
    assert assign.changes["deadline"] == [None, "2030-06-30"]


def test_all_or_nothing_writes_nothing_when_one_row_is_bad(people, tmp_path):
    path = save(tmp_path, xlsx([row(), row(), row(发现渠道="路边听说")]))
    outcome = ledger_import(actor=people["county"], path=path, mode="all_or_nothing")
    assert outcome.refused and outcome.written == 0 and not Problem.objects.exists()
    assert outcome.report.valid_rows == 2
    assert messages_of(outcome.report)[0][:2] == (4, "发现渠道")
    event = AuditEvent.objects.get(action="problem.import")
    assert event.outcome == AuditEvent.Outcome.FAILED and event.changes["written"] == 0


def test_the_dry_run_writes_nothing(people, tmp_path):
    report = dry_run(people["county"], tmp_path, [row(), row()])
    assert report.valid_rows == 2 and report.errors == []
    assert not Problem.objects.exists() and not AuditEvent.objects.filter(action="problem.import").exists()


# --- bad input: a clear report, nothing written ----------------------------------------------------


def test_every_bad_cell_is_reported_by_row_column_and_message(people, tmp_path):
    register(people["county"], people["units"]["410105"], code="WT2024-0000001")
    rows = [
        row(问题编号="A-1"),  # 2: fine
        row(问题编号="A-1"),  # 3: duplicate in the file
        row(问题编号="WT2024-0000001"),  # 4: already in the database
        row(问题标题='=HYPERLINK("http://x")'),  # 5: a formula
        row(发现日期="2024年3月5日", 整改期限="2024/4/5"),  # 6: dates as text, accepted
        row(发现日期="上周三"),  # 7: a garbage date
        row(整改期限="2024-02-30"),  # 8: no such day
        row(区划代码="410303", 责任单位=XIGONG_UNIT),  # 9: another county
        row(责任单位="不存在的大队"),  # 10: no such unit in the region
        row(问题类别="乱罚款"),  # 11: a shared name
        row(问题类别="逐利执法 / 乱罚款"),  # 12: fine
        row(问题类别="乱七八糟"),  # 13: unknown category
        row(执法领域="铁路执法"),  # 14: unknown domain
        row(问题标题=""),  # 15: required
        row(重点问题="也许"),  # 16: not yes/no
        row(整改期限=dt.date(2024, 1, 1)),  # 17: before it was found
        row(区划代码=410105),  # 18: a number cell, fine
    ]
    outcome = ledger_import(actor=people["county"], path=save(tmp_path, xlsx(rows)), mode="all_or_nothing")
    found = messages_of(outcome.report)
    assert [(r, c) for r, c, _m in found] == [
        (3, "问题编号"),
        (4, "问题编号"),
        (5, "问题标题"),
        (7, "发现日期"),
        (8, "整改期限"),
        (9, "区划代码"),
        (10, "责任单位"),
        (11, "问题类别"),
        (13, "问题类别"),
        (14, "执法领域"),
        (15, "问题标题"),
        (16, "重点问题"),
        (17, "整改期限"),
    ]
    text = {(r, c): m for r, c, m in found}
    assert text[(3, "问题编号")] == "问题编号 A-1 与第 2 行重复"
    assert text[(4, "问题编号")] == "问题编号 WT2024-0000001 已存在于系统中"
    assert "公式" in text[(5, "问题标题")]
    assert "上周三" in text[(7, "发现日期")] and "2024年3月5日" in text[(7, "发现日期")]
    assert text[(9, "区划代码")] == "区划 410303（西工区）不在您的管辖范围内"
    assert "不存在的大队" in text[(10, "责任单位")]
    assert "上级类别" in text[(11, "问题类别")]
    assert outcome.report.valid_rows == 4 and outcome.refused
    assert Problem.objects.count() == 1  # only the one registered above

    # the same file, valid rows only: the four good rows, dates as text converted
    ledger_import(actor=people["county"], path=save(tmp_path, xlsx(rows)), mode="valid_only")
    written = Problem.objects.exclude(code="WT2024-0000001")
    assert written.count() == 4
    assert written.filter(found_on=dt.date(2024, 3, 5), deadline=dt.date(2024, 4, 5)).count() == 1
    assert written.filter(category__code="zhuli-fines").count() == 1


def test_a_county_cannot_import_into_another_county_but_its_city_can(people, tmp_path):
    rows = [row(区划代码="410122", 责任单位=ZHONGMOU_UNIT)]
    outcome = ledger_import(actor=people["county"], path=save(tmp_path, xlsx(rows)), mode="valid_only")
    assert outcome.written == 0 and "不在您的管辖范围内" in outcome.report.errors[0].message
    outcome = ledger_import(actor=people["city"], path=save(tmp_path, xlsx(rows)), mode="valid_only")
    assert outcome.written == 1 and Problem.objects.get().region_id == "410122"
    outcome = ledger_import(actor=people["county_b"], path=save(tmp_path, xlsx(rows)), mode="valid_only")
    assert outcome.written == 0 and Problem.objects.count() == 1


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"code,title\nA-1,hello\n", "不是 Excel 工作簿"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600, ".xls"),
        (b"PK\x03\x04 truncated", "不是 Excel 工作簿"),
    ],
    ids=["csv", "xls", "broken-zip"],
)
def test_a_file_that_is_not_xlsx_is_refused(people, tmp_path, content, expected):
    with pytest.raises(LedgerFileError) as refused:
        ledger_import(actor=people["county"], path=save(tmp_path, content), mode="valid_only")
    assert expected in refused.value.message
    assert not Problem.objects.exists()


def test_a_plain_zip_is_refused(people, tmp_path):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("readme.txt", "hello")
    with pytest.raises(LedgerFileError, match="压缩包而不是 Excel"):
        ledger_import(actor=people["county"], path=save(tmp_path, buffer.getvalue()), mode="valid_only")


def _workbook_with_part(part: str, xml_parts, tmp_path, name="crafted.xlsx"):
    """A valid .xlsx whose ``part`` (the sheet, the shared strings ...) is streamed from chunks."""
    template = zipfile.ZipFile(io.BytesIO(xlsx([row()])))
    path = tmp_path / name
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        for info in template.infolist():
            if info.filename != part:
                archive.writestr(info.filename, template.read(info.filename))
        with archive.open(part, "w", force_zip64=True) as sheet:
            for chunk in xml_parts:
                sheet.write(chunk)
    return path


def _workbook_with_sheet(xml_parts, tmp_path):
    return _workbook_with_part("xl/worksheets/sheet1.xml", xml_parts, tmp_path)


MB = 1024 * 1024
XML_HEAD = b'<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'


@pytest.mark.parametrize(
    ("part", "megabytes"),
    [("xl/worksheets/sheet1.xml", workbook_reader.MAX_SHEET_BYTES // MB + 1), ("xl/sharedStrings.xml", 101)],
    ids=["sheet", "shared-strings"],
)
def test_a_zip_bomb_is_refused_before_any_xml_is_parsed(people, tmp_path, part, megabytes):
    # hundreds of MB of whitespace inside one part: about a megabyte on disk
    parts = [XML_HEAD, *(b" " * MB for _ in range(megabytes)), b"<sheetData/></worksheet>"]
    path = _workbook_with_part(part, parts, tmp_path)
    assert path.stat().st_size < 4 * MB
    with pytest.raises(LedgerFileError, match=f"{part} 解压后 .* MB，上限 .*疑似压缩炸弹"):
        ledger_import(actor=people["county"], path=path, mode="valid_only")
    assert not Problem.objects.exists()


def test_a_sheet_under_the_cap_is_still_parsed_within_lxml_limits(people, tmp_path):
    # 20 MB in one text node: under the size cap, refused by the parser's own limits
    cell = b'<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>'
    parts = [XML_HEAD, cell, b"x" * (20 * MB), b"</t></is></c></row></sheetData></worksheet>"]
    with pytest.raises(LedgerFileError, match="文件已损坏或不是有效的 Excel 工作簿"):
        ledger_import(actor=people["county"], path=_workbook_with_sheet(parts, tmp_path), mode="valid_only")


def _many_rows_xml(n: int, dimension: bool):
    ns = b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    yield b'<?xml version="1.0"?>' + ns
    if dimension:
        yield f'<dimension ref="A1:O{n + 1}"/>'.encode()
    header = "".join(f'<c r="{chr(65 + i)}1" t="inlineStr"><is><t>{h}</t></is></c>' for i, h in enumerate(HEADERS))
    yield f'<sheetData><row r="1">{header}</row>'.encode()
    batch = []
    for r in range(2, n + 2):
        batch.append(f'<row r="{r}"><c r="B{r}" t="inlineStr"><is><t>x</t></is></c></row>')
        if len(batch) == 50_000:
            yield "".join(batch).encode()
            batch = []
    yield "".join(batch).encode() + b"</sheetData></worksheet>"


def test_a_million_rows_are_refused_with_the_limit_named(people, tmp_path):
    path = _workbook_with_sheet(_many_rows_xml(1_000_000, dimension=True), tmp_path)
    with pytest.raises(LedgerFileError) as refused:
        ledger_import(actor=people["county"], path=path, mode="valid_only")
    assert refused.value.message == "文件有 1,000,000 行数据，超过单次导入上限 200,000 行，请拆分为多个文件后分批导入。"
    assert not Problem.objects.exists()


def test_rows_beyond_the_limit_are_counted_even_when_the_file_does_not_declare_them(people, tmp_path, monkeypatch):
    monkeypatch.setattr(imports, "MAX_ROWS", 1_000)
    path = _workbook_with_sheet(_many_rows_xml(1_500, dimension=False), tmp_path)
    with pytest.raises(LedgerFileError, match="超过单次导入上限 1,000 行（第 1,002 行仍有数据）"):
        ledger_import(actor=people["county"], path=path, mode="valid_only")


def test_wrong_headers_name_the_expected_ones(people, tmp_path):
    headers = [h for h in HEADERS if h != "区划代码"] + ["备注"]
    with pytest.raises(LedgerFileError) as refused:
        dry_run(people["county"], tmp_path, [], headers=headers)
    error = refused.value
    assert error.message == "第 1 行表头与模板不符，请使用下载的模板。"
    assert error.details[0] == "缺少必填列：区划代码"
    assert error.details[1] == "无法识别的列：备注"
    assert error.details[2].startswith("表头应为：问题编号、问题标题、问题描述、问题类别")


def test_an_empty_sheet_is_refused(people, tmp_path):
    with pytest.raises(LedgerFileError, match="文件第 1 行应为表头"):
        ledger_import(actor=people["county"], path=save(tmp_path, xlsx([], headers=[])), mode=None)


# --- ledgers as people fill them -----------------------------------------------------------------


def test_a_title_row_above_the_header_and_marked_headers_are_read(people, tmp_path):
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "问题清单"
    sheet.append(["2026年第一季度交通运输执法领域突出问题清单"])
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(HEADERS))
    marked = {
        "问题标题": "*问题标题",
        "区划代码": "区划 代码",
        "问题类别": "＊问题类别",
        "整改期限": "整改期限（YYYY-MM-DD）",
    }
    sheet.append([marked.get(h, h) for h in HEADERS])
    sheet.append(row())
    buffer = io.BytesIO()
    workbook.save(buffer)
    outcome = ledger_import(actor=people["county"], path=save(tmp_path, buffer.getvalue()), mode="valid_only")
    assert (outcome.written, outcome.report.error_count) == (1, 0)
    assert Problem.objects.get().region_id == "410105"


def test_two_headers_that_mean_the_same_column_are_refused(people, tmp_path):
    with pytest.raises(LedgerFileError) as refused:
        dry_run(people["county"], tmp_path, [], headers=[*HEADERS, "区划 代码"])
    assert "重复的列（与前面的列含义相同）：区划 代码" in refused.value.details


def test_a_header_without_data_rows_says_so(people, tmp_path):
    with pytest.raises(LedgerFileError, match="表头下面没有数据行"):
        dry_run(people["county"], tmp_path, [])


def test_an_impossible_date_gets_one_clear_message(people, tmp_path):
    report = dry_run(people["county"], tmp_path, [row(发现日期="2026年2月30日", 整改期限="2024-01-01")])
    assert messages_of(report) == [
        (2, "发现日期", "发现日期“2026年2月30日”不是有效日期，请填写如 2024-03-05 或 2024年3月5日")
    ]


@pytest.mark.parametrize("text", ["\t=1+1", '\r=HYPERLINK("http://x")', "+SUM(A1:A3)", '@HYPERLINK("x")'])
def test_any_formula_prefix_is_reported_as_a_formula(people, tmp_path, text):
    report = dry_run(people["county"], tmp_path, [row(问题描述=text)])
    assert [(e.column, e.message[:8]) for e in report.errors] == [("问题描述", "单元格含有公式，")]
    assert report.valid_rows == 0


def test_the_inline_check_is_bounded_by_what_is_read_not_what_the_file_declares(
    people, client, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(imports, "INLINE_MAX_ROWS", 5)
    queued = []
    monkeypatch.setattr(ledger_import_run, "delay", lambda job_id: queued.append(job_id))
    data = xlsx([row() for _ in range(12)])
    with zipfile.ZipFile(io.BytesIO(data)) as original:  # the sheet now claims 2 rows: A1:O3
        parts = {info.filename: original.read(info) for info in original.infolist()}
    sheet = parts["xl/worksheets/sheet1.xml"]
    parts["xl/worksheets/sheet1.xml"] = re.sub(rb'<dimension ref="[^"]+"', b'<dimension ref="A1:O3"', sheet)
    assert parts["xl/worksheets/sheet1.xml"] != sheet
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in parts.items():
            archive.writestr(name, content)
    client.force_login(people["county"])
    with django_capture_on_commit_callbacks(execute=True):
        upload(client, buffer.getvalue())
    job = ImportJob.objects.get()
    assert queued == [job.pk] and job.status == "queued" and job.valid_rows == 0  # handed to the worker
    ledger_import_run(job.pk)
    job.refresh_from_db()
    assert (job.status, job.total_rows, job.valid_rows) == ("previewed", 12, 12)


def test_optional_columns_may_be_left_out_and_blank_rows_are_ignored(people, tmp_path):
    required = [c.header for c in LEDGER_COLUMNS if c.required]
    values = dict(zip(HEADERS, row(), strict=True))
    rows = [[values[h] for h in required], [None] * len(required), [values[h] for h in required]]
    outcome = ledger_import(
        actor=people["county"], path=save(tmp_path, xlsx(rows, headers=required)), mode="valid_only"
    )
    assert outcome.written == 2 and outcome.report.total_rows == 2
    problem = Problem.objects.first()
    assert (problem.severity, problem.is_key, problem.found_on) == ("general", False, timezone.localdate())


# --- pages and the job --------------------------------------------------------------------------


def upload(client, data: bytes, name="问题台账.xlsx"):
    return client.post(reverse("cases:ledger-import"), {"file": SimpleUploadedFile(name, data)})


def test_upload_preview_then_choose_to_write(people, client):
    client.force_login(people["county"])
    assert client.get(reverse("cases:ledger-import")).status_code == 200
    response = upload(client, xlsx([row(), row(区划代码="410303", 责任单位=XIGONG_UNIT)]))
    job = ImportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("cases:ledger-job", args=[job.pk])
    assert (job.status, job.total_rows, job.valid_rows, job.error_count) == ("previewed", 2, 1, 1)
    assert job.file and job.file.name.startswith("imports/")
    page = client.get(reverse("cases:ledger-job", args=[job.pk])).content.decode()
    assert "区划 410303（西工区）不在您的管辖范围内" in page and "仅写入 1 行有效数据" in page
    assert not Problem.objects.exists()

    # another officer of the city may look, but only the uploader decides
    city = Client()
    city.force_login(people["city"])
    assert city.get(reverse("cases:ledger-job", args=[job.pk])).status_code == 200
    assert city.post(reverse("cases:ledger-job", args=[job.pk]), {"mode": "valid_only"}).status_code == 404
    # an outsider county gets the same 404 as for a missing job
    outsider = Client()
    outsider.force_login(people["county_b"])
    assert outsider.get(reverse("cases:ledger-job", args=[job.pk])).status_code == 404

    response = client.post(reverse("cases:ledger-job", args=[job.pk]), {"mode": "valid_only"})
    assert response.status_code == 302
    job.refresh_from_db()
    assert (job.status, job.written_rows) == ("done", 1) and not job.file
    assert Problem.objects.count() == 1
    # a second click changes nothing
    client.post(reverse("cases:ledger-job", args=[job.pk]), {"mode": "valid_only"})
    assert Problem.objects.count() == 1


def test_choosing_all_or_nothing_with_bad_rows_writes_nothing(people, client):
    client.force_login(people["county"])
    upload(client, xlsx([row(), row(整改期限="不知道")]))
    job = ImportJob.objects.get()
    client.post(reverse("cases:ledger-job", args=[job.pk]), {"mode": "all_or_nothing"})
    job.refresh_from_db()
    assert job.status == "refused" and "未写入任何数据" in job.message
    assert not Problem.objects.exists()


def test_a_refused_file_is_reported_on_the_job_page(people, client):
    client.force_login(people["county"])
    upload(client, b"not a spreadsheet at all", name="ledger.xlsx")
    job = ImportJob.objects.get()
    assert job.status == "refused" and not job.file
    page = client.get(reverse("cases:ledger-job", args=[job.pk])).content.decode()
    assert "文件不是 Excel 工作簿 (.xlsx)" in page


def test_a_large_file_runs_as_a_task_with_a_progress_bar(
    people, client, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(imports, "INLINE_MAX_ROWS", 5)
    monkeypatch.setattr(imports, "PROGRESS_EVERY", 4)
    queued = []
    monkeypatch.setattr(ledger_import_run, "delay", lambda job_id: queued.append(job_id))
    client.force_login(people["county"])
    with django_capture_on_commit_callbacks(execute=True):
        upload(client, xlsx([row() for _ in range(11)] + [row(区划代码="999999")]))
    job = ImportJob.objects.get()
    assert queued == [job.pk] and job.status == "queued" and job.total_rows == 12

    url = reverse("cases:ledger-job", args=[job.pk])
    poll = client.get(url, headers={"HX-Request": "true"}).content.decode()
    assert 'hx-trigger="every 1s"' in poll and "progressbar" in poll and "<html" not in poll

    seen = []  # the job row as the page would read it at every progress step
    validate = imports._validate_rows

    def watching(actor, columns, rows, progress):
        def recording(n):
            progress(n)
            seen.append(ImportJob.objects.get(pk=job.pk).validated_rows)

        return validate(actor, columns, rows, recording)

    monkeypatch.setattr(imports, "_validate_rows", watching)
    ledger_import_run(job.pk)  # what the worker runs: the task's own function, here in-process
    job.refresh_from_db()
    assert seen == [4, 8, 12] and (job.status, job.valid_rows, job.error_count) == ("previewed", 11, 1)
    poll = client.get(url, headers={"HX-Request": "true"}).content.decode()
    assert "hx-trigger" not in poll and "区划代码“999999”不存在" in poll

    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, {"mode": "valid_only"})
    assert queued == [job.pk, job.pk]
    ledger_import_run(job.pk)
    job.refresh_from_db()
    assert (job.status, job.written_rows) == ("done", 11) and Problem.objects.count() == 11
    ledger_import_run(job.pk)  # a duplicate delivery: the job is finished, nothing happens
    assert Problem.objects.count() == 11


def test_the_task_returns_quietly_for_a_missing_job(people):
    assert ledger_import_run(987654) is None


def test_a_job_whose_uploader_lost_the_right_to_edit_writes_nothing(people, client, tmp_path):
    client.force_login(people["county"])
    upload(client, xlsx([row()]))
    job = ImportJob.objects.get()
    ImportJob.objects.filter(pk=job.pk).update(status="queued", mode="valid_only")
    User.objects.filter(pk=people["county"].pk).update(roles=[Role.INSPECTOR])
    imports.import_job_run(job.pk)
    job.refresh_from_db()
    assert job.status == "failed" and not Problem.objects.exists()


# --- the library's resource (the benchmark's baseline) -------------------------------------------------


def test_the_resource_imports_row_by_row_with_the_same_rules(people):
    import tablib

    dataset = tablib.Dataset(headers=HEADERS)
    dataset.append(row(问题编号="LIB-1"))
    dataset.append(row(问题编号="LIB-2", 区划代码="410303", 责任单位=XIGONG_UNIT))
    resource = ProblemResource(user=people["county"])
    result = resource.import_data(dataset, dry_run=False, rollback_on_validation_errors=True)
    assert result.has_validation_errors()  # the other county's row, refused by ensure_writable
    assert [row.number for row in result.invalid_rows] == [2]
    assert not Problem.objects.exists()  # and the import rolled back
    dataset = tablib.Dataset(headers=HEADERS)
    dataset.append(row(问题编号="LIB-1", 整改期限=dt.date(2030, 1, 1)))
    result = ProblemResource(user=people["county"]).import_data(dataset, dry_run=False)
    assert not result.has_errors()
    assert Problem.objects.get(code="LIB-1").status == "assigned"


# --- demo data ------------------------------------------------------------------------------------


def seed_context(scale: str, seed: int) -> SeedContext:
    return SeedContext(scale=scale, rng=random.Random(seed))  # noqa: S311 - demo data


def test_the_small_seed_covers_every_state_in_the_demo_regions_and_is_idempotent():
    ctx = seed_context("small", 1)
    regions_seed.seed(ctx)
    accounts_seed.seed(ctx)
    cases_seed.seed(ctx)
    problems = Problem.objects.all()
    assert problems.count() == 40
    assert set(problems.values_list("region_id", flat=True)) == {"410100", "410300", "410105", "410122", "410303"}
    assert set(problems.values_list("status", flat=True)) == set(Problem.Status.values)
    assert problems.overdue().exists()
    events = AuditEvent.objects.filter(object_type="cases.problem")
    history_count = events.count()
    cases_seed.seed(seed_context("small", 2))
    assert Problem.objects.count() == 40 and events.count() == history_count


def test_every_seeded_problem_has_the_history_of_its_state_and_meets_the_rules(settings, tmp_path):
    from cases import requirements
    from cases.selectors import problem_detail_parts

    settings.MEDIA_ROOT = tmp_path
    ctx = seed_context("small", 3)
    regions_seed.seed(ctx)
    accounts_seed.seed(ctx)
    cases_seed.seed(ctx)
    expected = {
        "registered": ["problem.register"],
        "assigned": ["problem.register", "problem.assign"],
        "rectifying": ["problem.register", "problem.assign", "problem.start"],
        "submitted": ["problem.register", "problem.assign", "problem.start", "problem.submit"],
        "closed": ["problem.register", "problem.assign", "problem.start", "problem.submit", "problem.verify_pass"],
    }
    moves = set(expected["closed"])
    legacy = 0
    for problem in Problem.objects.all():
        actions = list(
            AuditEvent.objects.filter(object_type="cases.problem", object_id=str(problem.pk))
            .order_by("seq")
            .values_list("action", "occurred_at")
        )
        assert [a for a, _at in actions if a in moves] == expected[problem.status], problem.status
        times = [at for _a, at in actions]
        assert times == sorted(times) and times[0] == problem.created_at
        if problem.status in ("submitted", "closed"):
            assert requirements.unmet(problem, "submit") == []
        if problem.status == "closed":
            assert problem.verifications.filter(result="passed").exists()
            recorded = problem.verifications.exclude(method="")
            if recorded.exists():
                assert recorded.get().files.count() == 1
                if problem.is_key or problem.severity == "grave":
                    assert recorded.get().method == "onsite"
            else:
                legacy += 1
                assert not problem_detail_parts(problem)["closed_verified"]
    assert Problem.objects.filter(status="closed").count() > legacy  # most closings were verified
    problem = Problem.objects.filter(status="submitted").first()
    assert problem.evidence.first().file.read()[:4] == b"\x89PNG"


def test_the_large_seed_generator_spreads_states_deadlines_and_counties():
    ctx = seed_context("large", 7)
    regions_seed.seed(ctx)
    accounts_seed.seed(ctx)
    counties = list(Region.objects.filter(level="county").values_list("code", "name"))
    n = 4 * len(counties)
    assert cases_seed.seed_problems(ctx, counties, n) == n
    assert Problem.objects.values("region_id").distinct().count() == len(counties)
    # a three-year history at a steady rate: the last quarter holds its share, not a surge of
    # fresh open problems (the monitoring's backtest replays this ledger)
    today = timezone.localdate()
    found = list(Problem.objects.values_list("found_on", flat=True))
    recent = sum(1 for day in found if (today - day).days < 180)
    assert 0.7 < recent / (n * 180 / (cases_seed.HISTORY_DAYS + 1)) < 1.3
    share = {s: Problem.objects.filter(status=s).count() / n for s in Problem.Status.values}
    assert abs(share["closed"] - 0.77) < 0.06 and abs(share["rectifying"] - 0.14) < 0.05
    assert 0 < share["registered"] < 0.05 and 0 < share["submitted"] < 0.06
    assert all(
        (today - day).days <= 30
        for day in Problem.objects.filter(status="registered").values_list("found_on", flat=True)
    )
    years = {d.year for d in Problem.objects.values_list("found_on", flat=True)}
    assert len(years) >= 3 and Problem.objects.overdue().count() > 0.05 * n
    assert not Problem.objects.filter(status="closed", closed_at__isnull=True).exists()
    codes = list(Problem.objects.values_list("code", flat=True))
    assert all(code.startswith("WT") for code in codes) and len(set(codes)) == n
