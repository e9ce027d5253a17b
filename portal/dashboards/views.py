"""The dashboards' pages: the reader's own dashboard (the home page, ``/``) and the same for a
region or a unit under it (lists that belong to one domain, such as the overdue problems,
live in their app).

Every route declares its access; a region or unit outside the reader's subtree answers the
same 404 as a missing one (``selectors.scope_*`` raise ``OutOfScope``).
"""

from __future__ import annotations

from django.shortcuts import render

from portal.accounts.access import needs
from portal.accounts.capabilities import Cap, has_cap
from portal.core.replica import replica_reads
from portal.dashboards import selectors
from portal.dashboards.selectors import Scope
from portal.regions.models import Unit


@replica_reads()
def render_dashboard(request, scope: Scope):
    context = {
        "d": selectors.dashboard(request.user, scope),
        "can_read_records": has_cap(request.user, Cap.VIEW_RECORDS),
        "can_export": has_cap(request.user, Cap.EXPORT_RECORDS),
    }
    return render(request, "dashboards/dashboard.html", context)


def own_dashboard(request):
    """The home page of a reader with the dashboard (``portal.core.views.home``)."""
    return render_dashboard(request, selectors.scope_own(request.user))


@needs(Cap.VIEW_DASHBOARD)
def region(request, region_code):
    return render_dashboard(request, selectors.scope_region(request.user, region_code))


@needs(Cap.VIEW_DASHBOARD, model=Unit)
def unit(request, pk):
    return render_dashboard(request, selectors.scope_unit(request.user, pk))
