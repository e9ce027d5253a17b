"""Beat entries of service-oriented enforcement: the daily close of last month's station days
(idempotent: a closed month is never rewritten), expiring before its next run. The reminder
before the month's end is the alert ledger's (service/alerts.py)."""

from celery.schedules import crontab

BEAT_SCHEDULE = {
    "service-station-months-close": {
        "task": "service.tasks.station_months_close",
        "schedule": crontab(hour=1, minute=50),
        "options": {"expires": 20 * 3600},
    },
}
