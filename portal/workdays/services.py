"""Writes to the working-day calendar. Every write bumps the calendar version so all
processes reload their snapshot."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db import transaction

from portal.workdays.calendar import bump_version

HOLIDAY_NAMES_ZH = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "National Day": "国庆节",
    "Mid-autumn Festival": "中秋节",
    "Anti-Fascist 70th Day": "抗战胜利70周年纪念日",
}


def package_arrangements() -> tuple[dict[dt.date, str], dict[dt.date, str], set[int]]:
    """Holidays, make-up workdays and the years the chinesecalendar package knows."""
    import chinese_calendar

    holidays = {d: HOLIDAY_NAMES_ZH.get(n, n) for d, n in chinese_calendar.holidays.items()}
    workdays = {d: HOLIDAY_NAMES_ZH.get(n, n) for d, n in chinese_calendar.workdays.items()}
    years = {d.year for d in holidays}
    return holidays, workdays, years


def calendar_seed_from_package(*, year_model=None, day_model=None) -> int:
    """Insert every year the package knows that is not entered yet; idempotent, and never
    overwrites an administrator's edits of a year already present. Returns years added."""
    if year_model is None:
        from portal.workdays.models import CalendarYear as year_model
        from portal.workdays.models import DayArrangement as day_model
    holidays, workdays, years = package_arrangements()
    present = set(year_model.objects.values_list("year", flat=True))
    new_years = years - present
    with transaction.atomic():
        day_model.objects.bulk_create(
            [day_model(date=d, kind="holiday", name=n) for d, n in holidays.items() if d.year in new_years]
            + [day_model(date=d, kind="workday", name=n) for d, n in workdays.items() if d.year in new_years],
            ignore_conflicts=True,
            batch_size=1000,
        )
        year_model.objects.bulk_create(
            [year_model(year=y, source="package", note="chinesecalendar") for y in sorted(new_years)],
            ignore_conflicts=True,
        )
    bump_version()
    return len(new_years)


def calendar_year_enter(
    *, year: int, holidays: Iterable[tuple[dt.date, str]], workdays: Iterable[tuple[dt.date, str]], note: str = ""
) -> None:
    """Enter (or replace) one year's arrangement, as announced by the State Council."""
    from portal.workdays.models import CalendarYear, DayArrangement

    holidays, workdays = list(holidays), list(workdays)
    for day, _name in holidays + workdays:
        if day.year != year:
            raise ValueError(f"{day} does not belong to {year}")
    with transaction.atomic():
        DayArrangement.objects.filter(date__year=year).delete()
        DayArrangement.objects.bulk_create(
            [DayArrangement(date=d, kind=DayArrangement.Kind.HOLIDAY, name=n) for d, n in holidays]
            + [DayArrangement(date=d, kind=DayArrangement.Kind.WORKDAY, name=n) for d, n in workdays]
        )
        CalendarYear.objects.update_or_create(year=year, defaults={"source": CalendarYear.Source.ADMIN, "note": note})
        transaction.on_commit(bump_version)
