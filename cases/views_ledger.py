"""Pages of the Excel ledgers (台账): export of the list as filtered, the import template, the
upload with its dry-run preview, the user's choice of how to write, and the job's progress
(polled by htmx every second while a Celery worker checks a large file).

``urlpatterns`` here join ``cases/urls.py`` (which includes them when this module exists).
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from cases import imports
from cases.models import ImportJob
from cases.resources import ledger_export, ledger_template
from portal.accounts.access import needs
from portal.accounts.capabilities import Cap
from portal.accounts.scoping import get_visible_or_404
from portal.core.api import ConflictError
from portal.core.replica import replica_reads

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
RECENT_JOBS = 10


def _xlsx(name: str, content: bytes) -> HttpResponse:
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = content_disposition_header(True, name)
    response["Cache-Control"] = "no-store"
    return response


@needs(Cap.EXPORT_RECORDS)
@replica_reads()
def export(request):
    """The problem list as filtered on the list page (?status=&region=...), scoped, as .xlsx."""
    name, content, _rows = ledger_export(actor=request.user, params=request.GET)
    return _xlsx(name, content)


@needs(Cap.EDIT_RECORDS)
def template(request):
    return _xlsx(_("问题清单导入模板.xlsx"), ledger_template(actor=request.user))


class UploadForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("台账文件（.xlsx）"))


@needs(Cap.EDIT_RECORDS)
@require_http_methods(["GET", "POST"])
def import_upload(request):
    """Upload a ledger: it is checked (dry run) before anything is written."""
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            job = imports.import_job_create(actor=request.user, upload=form.cleaned_data["file"])
        except ValidationError as exc:
            form.add_error("file", exc.messages)
        else:
            return redirect("cases:ledger-job", pk=job.pk)
    jobs = ImportJob.objects.visible_to(request.user, Cap.EDIT_RECORDS).filter(user=request.user)[:RECENT_JOBS]
    return render(
        request,
        "cases/ledger/import.html",
        {
            "form": form,
            "jobs": jobs,
            "inline_max_rows": imports.INLINE_MAX_ROWS,
            "max_rows": imports.MAX_ROWS,
        },
    )


@needs(Cap.EDIT_RECORDS, model=ImportJob)
@require_http_methods(["GET", "POST"])
def job(request, pk):
    """One import: progress while it runs (htmx polls this every second), then the preview
    with every bad cell and the choice of how to write, then the result."""
    job = get_visible_or_404(ImportJob.objects.select_related("user", "region"), request.user, Cap.EDIT_RECORDS, pk=pk)
    if request.method == "POST":
        try:
            job = imports.import_job_commit(actor=request.user, job_id=job.pk, mode=request.POST.get("mode", ""))
        except (ValidationError, ConflictError) as exc:
            messages.error(request, " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc))
        return redirect("cases:ledger-job", pk=job.pk)
    context = {
        "job": job,
        "owner": job.user_id == request.user.pk,
        "modes": ImportJob.Mode.choices,
        "errors_hidden": max(0, job.error_count - len(job.errors)),
    }
    template_name = "cases/ledger/_job.html" if request.htmx else "cases/ledger/job.html"
    return render(request, template_name, context)


urlpatterns = [
    path("ledger/export/", export, name="ledger-export"),
    path("ledger/template/", template, name="ledger-template"),
    path("ledger/import/", import_upload, name="ledger-import"),
    path("ledger/import/<int:pk>/", job, name="ledger-job"),
]
