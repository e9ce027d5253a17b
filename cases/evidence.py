"""Evidence files: the type is decided by the content (magic bytes), not the name or the
browser's claim; the size is limited; files are stored outside the web root."""

from __future__ import annotations

import hashlib
import zipfile

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # .doc / .xls

ALLOWED = {
    "image/jpeg": ".jpg",
    "image/png": ".png",
    "application/pdf": ".pdf",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ".docx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ".xlsx",
    "application/msword": ".doc",
    "application/vnd.ms-excel": ".xls",
}


def max_evidence_bytes() -> int:
    return getattr(settings, "EVIDENCE_MAX_BYTES", 20 * 1024 * 1024)


def sniff(upload) -> str:
    """The content type of an uploaded file by its bytes; ValidationError when not allowed."""
    upload.seek(0)
    head = upload.read(8)
    upload.seek(0)
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    if head.startswith(OLE_MAGIC):
        return "application/msword" if (upload.name or "").lower().endswith(".doc") else "application/vnd.ms-excel"
    if head.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(upload) as archive:
                names = set(archive.namelist())
        except zipfile.BadZipFile:
            names = set()
        finally:
            upload.seek(0)
        if "[Content_Types].xml" in names and any(n.startswith("word/") for n in names):
            return "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
        if "[Content_Types].xml" in names and any(n.startswith("xl/") for n in names):
            return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    raise ValidationError(
        _("文件“%(name)s”的类型不受支持：只接受图片（JPG、PNG）、PDF、Word 和 Excel 文件。") % {"name": upload.name},
        code="evidence_type",
    )


def check_evidence(upload) -> tuple[str, str]:
    """(content type, sha256) of an acceptable evidence file; ValidationError otherwise."""
    limit = max_evidence_bytes()
    if upload.size > limit:
        raise ValidationError(
            _("文件“%(name)s”超过大小上限 %(mb)s MB。") % {"name": upload.name, "mb": limit // (1024 * 1024)},
            code="evidence_size",
        )
    if upload.size == 0:
        raise ValidationError(_("文件“%(name)s”是空文件。") % {"name": upload.name}, code="evidence_empty")
    content_type = sniff(upload)
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    return content_type, digest.hexdigest()
