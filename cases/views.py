from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _


@login_required
def index(request):
    return render(
        request,
        "core/section.html",
        {"title": _("问题清单"), "description": _("问题清单与整改：发现、整改、核查、销号的全过程。")},
    )
