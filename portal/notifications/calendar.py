"""Step dates on the working-day calendar, turned into thresholds the SQL can use.

A step with offset k fires on ``fire_date(deadline, k)``: the k-th working day after the
deadline (k > 0), the deadline itself (k = 0) or the |k|-th working day before it (k < 0).
That date never decreases as the deadline moves later, so "the step is reached today" is the
same as "deadline <= threshold(k, today)", where the threshold is the latest deadline whose
step date is today or earlier. A sweep computes one threshold per step (a binary search over
the calendar snapshot: microseconds) and the database compares dates; nothing is computed
per row.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from portal.workdays.calendar import add_working_days


def fire_date(deadline: dt.date, offset: int) -> dt.date:
    if offset == 0:
        return deadline
    return add_working_days(deadline, offset)


def threshold(offset: int, today: dt.date) -> tuple[dt.date, bool]:
    """(the latest deadline whose step ``offset`` fires on or before ``today``, provisional).

    ``provisional`` is True when the calendar lookups touched a year nobody has entered (the
    calendar then also raised an administrator warning); the answer is the weekends-only one.
    """
    span = 31 + 3 * abs(offset)
    low, high = today - dt.timedelta(days=span), today + dt.timedelta(days=span)
    provisional = False

    def reached(day: dt.date) -> bool:
        nonlocal provisional
        fired = fire_date(day, offset)
        provisional = provisional or bool(getattr(fired, "provisional", False))
        return fired <= today

    while not reached(low):  # pragma: no cover - only with absurd holiday tables
        low -= dt.timedelta(days=span)
    while reached(high):  # pragma: no cover
        high += dt.timedelta(days=span)
    # invariant: reached(low) and not reached(high)
    while (high - low).days > 1:
        mid = low + dt.timedelta(days=(high - low).days // 2)
        if reached(mid):
            low = mid
        else:
            high = mid
    return low, provisional


@dataclass
class StepThresholds:
    """Thresholds of one sweep, per source and step, and whether any was provisional."""

    today: dt.date
    dates: dict[str, dict[str, dt.date]] = field(default_factory=dict)
    provisional: bool = False

    def add(self, source: str, step: str, offset: int) -> None:
        day, provisional = threshold(offset, self.today)
        self.dates.setdefault(source, {})[step] = day
        self.provisional = self.provisional or provisional

    def of(self, source: str) -> dict[str, dt.date]:
        return self.dates.get(source, {})

    def as_json(self) -> dict:
        return {src: {step: day.isoformat() for step, day in steps.items()} for src, steps in self.dates.items()}
