from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from portal.accounts.access import needs
from portal.accounts.capabilities import Cap


@needs(Cap.VIEW_RECORDS)
def index(request):
    return render(
        request,
        "core/section.html",
        {"title": _("投诉举报"), "description": _("12328 及各渠道投诉举报的受理、转办、答复、回访与办结。")},
    )
