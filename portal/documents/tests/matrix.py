"""Issued documents for the authorization matrix: one per region, its title carrying the marker."""

from __future__ import annotations

from portal.documents.models import IssuedDocument


def _document(code: str) -> IssuedDocument:
    from portal.accounts.models import Role, User
    from tests.matrix_objects import marker

    actor, _created = User.objects.get_or_create(
        username=f"matrix-documents-{code}", defaults={"region_id": code, "roles": [Role.PROVINCE_STAFF]}
    )
    return IssuedDocument.objects.create(
        doc_type="matrix",
        year=2026,
        title=f"{marker(code)} 文书",
        object_type="matrix",
        object_id=code,
        region_id=code,
        file_name="matrix.docx",
        content=b"PK",
        sha256="0" * 64,
        issued_by=actor,
    )


FACTORIES = {IssuedDocument: _document}
