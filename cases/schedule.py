"""Beat entries of cases (merged into CELERY_BEAT_SCHEDULE by the settings).

The enforcement case versions are partitioned by the year of 立案: next year's partition is
made daily, long before 1 January, so an upload never meets a missing partition."""

BEAT_SCHEDULE = {
    "cases-enforcement-ensure-partitions": {
        "task": "cases.tasks.cases_enforcement_ensure_partitions",
        "schedule": 24 * 60 * 60,
        "options": {"expires": 23 * 60 * 60},
    },
}
