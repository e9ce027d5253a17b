"""The rectification archive as a download: the .docx (``cases.documents``, written through
``portal.documents``) and every evidence file, zipped."""

from __future__ import annotations

import io
import zipfile

from django.db import transaction

from cases.models import Problem
from portal.accounts.capabilities import Cap
from portal.accounts.scoping import get_visible_or_404
from portal.audit.services import audit_record
from portal.documents.services import render


def export_archive(*, actor, problem_id: int) -> tuple[str, bytes]:
    """(file name, zip bytes): the .docx archive and every evidence file; audited."""
    problem = get_visible_or_404(
        Problem.objects.select_related("category", "region", "unit", "domain"), actor, Cap.VIEW_RECORDS, pk=problem_id
    )
    docx = render("cases.archive", problem)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(f"{problem.code}-问题整治档案.docx", docx)
        used = set()
        for evidence in problem.evidence.all():
            name = f"佐证材料/{evidence.pk}-{evidence.original_name}"
            if name in used:
                continue
            used.add(name)
            with evidence.file.open("rb") as handle:
                archive.writestr(name, handle.read())
    with transaction.atomic():
        audit_record(actor=actor, action="problem.archive_export", obj=problem)
    return f"{problem.code}-archive.zip", buffer.getvalue()
