"""Writing, issuing and voiding documents; every write audited in its transaction."""

from __future__ import annotations

import hashlib

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from portal.audit.services import audit_record
from portal.core.text import clean_field
from portal.documents.models import DocumentCounter, DocumentTemplate, IssuedDocument
from portal.documents.registry import document_type
from portal.documents.writer import DocxWriter, TemplateError, check_template


def active_template(doc_type: str) -> DocumentTemplate | None:
    return DocumentTemplate.objects.filter(doc_type=doc_type, active=True).first()


def _writer(key: str, template: DocumentTemplate | None) -> DocxWriter:
    """A writer on the template; a missing or unreadable one falls back to the built-in layout
    and tells the administrators (the document is still written)."""
    if template is None:
        return DocxWriter(None)
    try:
        content = bytes(template.content or b"")
        if not content:
            raise TemplateError(_("模板文件为空"))
        return DocxWriter(content)
    except TemplateError as exc:
        from portal.core.services import admin_warning_raise

        admin_warning_raise(
            key=f"document-template-{template.pk}",
            message=_("文书模板“%(name)s”无法使用（%(error)s），已改用内置版式。请在“文书模板”中重新上传。")
            % {"name": template.name, "error": exc},
        )
        return DocxWriter(None)


def render(key: str, obj, *, number: str = "", template: DocumentTemplate | None = None, **options) -> bytes:
    """``obj``'s document of type ``key`` as .docx bytes (the active template, or built-in)."""
    kind = document_type(key)
    template = template or active_template(key)
    writer = _writer(key, template)
    kind.build(writer, obj, **options)
    values = {
        "title": "",
        "date": formats.date_format(timezone.localdate(), "Y年n月j日"),
        "issuer": "",
        **kind.context(obj),
        "number": number,
    }
    return writer.save(values)


def next_number(key: str, year: int) -> int:
    """The next sequence number of a type in a year; call inside the issuing transaction."""
    DocumentCounter.objects.get_or_create(doc_type=key, year=year)
    counter = DocumentCounter.objects.select_for_update().get(doc_type=key, year=year)
    counter.last += 1
    counter.save(update_fields=["last"])
    return counter.last


def issue(key: str, obj, *, actor, title: str = "", **options) -> IssuedDocument:
    """Issue ``obj``'s document: a number (for numbered types), the file written and kept."""
    kind = document_type(key)
    year = timezone.localdate().year
    template = active_template(key)
    with transaction.atomic():
        seq = next_number(key, year) if kind.numbered else None
        number = kind.format_number(year, seq) if seq else ""
        content = render(key, obj, number=number, template=template, **options)
        document = IssuedDocument.objects.create(
            doc_type=key,
            year=year,
            seq=seq,
            number=number,
            title=(title or kind.context(obj).get("title") or str(kind.label))[:300],
            object_type=kind.object_type(obj),
            object_id=str(obj.pk),
            region_id=kind.region_code(obj),
            file_name=kind.file_name(obj, number),
            content=content,
            sha256=hashlib.sha256(content).hexdigest(),
            template=template,
            issued_by=actor,
        )
        audit_record(
            actor=actor,
            action="document.issue",
            obj=document,
            changes={"doc_type": key, "number": number, "about": f"{document.object_type}:{document.object_id}"},
        )
    return document


def void(document: IssuedDocument, *, actor, reason: str) -> IssuedDocument:
    reason = clean_field("reason", reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("请填写作废原因。")})
    with transaction.atomic():
        locked = IssuedDocument.objects.select_for_update().get(pk=document.pk)
        if locked.voided:
            raise ValidationError(
                _("该文书已于 %(t)s 作废。") % {"t": f"{timezone.localtime(locked.voided_at):%Y-%m-%d %H:%M}"}
            )
        locked.voided_at, locked.voided_by, locked.void_reason = timezone.now(), actor, reason[:300]
        locked.save(update_fields=["voided_at", "voided_by", "void_reason"])
        audit_record(
            actor=actor, action="document.void", obj=locked, changes={"number": locked.number, "reason": reason}
        )
    return locked


def upload_template(*, actor, doc_type: str, name: str, content: bytes, note: str = "") -> DocumentTemplate:
    """Check and store a template as the type's active one (the previous one is kept, inactive)."""
    kind = document_type(doc_type)
    try:
        check_template(content, kind.allowed_placeholders())
    except TemplateError as exc:
        raise ValidationError({"content": str(exc)}) from None
    with transaction.atomic():
        DocumentTemplate.objects.filter(doc_type=doc_type, active=True).update(active=False)
        template = DocumentTemplate.objects.create(
            doc_type=doc_type, name=name or str(kind.label), content=content, note=note, uploaded_by=actor
        )
        audit_record(actor=actor, action="document.template_upload", obj=template, changes={"doc_type": doc_type})
    return template
