from celery import shared_task
from django.utils import timezone

from portal.workdays.calendar import warn_year_missing


@shared_task(ignore_result=True)
def check_calendar_coverage() -> list[int]:
    """Warn administrators when this year, or next year from November on, is not entered."""
    from portal.workdays.models import CalendarYear

    today = timezone.localdate()
    wanted = {today.year} | ({today.year + 1} if today.month >= 11 else set())
    missing = sorted(wanted - set(CalendarYear.objects.filter(year__in=wanted).values_list("year", flat=True)))
    for year in missing:
        warn_year_missing(year, throttle_seconds=None)
    return missing
