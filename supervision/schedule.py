"""Beat entries of listed supervision (merged into CELERY_BEAT_SCHEDULE by the settings).

Report dates, deadlines and acceptances are alerted by portal.notifications (supervision/alerts.py);
here only the daily proposal of referrals for items long past their deadline runs (one
statement), expiring before its next run."""

from celery.schedules import crontab

BEAT_SCHEDULE = {
    "supervision-referrals-propose": {
        "task": "supervision.tasks.referrals_propose_overdue",
        "schedule": crontab(hour=6, minute=40),
        "options": {"expires": 23 * 3600},
    },
}
