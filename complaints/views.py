from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _


@login_required
def index(request):
    return render(
        request,
        "core/section.html",
        {"title": _("投诉举报"), "description": _("12328 及各渠道投诉举报的受理、转办、答复、回访与办结。")},
    )
