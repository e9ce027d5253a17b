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
    assert {"王局长", "已召开整改会议", "整改报告.pdf", "完成自查", "problem.register", "problem.assign"} <= cells
    assert AuditEvent.objects.filter(action="problem.archive_export").count() == 1


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
