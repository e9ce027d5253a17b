"""Drill-down links: every number on a dashboard links to the list that produces it.

The lists are declared by the figure sets (``registry.DrillList``: the problem list of
``cases``, the complaint list of ``complaints``, ...). A number gets a link only when the list
can express every filter that produced it, so a link never shows a different count; a number
its list cannot reproduce yet stays plain, and its link appears by itself once the list has a
filter of that name (the dashboards' link test follows every link shown).
"""

from __future__ import annotations

from functools import cache
from urllib.parse import urlencode

from django.urls import NoReverseMatch, resolve, reverse

from portal.accounts.capabilities import Cap, has_cap
from portal.dashboards.registry import DrillList, drill_lists


@cache
def list_filters(key: str) -> frozenset[str]:
    """The filters the list ``key`` understands."""
    return frozenset(drill_lists()[key].filters())


def _list_url(drill: DrillList) -> str:
    """The list's URL when it exists (and, with a model, declares that it lists those rows)."""
    try:
        url = reverse(drill.url_name)
    except NoReverseMatch:
        return ""
    if drill.model is not None:
        rule = getattr(resolve(url).func, "access_rule", None)
        if rule is None or rule.model is not drill.model():
            return ""
    return url


class Links:
    """The list URLs of one reader's dashboard of one scope."""

    def __init__(self, user, scope):
        may_read = has_cap(user, Cap.VIEW_RECORDS)
        self.lists = {key: (drill, _list_url(drill) if may_read else "") for key, drill in drill_lists().items()}
        self.scope = scope

    def to(self, key: str, place: dict | None = None, **params) -> str:
        """The list ``key`` of ``place`` (the scope's by default) filtered by ``params``; "" when
        the list cannot reproduce the number."""
        drill, base = self.lists.get(key, (None, ""))
        if not base:
            return ""
        if place is None:
            place = {} if (self.scope.root and not drill.place_filtered) else self.scope.list_params()
        query = {**place, **params}
        if not set(query) <= list_filters(key):
            return ""
        return f"{base}?{urlencode({k: _text(v) for k, v in query.items()}, doseq=True)}"


def _text(value):
    if isinstance(value, list | tuple):
        return [_text(v) for v in value]
    if isinstance(value, bool):
        return "true" if value else "false"
    return value.isoformat() if hasattr(value, "isoformat") else str(value)
