"""Working-day arithmetic over the calendar table.

``add_working_days(start, n)`` counts from the day after ``start``; the answer for n = 5
after Friday 2024-09-27 is 2024-10-10 (make-up Sunday 09-29 counted, National Day skipped).
``working_days_between(a, b)`` is its inverse: working days in ``(a, b]``.

Both return values that carry ``provisional``: True when the walk touched a year nobody has
entered yet, where only weekends are known. That case also raises an administrator warning;
it never raises an exception in a user's face.

The table is small (about 35 rows a year) and read on hot paths, so each process keeps a
snapshot and reloads it when the version in the shared cache changes (any edit bumps it),
asking the cache at most every ``RECHECK_SECONDS``.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from dataclasses import dataclass

from django.core.cache import cache
from django.utils.translation import gettext as _

VERSION_KEY = "workdays:version"
logger = logging.getLogger(__name__)


class WorkDate(dt.date):
    """A date that knows whether it was computed on an entered calendar."""

    provisional: bool

    def __new__(cls, value: dt.date, provisional: bool):
        obj = super().__new__(cls, value.year, value.month, value.day)
        obj.provisional = provisional
        return obj

    def __reduce__(self):
        return (WorkDate, (dt.date(self.year, self.month, self.day), self.provisional))


class WorkdayCount(int):
    provisional: bool

    def __new__(cls, value: int, provisional: bool):
        obj = super().__new__(cls, value)
        obj.provisional = provisional
        return obj


@dataclass(frozen=True)
class _Snapshot:
    version: str | None
    holidays: frozenset[dt.date]
    workdays: frozenset[dt.date]
    years: frozenset[int]

    def is_working_day(self, day: dt.date) -> bool:
        if day in self.workdays:
            return True
        if day in self.holidays:
            return False
        return day.weekday() < 5


_lock = threading.Lock()
_snapshot: _Snapshot | None = None


def _current_version() -> str | None:
    try:
        return cache.get(VERSION_KEY)
    except Exception:  # a cache outage must not stop deadline arithmetic
        return None


def bump_version() -> None:
    """Tell every process to reload the calendar (called after any edit)."""
    global _snapshot
    import uuid

    with _lock:
        _snapshot = None
    try:
        cache.set(VERSION_KEY, uuid.uuid4().hex, None)
    except Exception:  # no cache: each process reloads on its next call anyway
        logger.warning("cache unavailable; calendar version not published", exc_info=True)


# How long a process trusts its snapshot before asking the shared cache for the version again.
# A bulk computation (thousands of deadlines) then costs no Redis round trip per call; an edit
# in another process is seen within this many seconds (in this process: at once).
RECHECK_SECONDS = 2.0
_checked_at = 0.0


def snapshot() -> _Snapshot:
    global _snapshot, _checked_at
    current = _snapshot
    now = time.monotonic()
    if current is not None and current.version is not None and now - _checked_at < RECHECK_SECONDS:
        return current
    version = _current_version()
    _checked_at = now
    if current is not None and current.version == version and version is not None:
        return current
    from portal.workdays.models import CalendarYear, DayArrangement

    holidays, workdays = set(), set()
    for day, kind in DayArrangement.objects.values_list("date", "kind"):
        (holidays if kind == DayArrangement.Kind.HOLIDAY else workdays).add(day)
    years = frozenset(CalendarYear.objects.values_list("year", flat=True))
    if version is None:
        # First process after a cache flush: publish a version so the others agree.
        import uuid

        version = uuid.uuid4().hex
        try:
            if not cache.add(VERSION_KEY, version, None):
                version = cache.get(VERSION_KEY) or version
        except Exception:
            version = None
    fresh = _Snapshot(version, frozenset(holidays), frozenset(workdays), years)
    with _lock:
        _snapshot = fresh
    return fresh


def warn_year_missing(year: int, *, throttle_seconds: int | None = 3600) -> None:
    from portal.core.services import admin_warning_raise

    admin_warning_raise(
        key=f"calendar-missing-{year}",
        message=_(
            "%(year)s 年的节假日安排尚未录入：涉及该年的期限暂按仅周末休息计算（临时结果）。"
            "请在“工作日历”中录入国务院办公厅公布的安排。"
        )
        % {"year": year},
        throttle_seconds=throttle_seconds,
    )


def _warn_missing(years: set[int]) -> None:
    for year in sorted(years):
        warn_year_missing(year)


def is_working_day(day: dt.date) -> bool:
    return snapshot().is_working_day(day)


def add_working_days(start: dt.date, n: int) -> WorkDate:
    """The n-th working day after ``start`` (before it when n < 0); n = 0 gives ``start``."""
    cal = snapshot()
    step = 1 if n >= 0 else -1
    day, remaining = start, abs(n)
    touched = {start.year}
    while remaining:
        day += dt.timedelta(days=step)
        touched.add(day.year)
        if cal.is_working_day(day):
            remaining -= 1
    missing = touched - cal.years
    if missing:
        _warn_missing(missing)
    return WorkDate(day, provisional=bool(missing))


def working_days_between(a: dt.date, b: dt.date) -> WorkdayCount:
    """Working days in (a, b]; negative when b is before a."""
    if b < a:
        result = working_days_between(b, a)
        return WorkdayCount(-result, result.provisional)
    cal = snapshot()
    count, day = 0, a
    touched = {a.year, b.year}
    while day < b:
        day += dt.timedelta(days=1)
        if cal.is_working_day(day):
            count += 1
    touched.update(range(a.year, b.year + 1))
    missing = touched - cal.years
    if missing:
        _warn_missing(missing)
    return WorkdayCount(count, provisional=bool(missing))
