import datetime as dt
import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from docx import Document

from cases import services
from cases.accountability import four_must_flags
from cases.archive import export_archive
from cases.models import Accountability, Category, Problem
from portal.accounts.models import Role, User
from portal.accounts.scoping import OutOfScope
from portal.audit.models import AuditEvent
from portal.regions.models import EnforcementDomain, Unit

pytestmark = pytest.mark.django_db


@pytest.fixture
def setup(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    county = User.objects.create_user("county", region_id="410105", roles=[Role.COUNTY_OFFICER])
    city = User.objects.create_user("city", region_id="410100", roles=[Role.CITY_STAFF])
    other = User.objects.create_user("other", region_id="410303", roles=[Role.COUNTY_OFFICER])
    unit = Unit.objects.create(name="金水区治超执法站", kind="station", region_id="410105")
    problem = services.problem_register(
        actor=county,
        title="治超站点直接罚款",
        category=Category.objects.get(code="lyj-directfine"),
        source=Problem.Source.COMPLAINT,
        region=unit.region,
        unit=unit,
        domain=EnforcementDomain.objects.get(code="highway"),
        first_responsible="王局长",
    )
    services.problem_transition(actor=city, problem_id=problem.pk, move="assign")
    services.plan_set(
        actor=county,
        problem=problem,
        measures="停止现场罚款，开展警示教育",
        milestones=[("完成自查", timezone.localdate() + dt.timedelta(days=5))],
    )
    pdf = SimpleUploadedFile("整改报告.pdf", b"%PDF-1.4 evidence", content_type="application/pdf")
    services.progress_log(actor=county, problem=problem, note="已召开整改会议", files=[pdf])
    return {"county": county, "city": city, "other": other, "unit": unit, "problem": problem}


def test_the_archive_holds_the_whole_file(setup):
    name, data = export_archive(actor=setup["city"], problem_id=setup["problem"].pk)
    assert name.endswith("-archive.zip")
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = archive.namelist()
        docx_name = next(n for n in names if n.endswith(".docx"))
        assert any(n.endswith("整改报告.pdf") for n in names)
        assert archive.read(next(n for n in names if n.endswith(".pdf"))) == b"%PDF-1.4 evidence"
        text = "\n".join(p.text for p in Document(io.BytesIO(archive.read(docx_name))).paragraphs)
        tables = Document(io.BytesIO(archive.read(docx_name))).tables
    cells = {cell.text for table in tables for row in table.rows for cell in row.cells}
    assert "问题整治档案" in text and "停止现场罚款，开展警示教育" in text
    # the timeline with readable labels (the actions' codes stay in the audit trail)
    assert {"王局长", "已召开整改会议", "整改报告.pdf", "完成自查", "登记问题", "交办"} <= cells
    assert AuditEvent.objects.filter(action="problem.archive_export").count() == 1
    assert "销号时没有核查记录" not in text


def _docx(actor, problem) -> tuple[str, set[str]]:
    _name, data = export_archive(actor=actor, problem_id=problem.pk)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        document = Document(io.BytesIO(archive.read(next(n for n in archive.namelist() if n.endswith(".docx")))))
    text = "\n".join(p.text for p in document.paragraphs)
    return text, {cell.text for table in document.tables for row in table.rows for cell in row.cells}


def test_the_archive_shows_plan_progress_verifications_and_the_whole_timeline(setup):
    from cases.tests.rectify import rectify, verify

    county, city, problem = setup["county"], setup["city"], setup["problem"]
    services.problem_transition(actor=county, problem_id=problem.pk, move="start")
    rectify(county, problem)
    services.problem_transition(actor=county, problem_id=problem.pk, move="submit")
    verify(city, problem, method="onsite")
    services.problem_transition(actor=city, problem_id=problem.pk, move="verify_pass")
    text, cells = _docx(city, problem)
    assert "第一周排查，第二周整改，第三周复查。" in text  # the route map
    for part in (
        "实地核查",
        "王芳、赵强",
        "现场查看，违规点位已撤除。",
        "核查照片.png",
        "通过，予以销号",
        "核查",
        "整改进展",
    ):
        assert part in cells, part
    for step in (
        "登记问题",
        "交办",
        "开始整改",
        "制定整改方案",
        "时间节点完成",
        "报送整改进展",
        "提交核查",
        "记录核查",
    ):
        assert step in cells, step
    assert "核查通过并销号" in cells and "销号时没有核查记录" not in text


def test_a_problem_closed_without_a_verification_record_is_marked_in_its_archive(setup):
    from cases.models import TransitionRequirement
    from cases.tests.rectify import rectify

    county, city, problem = setup["county"], setup["city"], setup["problem"]
    # rules tuned to ask for no verification record: the closing is allowed, and it shows
    TransitionRequirement.objects.filter(move="verify_pass").update(active=False)
    services.problem_transition(actor=county, problem_id=problem.pk, move="start")
    rectify(county, problem)
    services.problem_transition(actor=county, problem_id=problem.pk, move="submit")
    services.problem_transition(actor=city, problem_id=problem.pk, move="verify_pass")
    text, cells = _docx(city, problem)
    assert "销号时没有核查记录" in text and "（无核查记录）" in cells


def test_the_archive_is_scoped(setup):
    with pytest.raises(OutOfScope):
        export_archive(actor=setup["other"], problem_id=setup["problem"].pk)


def test_four_must_flags(setup):
    problem, unit, city = setup["problem"], setup["unit"], setup["city"]
    today = timezone.localdate()
    for i in range(3):
        services.accountability_record(
            actor=city,
            problem=problem,
            unit=unit,
            person_name=f"执法员{i}",
            post="执法员",
            measure=Accountability.Measure.CRITICISM,
            decided_by="郑州市交通运输局",
            decided_on=today,
            discipline_breach=True,
        )
    other_unit = Unit.objects.create(name="中牟县路政中队", kind="station", region_id="410122")
    services.accountability_record(
        actor=city,
        problem=problem,
        unit=other_unit,
        person_name="李某",
        post="中队长",
        measure=Accountability.Measure.DISCIPLINE,
        decided_by="郑州市交通运输局",
        decided_on=today,
        discipline_breach=True,
        serious=True,
    )
    flags = {f.unit_id: f for f in four_must_flags(city, start=today.replace(day=1), end=today)}
    assert flags[unit.pk].person_times == 3 and flags[unit.pk].agency_head and not flags[unit.pk].transport_authority
    assert flags[other_unit.pk].person_times == 1 and not flags[other_unit.pk].agency_head
    assert flags[other_unit.pk].transport_authority
    # out of the period, or out of scope: not counted
    assert four_must_flags(city, start=today + dt.timedelta(days=1), end=today + dt.timedelta(days=30)) == []
    assert four_must_flags(setup["other"], start=today.replace(day=1), end=today) == []
