from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _


@login_required
def index(request):
    return render(
        request,
        "core/section.html",
        {"title": _("绩效评价"), "description": _("执法绩效指标、第三方满意度评价与排名。")},
    )
