"""Text the portal stores, and text an Office file can hold.

XML 1.0, and therefore .docx and .xlsx, cannot hold most C0 control characters (U+0000–U+001F
but tab, LF and CR), lone surrogates or the non-characters U+FFFE/U+FFFF; python-docx and
openpyxl raise on them. Stored text is refused at the boundary when it carries them, but what
is stored already (and append-only audit events) must still reach a document: the writers
escape each such character visibly as ``\\uXXXX`` instead, so nothing is lost and nothing
breaks.
"""

from __future__ import annotations

import re

XML_UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def office_text(value) -> str:
    """``value`` as text an Office writer accepts: None → "", unsafe characters escaped."""
    if value is None:
        return ""
    text = value if isinstance(value, str) else str(value)
    if XML_UNSAFE.search(text) is None:
        return text
    return XML_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


# --- what the portal stores -------------------------------------------------------------------
# Decided once, at the boundary (every form field, API field, import cell and hand-parsed
# request goes through ``clean_text``): line breaks are stored as LF (browsers send a textarea's
# breaks as CRLF; old Macs and some exports as CR); every other C0 control character but the
# tab, lone surrogates and Unicode non-characters (U+FDD0–U+FDEF and U+xFFFE/U+xFFFF of every
# plane) are refused with a message naming the character, because no reader can see them and
# XML documents (.docx, .xlsx) cannot hold them. Text stored before this rule is cleaned by the
# apps' data migrations (``clean_stored_text``); audit events stay as written and are escaped by
# the writers (``office_text``).

PLANE_ENDS = "".join(f"{chr(plane << 16 | 0xFFFE)}{chr(plane << 16 | 0xFFFF)}" for plane in range(1, 17))
REFUSED_TEXT = re.compile(f"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufdd0-\ufdef\ufffe\uffff{PLANE_ENDS}]")
# The same set as PostgreSQL sees it: a text column holds neither NUL nor surrogates.
STORED_REFUSED = f"[\x01-\x08\x0b\x0c\x0e-\x1f\ufdd0-\ufdef\ufffe\uffff{PLANE_ENDS}]"
LINE_BREAKS = re.compile("\r\n?")


def normalise_line_breaks(text: str) -> str:
    return LINE_BREAKS.sub("\n", text) if "\r" in text else text


def refused_character(text: str) -> str | None:
    """The first character the portal does not store, as "U+0001", or None."""
    found = REFUSED_TEXT.search(text)
    return f"U+{ord(found.group()):04X}" if found else None


def clean_text(value):
    """``value`` as the portal stores it (line breaks as LF), or ValidationError naming the
    first character it refuses. Non-text values pass through untouched."""
    if not isinstance(value, str):
        return value
    text = normalise_line_breaks(value)
    character = refused_character(text)
    if character is not None:
        from django.core.exceptions import ValidationError
        from django.utils.translation import gettext as _

        raise ValidationError(
            _("含有不可见的控制字符 %(char)s（通常来自复制粘贴），请删除后重试。") % {"char": character},
            code="control_character",
        )
    return text


def clean_field(name: str, value):
    """``clean_text`` for text a view reads by hand (not through a form or serializer field):
    the ValidationError names the field, as a form's would."""
    from django.core.exceptions import ValidationError

    try:
        return clean_text(value)
    except ValidationError as exc:
        raise ValidationError({name: exc.messages}) from None


def clean_stored_text(apps, app_label: str, *, exclude: tuple[str, ...] = ()) -> dict[str, int]:
    """A data migration's body: apply the storing rule to the text already stored in
    ``app_label``'s models (CharField and TextField columns; ``exclude`` names models to leave
    alone, e.g. append-only ones). Refused characters are removed, line breaks become LF; one
    UPDATE per column, touching only the rows that need it. Returns {"table.column": rows}."""
    from django.db import connection, models

    pattern = STORED_REFUSED
    changed = {}
    with connection.cursor() as cursor:
        for model in apps.get_app_config(app_label).get_models():
            if model._meta.model_name in exclude or not model._meta.managed or model._meta.proxy:
                continue
            table = connection.ops.quote_name(model._meta.db_table)
            for field in model._meta.concrete_fields:
                if not isinstance(field, models.CharField | models.TextField):
                    continue
                column = connection.ops.quote_name(field.column)
                # identifiers from the model's own metadata, quoted; the values are parameters
                update = (
                    f"UPDATE {table} SET {column} = regexp_replace(regexp_replace({column}, %s, %s, 'g'), %s, '', 'g')"  # noqa: S608
                )
                cursor.execute(
                    f"{update} WHERE {column} ~ %s OR {column} ~ %s", ["\r\n?", "\n", pattern, pattern, "\r"]
                )
                if cursor.rowcount:
                    changed[f"{model._meta.db_table}.{field.column}"] = cursor.rowcount
    return changed


def clean_stored_text_operation(app_label: str):
    """The data migration of an app's stored text: ``operations = [clean_stored_text_operation("app")]``."""
    from django.db import migrations

    def clean(apps, schema_editor):
        clean_stored_text(apps, app_label)

    return migrations.RunPython(clean, migrations.RunPython.noop, elidable=True)


def install_boundary() -> None:
    """Make every text field of every Django form and DRF serializer apply ``clean_text``
    (``CoreConfig.ready``; idempotent). One hook on the two base classes instead of a mixin in
    each of dozens of forms and serializers, the admin's and the auth views' included, so no
    route can forget it. Hand-parsed input (Open311, Excel cells) calls ``clean_text`` itself."""
    from django import forms
    from rest_framework import fields, serializers

    if getattr(forms.CharField, "_portal_text_boundary", False):
        return
    form_to_python = forms.CharField.to_python
    drf_to_internal = fields.CharField.to_internal_value

    def to_python(self, value):
        return clean_text(form_to_python(self, value))

    def to_internal_value(self, data):
        from django.core.exceptions import ValidationError

        try:
            return clean_text(drf_to_internal(self, data))
        except ValidationError as exc:
            raise serializers.ValidationError(exc.messages, code="control_character") from None

    forms.CharField.to_python = to_python
    fields.CharField.to_internal_value = to_internal_value
    forms.CharField._portal_text_boundary = True
