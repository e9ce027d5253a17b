import datetime as dt

import pytest

from portal.core.models import AdminWarning
from portal.workdays.calendar import add_working_days, is_working_day, working_days_between
from portal.workdays.models import CalendarYear, DayArrangement
from portal.workdays.services import calendar_seed_from_package, calendar_year_enter
from portal.workdays.tasks import check_calendar_coverage

pytestmark = pytest.mark.django_db

D = dt.date


def test_every_year_the_package_knows_is_seeded():
    years = set(CalendarYear.objects.values_list("year", flat=True))
    assert set(range(2004, 2027)) <= years
    assert DayArrangement.objects.get(date=D(2024, 9, 29)).kind == DayArrangement.Kind.WORKDAY
    assert DayArrangement.objects.get(date=D(2024, 10, 1)).name == "国庆节"
    assert calendar_seed_from_package() == 0  # idempotent


def test_five_working_days_after_2024_09_27_is_2024_10_10():
    result = add_working_days(D(2024, 9, 27), 5)
    assert result == D(2024, 10, 10)
    assert result.provisional is False
    assert is_working_day(D(2024, 9, 29))  # make-up Sunday
    assert not is_working_day(D(2024, 10, 3))  # National Day


def test_between_is_the_inverse_of_add():
    start = D(2024, 9, 27)
    for n in (0, 1, 5, 12, 40):
        end = add_working_days(start, n)
        assert working_days_between(start, end) == n
    assert working_days_between(D(2024, 10, 10), D(2024, 9, 27)) == -5
    assert add_working_days(D(2024, 10, 10), -5) == D(2024, 9, 27)


def test_spring_festival_2025_is_skipped():
    # 2025-01-28..02-04 off, Sunday 01-26 and Saturday 02-08 are make-up workdays
    assert add_working_days(D(2025, 1, 24), 1) == D(2025, 1, 26)
    assert add_working_days(D(2025, 1, 27), 1) == D(2025, 2, 5)


def test_a_2027_deadline_is_provisional_and_warns_the_administrator():
    result = add_working_days(D(2026, 12, 28), 10)
    assert result.provisional is True
    assert result == D(2027, 1, 11)  # weekends only: no New Year holiday known yet
    warning = AdminWarning.objects.get(key="calendar-missing-2027")
    assert "2027" in warning.message
    assert working_days_between(D(2027, 1, 1), D(2027, 1, 8)).provisional is True


def test_entering_2027_makes_the_result_exact():
    calendar_year_enter(
        year=2027,
        holidays=[(D(2027, 1, 1), "元旦"), (D(2027, 1, 4), "元旦")],
        workdays=[(D(2027, 1, 9), "元旦")],
        note="国办发明电〔2026〕号（测试数据）",
    )
    result = add_working_days(D(2026, 12, 28), 10)
    assert result.provisional is False
    # 12-29,30,31 (3), 01-01 off, 01-04 off, 01-05,06,07,08 (7), 01-09 make-up Saturday (8), 01-11,12 (10)
    assert result == D(2027, 1, 12)


def test_entering_a_year_rejects_dates_of_another_year():
    with pytest.raises(ValueError, match="2028"):
        calendar_year_enter(year=2027, holidays=[(D(2028, 1, 1), "元旦")], workdays=[])
    assert not CalendarYear.objects.filter(year=2027).exists()


def test_the_daily_check_warns_from_november_when_next_year_is_missing(settings, monkeypatch):
    from django.utils import timezone

    monkeypatch.setattr(timezone, "localdate", lambda: D(2026, 11, 25))
    assert check_calendar_coverage() == [2027]
    assert AdminWarning.objects.filter(key="calendar-missing-2027").exists()
    monkeypatch.setattr(timezone, "localdate", lambda: D(2026, 6, 1))
    assert check_calendar_coverage() == []
