"""The main navigation: one registry, read by the base template through a context processor.

Apps own their pages and name their entry points in ``<app>/navigation.py`` with
``register(order, url_name, label, icon)``; the order follows the policy's items (10 problem
list, 20 complaints, 30 supervision, 40 risks, 50 evaluation, 60 service enforcement, ...).
An entry is shown only when the user may open it (the view's ``access_rule`` from
``portal.accounts.access``, no query), and one whose URL name does not resolve (an app not
wired yet) is left out, not an error.
"""

from __future__ import annotations

from django.urls import NoReverseMatch, Resolver404, resolve, reverse
from django.utils.translation import gettext_lazy as _

# order -> (URL name, label, icon id in static/portal/icons.svg)
_ENTRIES: dict[str, tuple[int, str, object, str]] = {}


def register(order: int, url_name: str, label, icon: str) -> None:
    """Add (or replace, by URL name) an entry of the main navigation."""
    _ENTRIES[url_name] = (order, url_name, label, icon)


def nav_items() -> list[tuple[str, object, str]]:
    """(URL name, label, icon) of every registered entry, in order."""
    return [(name, label, icon) for _order, name, label, icon in sorted(_ENTRIES.values(), key=lambda e: e[0])]


# The ground floor's own pages: the dashboard first, the audit trail last.
register(0, "home", _("数据看板"), "i-dashboard")
register(900, "audit:events", _("审计日志"), "i-audit")


def _active_url(path: str, urls: list[str]) -> str | None:
    """The entry the page belongs to: the longest entry URL the path starts with.

    The dashboard ("/") is active on itself only, and /supervision/risks/ lights 风险预警,
    not 挂牌督办 as well.
    """
    if path in urls:
        return path
    candidates = [url for url in urls if url != "/" and path.startswith(url)]
    return max(candidates, key=len, default=None)


def _may_open(user, url: str) -> bool:
    try:
        view = resolve(url).func
    except Resolver404:
        return False
    rule = getattr(view, "access_rule", None)
    return rule is None or rule.allows(user)


def navigation(request):
    if not getattr(request, "user", None) or not request.user.is_authenticated:
        return {"nav_items": []}
    entries = []
    for url_name, label, icon in nav_items():
        try:
            url = reverse(url_name)
        except NoReverseMatch:
            continue
        if _may_open(request.user, url):
            entries.append((url, label, icon))
    active = _active_url(request.path, [url for url, _label, _icon in entries])
    return {
        "nav_items": [
            {"url": url, "label": label, "icon": icon, "active": url == active} for url, label, icon in entries
        ]
    }
