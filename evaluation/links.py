"""Where each computed figure's records are listed: the drill-down list (a figure set's
``DrillList``) and its filters for a period, and which count of the totals that list shows
(for a rate, its denominator: the records the rate was computed over)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class FigureList:
    list_key: str
    params: Callable  # (period) -> filters
    count: Callable  # (totals by set) -> the count the list shows


FIGURE_LISTS = {
    "problems.on_time_rate": FigureList(
        "problems",
        lambda p: {"status": "closed", "closed_from": p.starts_on.isoformat()},
        lambda t: t["problems"]["closed"],
    ),
    "problems.overdue": FigureList("problems", lambda p: {"overdue": "yes"}, lambda t: t["problems"]["overdue"]),
    "problems.key_overdue": FigureList(
        "problems", lambda p: {"overdue": "yes", "is_key": "true"}, lambda t: t["problems"]["key_overdue"]
    ),
    "problems.closed_unverified": FigureList(
        "problems", lambda p: {"unverified": "yes"}, lambda t: t["problems"]["closed_unverified"]
    ),
    "complaints.overdue": FigureList("complaints", lambda p: {"light": "red"}, lambda t: t["complaints"]["overdue"]),
    "supervision.delisted_on_time_rate": FigureList(
        "supervision",
        lambda p: {"status": "delisted", "delisted_from": p.starts_on.isoformat()},
        lambda t: t["supervision"]["delisted"],
    ),
}
