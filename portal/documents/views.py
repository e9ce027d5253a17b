"""The issued documents of the reader's subtree: list, download, void."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from portal.accounts.access import needs
from portal.accounts.capabilities import Cap, has_cap
from portal.accounts.scoping import get_visible_or_404
from portal.audit.services import audit_record
from portal.documents import services
from portal.documents.models import IssuedDocument
from portal.documents.registry import type_choices

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@needs(Cap.VIEW_RECORDS, model=IssuedDocument)
def index(request):
    queryset = IssuedDocument.objects.visible_to(request.user).select_related("region", "issued_by").defer("content")
    kind = request.GET.get("type", "")
    if kind:
        queryset = queryset.filter(doc_type=kind)
    q = request.GET.get("q", "").strip()
    if q:
        queryset = queryset.filter(number__icontains=q) | queryset.filter(title__icontains=q)
    page = Paginator(queryset.order_by("-issued_at", "-id"), 50).get_page(request.GET.get("page"))
    labels = dict(type_choices())
    for document in page:
        document.type_label = labels.get(document.doc_type, document.doc_type)
    return render(
        request,
        "documents/index.html",
        {
            "page": page,
            "types": type_choices(),
            "filters": {"type": kind, "q": q},
            "may_void": has_cap(request.user, Cap.VERIFY),
        },
    )


@needs(Cap.VIEW_RECORDS, model=IssuedDocument)
def download(request, pk):
    document = get_visible_or_404(IssuedDocument, request.user, pk=pk)
    audit_record(actor=request.user, action="document.download", obj=document, changes={"number": document.number})
    response = HttpResponse(bytes(document.content), content_type=DOCX)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{_quote(document.file_name)}"
    return response


@needs(Cap.VERIFY, model=IssuedDocument)
def void(request, pk):
    document = get_visible_or_404(IssuedDocument, request.user, Cap.VERIFY, pk=pk)
    if request.method != "POST":  # after the lookup: out of scope answers 404, like missing
        return HttpResponseNotAllowed(["POST"])
    try:
        services.void(document, actor=request.user, reason=request.POST.get("reason", ""))
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("文书 %(n)s 已作废，文号保留不再使用。") % {"n": document.number or document.title})
    return redirect("documents:index")


def _quote(name: str) -> str:
    from urllib.parse import quote

    return quote(name)
