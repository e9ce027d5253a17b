"""The document mechanism: built-in and replaced templates, checked fields, gap-free numbers,
voiding that keeps the number, text no Office writer could hold, scoping of issued copies."""

from __future__ import annotations

import io
import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.urls import reverse
from docx import Document

from portal.accounts.models import Role, User
from portal.audit.models import AuditEvent
from portal.documents import services
from portal.documents.models import IssuedDocument
from portal.documents.registry import DocumentType, register
from portal.documents.writer import DocxWriter, builtin_template, template_fields
from portal.regions.models import Unit


@register
class UnitNotice(DocumentType):
    """A numbered type for the tests: a notice about a unit."""

    key = "tests.unit_notice"
    label = "测试通知书"
    numbered = True
    prefix = "豫交测"
    placeholders = {"recipient": "收件单位"}

    def build(self, writer, obj, **options):
        writer.heading("通知", level=1)
        writer.paragraph(options.get("text", f"{obj.name}：请按期整改。"))
        writer.table(["项目", "内容"], [["单位", obj.name]])

    def context(self, obj):
        return {"title": f"关于{obj.name}的通知", "recipient": obj.name, "issuer": "河南省交通运输厅"}

    def region_code(self, obj):
        return obj.region_id


def _text(content: bytes) -> str:
    document = Document(io.BytesIO(content))
    parts = [p.text for p in document.paragraphs]
    parts += [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    for section in document.sections:
        parts += [p.text for p in section.header.paragraphs]
    return "\n".join(parts)


def _template(*paragraphs: str, header: str = "") -> bytes:
    document = Document()
    for text in paragraphs:
        document.add_paragraph(text)
    if header:
        document.sections[0].header.paragraphs[0].text = header
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


@pytest.fixture
def people(db):
    return {
        "province": User.objects.create_user("doc-prov", region_id="410000", roles=[Role.PROVINCE_STAFF]),
        "city": User.objects.create_user("doc-city", region_id="410100", roles=[Role.CITY_STAFF]),
        "other": User.objects.create_user("doc-other", region_id="410300", roles=[Role.CITY_STAFF]),
    }


@pytest.fixture
def unit(db):
    return Unit.objects.create(name="金水区治超执法站", kind=Unit.Kind.STATION, region_id="410105")


def test_the_built_in_layout_writes_the_body_and_no_field_is_left(unit):
    content = services.render("tests.unit_notice", unit)
    text = _text(content)
    assert "金水区治超执法站：请按期整改。" in text
    assert "{{" not in text


def test_an_uploaded_template_places_fields_and_body(people, unit):
    template = _template("{{issuer}}", "{{number}}", "{{body}}", "抄送：{{recipient}}", header="{{title}}")
    services.upload_template(actor=people["province"], doc_type="tests.unit_notice", name="红头", content=template)
    document = services.issue("tests.unit_notice", unit, actor=people["province"])
    paragraphs = [p.text for p in Document(io.BytesIO(bytes(document.content))).paragraphs]
    assert paragraphs[0] == "河南省交通运输厅"
    assert paragraphs[1] == document.number
    # The body sits where {{body}} stood, before the template's closing line.
    body_at = paragraphs.index("金水区治超执法站：请按期整改。")
    assert 1 < body_at < paragraphs.index("抄送：金水区治超执法站")
    assert "关于金水区治超执法站的通知" in _text(bytes(document.content))
    assert document.template.name == "红头"
    assert AuditEvent.objects.filter(action="document.template_upload").exists()


def test_a_template_with_an_unknown_field_is_refused_with_the_fields_it_may_use(people):
    with pytest.raises(ValidationError) as caught:
        services.upload_template(
            actor=people["province"], doc_type="tests.unit_notice", name="x", content=_template("{{nmber}}")
        )
    message = str(caught.value)
    assert "{{nmber}}" in message and "{{number}}" in message and "{{recipient}}" in message


def test_a_file_that_is_not_a_docx_is_refused_plainly(people):
    with pytest.raises(ValidationError, match="不是 Word"):
        services.upload_template(actor=people["province"], doc_type="tests.unit_notice", name="x", content=b"%PDF-1.4")


def test_the_builtin_template_offers_every_common_field():
    assert {"title", "number", "date", "issuer", "body"} <= template_fields(builtin_template())


def test_numbers_run_per_type_and_year_without_gaps(people, unit):
    first = services.issue("tests.unit_notice", unit, actor=people["province"])
    with pytest.raises(RuntimeError), transaction.atomic():
        services.issue("tests.unit_notice", unit, actor=people["province"])
        raise RuntimeError("the caller's transaction fails after the issue")
    second = services.issue("tests.unit_notice", unit, actor=people["province"])
    assert (first.seq, second.seq) == (1, 2)  # the rolled-back number was given back
    assert second.number == f"豫交测〔{second.year}〕2号"


def test_a_voided_document_keeps_its_number_which_is_never_given_again(people, unit):
    first = services.issue("tests.unit_notice", unit, actor=people["province"])
    services.void(first, actor=people["province"], reason="送达单位有误")
    with pytest.raises(ValidationError, match="已于"):
        services.void(first, actor=people["province"], reason="again")
    with pytest.raises(ValidationError):
        services.void(services.issue("tests.unit_notice", unit, actor=people["province"]), actor=None, reason=" ")
    third = services.issue("tests.unit_notice", unit, actor=people["province"])
    assert third.seq == 3
    first.refresh_from_db()
    assert first.voided and first.void_reason == "送达单位有误" and first.seq == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_issues_get_distinct_consecutive_numbers(people, unit):
    seqs, errors = [], []

    def issue():
        try:
            seqs.append(services.issue("tests.unit_notice", unit, actor=people["province"]).seq)
        except Exception as exc:  # pragma: no cover - shown by the assertion
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=issue) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert sorted(seqs) == [1, 2, 3, 4, 5, 6]


def test_text_no_office_file_can_hold_is_escaped_not_fatal(unit):
    content = services.render("tests.unit_notice", unit, text="整改进展\x01\x0b\x1f\ufffe结束")
    assert "整改进展\\u0001\\u000b\\u001f\\ufffe结束" in _text(content)
    writer = DocxWriter()
    writer.table(["a"], [["\x00"]])
    assert "\\u0000" in _text(writer.save())


def test_issued_documents_are_listed_downloaded_and_voided_within_scope(client, people, unit):
    document = services.issue("tests.unit_notice", unit, actor=people["province"])
    client.force_login(people["city"])
    page = client.get(reverse("documents:index"))
    assert document.number in page.content.decode()
    download = client.get(reverse("documents:download", args=[document.pk]))
    assert download.status_code == 200 and download.content == bytes(document.content)
    assert AuditEvent.objects.filter(action="document.download", object_id=str(document.pk)).exists()
    client.force_login(people["other"])
    assert document.number not in client.get(reverse("documents:index")).content.decode()
    assert client.get(reverse("documents:download", args=[document.pk])).status_code == 404
    assert client.post(reverse("documents:void", args=[document.pk]), {"reason": "x"}).status_code == 404
    client.force_login(people["city"])
    client.post(reverse("documents:void", args=[document.pk]), {"reason": "重复签发"})
    assert IssuedDocument.objects.get(pk=document.pk).void_reason == "重复签发"
