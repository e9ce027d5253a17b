"""通报表扬 / 通报批评 and the warning-case circular (point 6): .docx with document numbers
through portal.documents, opened with python-docx and read."""

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from docx import Document

from cases.models import Accountability
from evaluation import services
from evaluation.models import EntityScore
from evaluation.tests.test_appeals import world  # noqa: F401 - fixture
from portal.documents.models import IssuedDocument
from supervision.tests.test_services import make_problem

pytestmark = pytest.mark.django_db


def text_of(document: IssuedDocument) -> str:
    doc = Document(io.BytesIO(bytes(document.content)))
    parts = [p.text for p in doc.paragraphs]
    for table in doc.tables:
        for row in table.rows:
            parts.append(" | ".join(cell.text for cell in row.cells))
    return "\n".join(parts)


def publish(world):  # noqa: F811
    return services.period_publish(actor=world["province"], period_id=world["period"].pk)


def test_commendation_and_criticism_name_top_and_bottom_with_numbers(world):  # noqa: F811
    period = world["period"]
    with pytest.raises(ValidationError):  # not published yet
        services.notice_issue(actor=world["province"], period_id=period.pk, doc_type="evaluation.commendation")
    problem = make_problem("410105", description="执法人员违规收费")
    Accountability.objects.create(
        problem=problem,
        unit=problem.unit,
        person_name="张某",
        post="执法队员",
        measure=Accountability.Measure.choices[0][0],
        decided_by="金水区纪委",
        decided_on=period.starts_on + dt.timedelta(days=30),
    )
    publish(world)
    praise = services.notice_issue(
        actor=world["province"], period_id=period.pk, doc_type="evaluation.commendation", count=1
    )
    blame = services.notice_issue(
        actor=world["province"], period_id=period.pk, doc_type="evaluation.criticism", count=1
    )
    year = praise.year
    assert praise.number == f"豫交评表〔{year}〕1号" and blame.number == f"豫交评批〔{year}〕1号"
    praise_text, blame_text = text_of(praise), text_of(blame)
    assert praise.number in praise_text and "通报表扬" in praise_text
    # every county but 410105 has full marks: all share rank 1 and are commended; 410105 is not
    bottom = EntityScore.objects.get(period=period, region_id="410105")
    assert bottom.total == Decimal("70.00")
    assert bottom.region.name not in praise_text
    assert blame.number in blame_text and bottom.region.name in blame_text
    assert "执法培训（得 30.00 / 60.00 分）" in blame_text  # its weakest indicator
    assert "张某" in blame_text  # the person the accountability data names in that entity
    # bad count: named, nothing issued
    with pytest.raises(ValidationError):
        services.notice_issue(actor=world["province"], period_id=period.pk, doc_type="evaluation.criticism", count="x")
    assert IssuedDocument.objects.count() == 2


def test_warning_circular_carries_the_cases_the_reviewer_picks(world):  # noqa: F811
    period = world["period"]
    records = []
    for name, title in (("李某", "违规扣车"), ("王某", "以罚代管")):
        problem = make_problem("410122", description=f"{title}的详细情况\x0b")
        problem.title = title
        problem.save(update_fields=["title"])
        records.append(
            Accountability.objects.create(
                problem=problem,
                unit=problem.unit,
                person_name=name,
                post="中队长",
                measure=Accountability.Measure.choices[0][0],
                discipline_breach=True,
                decided_by="中牟县纪委",
                decided_on=period.starts_on + dt.timedelta(days=60),
            )
        )
    client = Client()
    client.force_login(world["province"])
    page = client.get(reverse("evaluation:notices"), {"period": period.pk})
    assert page.status_code == 200 and "违规扣车" in page.content.decode()
    with pytest.raises(ValidationError):  # nothing picked
        services.notice_issue(actor=world["province"], period_id=period.pk, doc_type="evaluation.warning")
    response = client.post(
        reverse("evaluation:notice-issue"),
        {"period": period.pk, "doc_type": "evaluation.warning", "cases": [records[1].pk]},
    )
    assert response.status_code == 302
    document = IssuedDocument.objects.get(doc_type="evaluation.warning")
    text = text_of(document)
    assert document.number in text and "警示案例" in text
    assert "以罚代管" in text and "王某" in text and "违规扣车" not in text
    assert "\\u000b" in text  # a control character from the record is escaped, the file still opens
    # a county cannot reach the notices
    county = Client()
    county.force_login(world["county"])
    assert county.get(reverse("evaluation:notices")).status_code == 404
