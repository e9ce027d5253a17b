from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from portal.accounts.access import needs
from portal.accounts.capabilities import Cap


@needs(Cap.VIEW_RECORDS)
def index(request):
    return render(
        request,
        "core/section.html",
        {"title": _("挂牌督办/执法监督"), "description": _("重点问题挂牌督办台账与异地交叉执法监督。")},
    )


@needs(Cap.VIEW_RECORDS)
def risks(request):
    return render(
        request,
        "core/section.html",
        {"title": _("风险预警"), "description": _("重大执法风险负面清单与苗头性、倾向性问题预警。")},
    )
