from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from portal.accounts.access import needs
from portal.accounts.capabilities import Cap


@needs(Cap.VIEW_DASHBOARD)
def index(request):
    return render(
        request,
        "core/section.html",
        {"title": _("绩效评价"), "description": _("执法绩效指标、第三方满意度评价与排名。")},
    )
