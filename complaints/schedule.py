"""Beat entries of the complaint loop (merged into CELERY_BEAT_SCHEDULE by the settings).

The time-limit lights are derived (complaints.selectors) and alerted by portal.notifications;
here only the duplicate check's safety net runs, expiring before its next run."""

BEAT_SCHEDULE = {
    "complaints-flag-unchecked": {
        "task": "complaints.tasks.complaints_flag_unchecked",
        "schedule": 15 * 60,
        "options": {"expires": 14 * 60},
    },
}
