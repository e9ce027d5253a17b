from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from portal.accounts.access import needs
from portal.accounts.capabilities import Cap


@needs(Cap.VIEW_RECORDS)
def index(request):
    return render(
        request,
        "core/section.html",
        {"title": _("问题清单"), "description": _("问题清单与整改：发现、整改、核查、销号的全过程。")},
    )
