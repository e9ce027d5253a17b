"""Beat entries of the alert ledger (merged into CELERY_BEAT_SCHEDULE by the settings).

Each entry expires before its next run, so a backlog of beats never replays stale sweeps.
The steps are whole days, so a sweep every quarter of an hour through the working day is
plenty; the redispatcher runs every minute and costs an index probe when all is well.
"""

from celery.schedules import crontab

BEAT_SCHEDULE = {
    "alerts-sweep": {
        "task": "portal.notifications.tasks.sweep",
        "schedule": crontab(minute="*/15", hour="7-21"),
        "options": {"expires": 14 * 60},
    },
    "alerts-redispatch": {
        "task": "portal.notifications.tasks.redispatch",
        "schedule": 60.0,
        "options": {"expires": 50},
    },
}
