"""Beat entries of the dashboards (merged into CELERY_BEAT_SCHEDULE by the settings).

The summary tables are rebuilt every five minutes, so "数据截至" on a dashboard is never more
than a few minutes old; a beat that could not run in time expires rather than pile up."""

BEAT_SCHEDULE = {
    "dashboards-refresh-figures": {
        "task": "portal.dashboards.tasks.refresh_figures",
        "schedule": 5 * 60.0,
        "options": {"expires": 4 * 60},
    },
}
