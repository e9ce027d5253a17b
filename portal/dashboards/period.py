"""The days the dashboards describe: today (Asia/Shanghai), its month and the twelve-month window.

Figures marked (12m) count only the records of the window; the trend charts show it month by
month. Every figure set (``<app>/figures.py``) reads its dates from one ``Period``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone

WINDOW_MONTHS = 12


@dataclass(frozen=True)
class Period:
    """The days the figures describe: today, the first day of its month and of the window."""

    today: dt.date
    month_start: dt.date
    window_start: dt.date

    @classmethod
    def of(cls, today: dt.date | None = None) -> Period:
        today = today or timezone.localdate()
        month_start = today.replace(day=1)
        months = month_start.year * 12 + month_start.month - 1 - (WINDOW_MONTHS - 1)
        return cls(today, month_start, dt.date(months // 12, months % 12 + 1, 1))

    def months(self) -> list[dt.date]:
        """The first day of each month of the window, oldest first."""
        first = self.window_start.year * 12 + self.window_start.month - 1
        return [dt.date((first + i) // 12, (first + i) % 12 + 1, 1) for i in range(WINDOW_MONTHS)]

    @staticmethod
    def aware(day: dt.date) -> dt.datetime:
        """Local midnight at the start of ``day``."""
        return dt.datetime.combine(day, dt.time.min, timezone.get_current_timezone())

    @staticmethod
    def month_end(first: dt.date) -> dt.date:
        """The last day of the month that starts on ``first``."""
        return (first.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)
