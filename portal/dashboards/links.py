"""Drill-down links: every number on a dashboard links to the list that produces it.

A number gets a link only when the list can express every filter that produced it, so a link
never shows a different count: the problem list (``cases:index``) with the filters of
``cases.selectors.ProblemFilter``, the complaint list (``complaints:list``) with the filters
of ``complaints.selectors.complaint_search``. A number the list cannot reproduce yet stays
plain; the filters such numbers ask for are named here, and their links appear by themselves
once the list has a filter of that name (tests/test_dashboards_links follows every link shown).

Filters the problem list does not have yet (wanted by issue 7's dashboards):
``open=yes`` (any open state), ``domain=<id>``, ``source=<code>`` (repeatable),
``found_from``/``found_to`` and ``closed_from``/``closed_to`` (dates), ``on_time=yes``.
The complaint list has no ``region``/``unit`` filter: only the reader's own dashboard (their
whole subtree, which the list is limited to anyway) links its complaint numbers; a region or
unit below it cannot yet. Nor can the list tell closed-in-time, called-back or satisfied
complaints apart, so the rates stay plain.
"""

from __future__ import annotations

from functools import lru_cache
from urllib.parse import urlencode

from django.urls import NoReverseMatch, resolve, reverse

from portal.accounts.capabilities import Cap, has_cap


@lru_cache(maxsize=1)
def problem_filters() -> frozenset[str]:
    from cases.selectors import ProblemFilter

    return frozenset(ProblemFilter.base_filters)


@lru_cache(maxsize=1)
def complaint_filters() -> frozenset[str]:
    from complaints.selectors import FILTERS

    return frozenset(FILTERS)


def _list_url(name: str, model=None) -> str:
    """The list's URL when it exists (and, with ``model``, declares that it lists those rows)."""
    try:
        url = reverse(name)
    except NoReverseMatch:
        return ""
    if model is not None:
        rule = getattr(resolve(url).func, "access_rule", None)
        if rule is None or rule.model is not model:
            return ""
    return url


class Links:
    """The list URLs of one reader's dashboard of one scope."""

    def __init__(self, user, scope):
        from complaints.models import Complaint

        may_read = has_cap(user, Cap.VIEW_RECORDS)
        self.problem_list = _list_url("cases:index") if may_read else ""
        self.complaint_list = _list_url("complaints:list", Complaint) if may_read else ""
        self.scope = scope

    @staticmethod
    def _url(base: str, supported: frozenset[str], query: dict) -> str:
        if not base or not set(query) <= supported:
            return ""
        return f"{base}?{urlencode({k: _text(v) for k, v in query.items()}, doseq=True)}"

    def problems(self, place: dict | None = None, **params) -> str:
        """The problem list of ``place`` (the scope's by default) filtered by ``params``."""
        where = self.scope.list_params() if place is None else place
        return self._url(self.problem_list, problem_filters(), {**where, **params})

    def complaints(self, place: dict | None = None, **params) -> str:
        """The complaint list, filtered by ``params``. The list is always limited to the
        reader's subtree, so the reader's own scope needs no place filter."""
        if place is None:
            place = {} if self.scope.root else self.scope.list_params()
        return self._url(self.complaint_list, complaint_filters(), {**place, **params})


def _text(value):
    if isinstance(value, list | tuple):
        return [_text(v) for v in value]
    if isinstance(value, bool):
        return "true" if value else "false"
    return value.isoformat() if hasattr(value, "isoformat") else str(value)
