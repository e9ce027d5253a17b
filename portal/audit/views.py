"""The security auditor's pages: search the trail and export what was found."""

from __future__ import annotations

import csv

from django.core.paginator import Paginator
from django.http import StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone

from portal.accounts.access import needs
from portal.accounts.capabilities import Cap
from portal.audit.models import AuditEvent
from portal.audit.selectors import audit_events_for
from portal.audit.services import audit_record
from portal.core.exports import safe_cell

EXPORT_LIMIT = 100_000


@needs(Cap.VIEW_AUDIT, model=AuditEvent)
def event_list(request):
    events, filters = audit_events_for(request.user, request.GET)
    page = Paginator(events, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "audit/event_list.html",
        {"page": page, "filters": filters, "outcomes": AuditEvent.Outcome.choices},
    )


class _Echo:
    def write(self, value):
        return value


@needs(Cap.VIEW_AUDIT, model=AuditEvent)
def event_export(request):
    events, filters = audit_events_for(request.user, request.GET)
    audit_record(
        actor=request.user, action="audit.export", object_type="audit.auditevent", changes={"filters": filters}
    )
    header = ["序号", "时间(UTC)", "用户", "角色", "区划", "操作", "对象类型", "对象ID", "结果", "IP", "请求ID", "变更"]
    columns = (
        "seq",
        "occurred_at",
        "actor_username",
        "actor_roles",
        "actor_region",
        "action",
        "object_type",
        "object_id",
        "outcome",
        "ip",
        "request_id",
        "changes",
    )
    writer = csv.writer(_Echo())

    def rows():
        yield "\ufeff" + writer.writerow(header)  # BOM: Excel opens UTF-8 Chinese correctly
        for values in events.values_list(*columns)[:EXPORT_LIMIT].iterator(chunk_size=2000):
            yield writer.writerow([safe_cell(v) for v in values])

    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="audit-{stamp}.csv"'
    return response
