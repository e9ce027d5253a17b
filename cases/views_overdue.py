"""The overdue lists of the dashboards' scopes (under /dashboard/, ``cases/urls_overdue.py``):
the reader's own, a region's or a unit's, and each as .xlsx. A region or unit outside the
reader's subtree answers the same 404 as a missing one (``selectors.scope_*``)."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.http import content_disposition_header

from cases import overdue as overdue_lists
from cases.figures import overdue_url
from portal.accounts.access import needs
from portal.accounts.capabilities import Cap, has_cap
from portal.core.replica import replica_reads
from portal.dashboards import selectors
from portal.dashboards.selectors import Scope
from portal.regions.models import Unit

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
OVERDUE_PAGE_SIZE = 50


@replica_reads()
def _overdue_page(request, scope: Scope):
    queryset, filters = overdue_lists.overdue_problems(request.user, scope, request.GET)
    page = Paginator(queryset, OVERDUE_PAGE_SIZE).get_page(request.GET.get("page"))
    today = timezone.localdate()
    for problem in page:
        problem.days_overdue = (today - problem.deadline).days
    return render(
        request,
        "cases/overdue.html",
        {
            "scope": scope,
            "page": page,
            "filters": filters,
            "day_choices": overdue_lists.OVERDUE_DAYS,
            "can_read_records": has_cap(request.user, Cap.VIEW_RECORDS),
            "can_export": has_cap(request.user, Cap.EXPORT_RECORDS),
            "today": today,
            "export_url": overdue_url(scope, export=True),
        },
    )


@needs(Cap.VIEW_DASHBOARD)
def overdue(request):
    return _overdue_page(request, selectors.scope_own(request.user))


@needs(Cap.VIEW_DASHBOARD)
def region_overdue(request, region_code):
    return _overdue_page(request, selectors.scope_region(request.user, region_code))


@needs(Cap.VIEW_DASHBOARD, model=Unit)
def unit_overdue(request, pk):
    return _overdue_page(request, selectors.scope_unit(request.user, pk))


@replica_reads()
def _overdue_xlsx(request, scope: Scope):
    queryset, filters = overdue_lists.overdue_problems(request.user, scope, request.GET, cap=Cap.EXPORT_RECORDS)
    name, content, _rows = overdue_lists.overdue_export(
        actor=request.user, scope=scope, queryset=queryset, filters=filters
    )
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = content_disposition_header(True, name)
    response["Cache-Control"] = "no-store"
    return response


@needs(Cap.EXPORT_RECORDS)
def overdue_export(request):
    return _overdue_xlsx(request, selectors.scope_own(request.user))


@needs(Cap.EXPORT_RECORDS)
def region_overdue_export(request, region_code):
    return _overdue_xlsx(request, selectors.scope_region(request.user, region_code))


@needs(Cap.EXPORT_RECORDS, model=Unit)
def unit_overdue_export(request, pk):
    return _overdue_xlsx(request, selectors.scope_unit(request.user, pk))
