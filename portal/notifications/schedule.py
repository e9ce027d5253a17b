"""Beat entries of the alert ledger (merged into CELERY_BEAT_SCHEDULE by the settings).

Each entry expires before its next run, so a backlog of beats never replays stale sweeps.
The steps are whole days, so a sweep every quarter of an hour through the working day is
plenty; the redispatcher runs every minute and costs an index probe when all is well.
Limits counted in clock minutes (incident forwarding, ``AlertSource.minute_precision``) have
their own sweep every minute, round the clock, holidays included: a limit passed at 23:50 is
alerted by 23:52 (one minute to the sweep, the fan-out and delivery right after it).
"""

from celery.schedules import crontab

BEAT_SCHEDULE = {
    "alerts-sweep": {
        "task": "portal.notifications.tasks.sweep",
        "schedule": crontab(minute="*/15", hour="7-21"),
        "options": {"expires": 14 * 60},
    },
    "alerts-sweep-minutes": {
        "task": "portal.notifications.tasks.sweep_minutes",
        "schedule": 60.0,
        "options": {"expires": 50},
    },
    "alerts-redispatch": {
        "task": "portal.notifications.tasks.redispatch",
        "schedule": 60.0,
        "options": {"expires": 50},
    },
}
