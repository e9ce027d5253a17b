"""Official documents (文书) the portal writes, registered by the apps in ``<app>/documents.py``.

A document type knows how to write one object's document into a ``DocxWriter``; the ground
floor gives it the rest: an administrator's replaceable Word template (letterhead, fonts,
header and footer with ``{{placeholder}}`` fields, see ``writer``), gap-free numbers per type
and year for the types that carry one (``numbered``; ``services.issue``), the issued copy kept
and audited, and scoping of who may read it. An app adds a type with::

    @register
    class SupervisionNotice(DocumentType):
        key = "listing.notice"
        label = _("督办通知书")
        numbered = True
        prefix = "豫交督"           # → 豫交督〔2026〕7号

        def build(self, writer, obj, **options): ...
        def context(self, obj): return {"title": ..., "recipient": ...}
        def region_code(self, obj): return obj.region_id
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

# Fields every template may use, filled for every type (``services``).
COMMON_PLACEHOLDERS = {
    "title": _("文书标题"),
    "number": _("文号（不编号的文书为空）"),
    "date": _("成文日期"),
    "issuer": _("发文机关"),
    "body": _("正文位置（独占一段；没有时正文接在模板末尾）"),
}


class DocumentType:
    key: str = ""
    label = ""
    numbered = False  # carries a number 〔year〕seq, allocated without gaps on issue
    prefix = ""  # the issuing organ's abbreviation in the number
    # Extra placeholders this type fills (name -> what it is), beyond COMMON_PLACEHOLDERS.
    placeholders: dict = {}

    def build(self, writer, obj, **options) -> None:
        """Write the body of ``obj``'s document."""
        raise NotImplementedError

    def context(self, obj) -> dict:
        """Values of the placeholders (the common ones the type knows, and its own)."""
        return {}

    def region_code(self, obj) -> str:
        """The region whose readers may see the issued document (the scoping rule)."""
        raise NotImplementedError

    def object_type(self, obj) -> str:
        return f"{obj._meta.app_label}.{obj._meta.model_name}"

    def file_name(self, obj, number: str = "") -> str:
        return f"{number or self.label}.docx"

    def format_number(self, year: int, seq: int) -> str:
        return f"{self.prefix}〔{year}〕{seq}号"

    def allowed_placeholders(self) -> dict:
        return {**COMMON_PLACEHOLDERS, **self.placeholders}


_REGISTERED: dict[str, DocumentType] = {}


def register(cls: type[DocumentType]) -> type[DocumentType]:
    if not cls.key:
        raise ValueError(f"{cls.__name__} needs a key")
    _REGISTERED[cls.key] = cls()
    return cls


def document_type(key: str) -> DocumentType:
    try:
        return _REGISTERED[key]
    except KeyError:
        raise LookupError(f"no document type {key!r}; registered: {', '.join(sorted(_REGISTERED))}") from None


def all_types() -> list[DocumentType]:
    return sorted(_REGISTERED.values(), key=lambda t: t.key)


def type_choices() -> list[tuple[str, str]]:
    return [(t.key, str(t.label)) for t in all_types()]
