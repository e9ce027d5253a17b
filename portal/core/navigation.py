"""The main navigation: one list, read by the base template through a context processor.

Apps own their pages; this names the entry points in the order the policy lists them.
"""

from __future__ import annotations

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

NAV_ITEMS = [
    ("home", _("数据看板")),
    ("cases:index", _("问题清单")),
    ("complaints:index", _("投诉举报")),
    ("supervision:index", _("挂牌督办/执法监督")),
    ("supervision:risks", _("风险预警")),
    ("evaluation:index", _("绩效评价")),
]


def navigation(request):
    if not getattr(request, "user", None) or not request.user.is_authenticated:
        return {"nav_items": []}
    current = request.path
    items = []
    for url_name, label in NAV_ITEMS:
        try:
            url = reverse(url_name)
        except NoReverseMatch:
            continue
        active = current == url if url == "/" else current.startswith(url)
        items.append({"url": url, "label": label, "active": active})
    return {"nav_items": items}
