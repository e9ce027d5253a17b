"""Writing a .docx: the built-in layout, or an administrator's template.

A template is an ordinary Word file (the unit's letterhead, fonts, header and footer). Fields
are written ``{{name}}`` (e.g. ``{{number}}``, ``{{date}}``) anywhere in its paragraphs, tables,
headers and footers; each is replaced by text only (a field's paragraph keeps the style of its
first run). The document's body goes where a paragraph holds exactly ``{{body}}``, or after the
template's content when there is none. Every text passes through ``office_text`` so what is
stored always reaches the file.
"""

from __future__ import annotations

import io
import re
import zipfile

from django.utils.translation import gettext as _
from docx import Document
from docx.shared import Pt

from portal.core.text import office_text

FIELD = re.compile(r"\{\{\s*([\w.]+)\s*\}\}")
BODY_FIELD = "body"


class TemplateError(ValueError):
    """The uploaded file is not a usable template; the message says why and what to do."""


def _paragraphs(document):
    """Every paragraph of the body, its tables, and each section's headers and footers."""

    def walk(container):
        yield from container.paragraphs
        for table in getattr(container, "tables", []):
            for row in table.rows:
                for cell in row.cells:
                    yield from walk(cell)

    yield from walk(document)
    for section in document.sections:
        for part in (
            section.header,
            section.footer,
            section.first_page_header,
            section.first_page_footer,
            section.even_page_header,
            section.even_page_footer,
        ):
            if not part.is_linked_to_previous:
                yield from walk(part)


def open_template(content: bytes):
    """The python-docx document of a template, or TemplateError saying what is wrong."""
    if not zipfile.is_zipfile(io.BytesIO(content)):
        raise TemplateError(_("模板不是 Word（.docx）文件：请在 Word 中“另存为 .docx”后重新上传。"))
    try:
        return Document(io.BytesIO(content))
    except Exception:  # python-docx raises several kinds for a damaged package
        raise TemplateError(_("模板文件已损坏或不是 .docx 文档，无法打开：请用 Word 重新保存后上传。")) from None


def template_fields(content: bytes) -> set[str]:
    document = open_template(content)
    return {name for paragraph in _paragraphs(document) for name in FIELD.findall(paragraph.text)}


def check_template(content: bytes, allowed: dict) -> None:
    """Refuse a template naming fields its document type does not fill."""
    unknown = sorted(template_fields(content) - set(allowed))
    if unknown:
        raise TemplateError(
            _("模板中有未知的字段：%(unknown)s。可用字段：%(allowed)s。")
            % {
                "unknown": "、".join("{{" + name + "}}" for name in unknown),
                "allowed": "、".join("{{" + name + "}}" for name in allowed),
            }
        )


class DocxWriter:
    """Headings, paragraphs and tables appended to the built-in layout or a template."""

    def __init__(self, template: bytes | None = None):
        if template:
            self.document = open_template(template)
        else:
            self.document = Document()
            style = self.document.styles["Normal"]
            style.font.name = "SimSun"
            style.font.size = Pt(11)
        self._body = self.document.element.body
        self._start = len(self._body)  # what the template brought (its sectPr stays last)

    # --- content ---------------------------------------------------------------------------

    def heading(self, text, level: int = 1) -> None:
        self.document.add_heading(office_text(text), level=level)

    def paragraph(self, text="") -> None:
        self.document.add_paragraph(office_text(text))

    def table(self, header: list, rows: list[list], *, empty=None) -> None:
        """A grid table; with no rows, a paragraph saying so (（无） by default)."""
        if not rows:
            self.paragraph(_("（无）") if empty is None else empty)
            return
        table = self.document.add_table(rows=1, cols=len(header))
        table.style = "Table Grid"
        for cell, text in zip(table.rows[0].cells, header, strict=True):
            cell.text = office_text(text)
        for row in rows:
            for cell, value in zip(table.add_row().cells, row, strict=True):
                cell.text = office_text(value)

    def fields(self, values: dict) -> None:
        """Replace ``{{name}}`` fields by text (unknown names become empty)."""
        for paragraph in _paragraphs(self.document):
            text = paragraph.text
            if "{{" not in text or not FIELD.search(text):
                continue
            if FIELD.fullmatch(text.strip()) and FIELD.fullmatch(text.strip()).group(1) == BODY_FIELD:
                continue
            new = FIELD.sub(lambda m: office_text(values.get(m.group(1), "")), text)
            runs = paragraph.runs
            if runs:
                runs[0].text = new
                for run in runs[1:]:
                    run.text = ""
            else:
                paragraph.add_run(new)

    # --- the file --------------------------------------------------------------------------

    def _place_body(self) -> None:
        """Move what was written to where the template's ``{{body}}`` paragraph stands."""
        marker = next(
            (
                p._p
                for p in self.document.paragraphs
                if FIELD.fullmatch(p.text.strip()) and FIELD.fullmatch(p.text.strip()).group(1) == BODY_FIELD
            ),
            None,
        )
        if marker is None:
            return
        children = list(self._body)
        section = children[-1] if children and children[-1].tag.endswith("sectPr") else None
        start = self._start - (1 if section is not None else 0)
        written = [child for child in children[start:] if child is not section]
        for element in written:
            marker.addprevious(element)
        marker.getparent().remove(marker)

    def save(self, values: dict | None = None) -> bytes:
        self._place_body()
        self.fields(values or {})
        buffer = io.BytesIO()
        self.document.save(buffer)
        return buffer.getvalue()


def builtin_template() -> bytes:
    """A starting point for administrators: the built-in layout with every common field."""
    writer = DocxWriter()
    writer.paragraph("{{issuer}}")
    writer.paragraph("{{number}}")
    writer.heading("{{title}}", level=0)
    writer.paragraph("{{body}}")
    writer.paragraph("{{date}}")
    buffer = io.BytesIO()
    writer.document.save(buffer)  # not save(): the fields stay for the administrator to place
    return buffer.getvalue()
