"""Beat entries of listed supervision (merged into CELERY_BEAT_SCHEDULE by the settings).

Report dates, deadlines and acceptances are alerted by portal.notifications (supervision/alerts.py);
here the daily proposal of referrals for items long past their deadline runs (one
statement) and the nightly monitoring (supervision/warnings.py), each expiring before its next run."""

from celery.schedules import crontab

BEAT_SCHEDULE = {
    "supervision-referrals-propose": {
        "task": "supervision.tasks.referrals_propose_overdue",
        "schedule": crontab(hour=6, minute=40),
        "options": {"expires": 23 * 3600},
    },
    # Monitoring warnings (监测预警, issue 18 §2): after midnight, over the day just ended.
    "supervision-monitoring-run": {
        "task": "supervision.tasks.monitoring_run",
        "schedule": crontab(hour=1, minute=20),
        "options": {"expires": 20 * 3600},
    },
}
