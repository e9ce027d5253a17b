"""Beat entries of cases (merged into CELERY_BEAT_SCHEDULE by the settings).

The enforcement case versions are partitioned by the year of 立案: next year's partition is
made daily, long before 1 January, so an upload never meets a missing partition."""

from celery.schedules import crontab

BEAT_SCHEDULE = {
    "cases-enforcement-ensure-partitions": {
        "task": "cases.tasks.cases_enforcement_ensure_partitions",
        "schedule": 24 * 60 * 60,
        "options": {"expires": 23 * 60 * 60},
    },
    # issue 19: the full rescan for problem clues, nightly (an upload checks its own cases at once)
    "cases-enforcement-clues-nightly": {
        "task": "cases.tasks.cases_enforcement_clues_nightly",
        "schedule": crontab(hour=2, minute=30),
        "options": {"expires": 23 * 60 * 60},
    },
}
