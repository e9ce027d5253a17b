"""Monitoring warnings (issue 18 §2, "Tests and figures"): the nightly job over the large seed
(2,000,000 complaints, 200,000 problems), its counting step against one GROUP BY of the same
windowed counts, and the warning page.

- ``warnings.nightly``: ``supervision.warnings.monitoring_run`` for yesterday, the whole job
  (counting, detection over every series, storing the warnings and the run, the audit event);
  the day's warnings are deleted untimed before each call so every call does all the work.
- ``warnings.counting``: the job's counting step (``count_windows``: one GROUPING SETS statement
  per source, unit × category and region × category, and the dictionaries built from it)
  against its baseline, the plain SQL GROUP BY (unit, category, window) of the same rows and
  windows for both sources, fetched through ``connection.cursor()``.
- ``warnings.page``: GET /supervision/warnings/ (all statuses) as a province user after the run;
  ``warnings.detail``: the warning with the largest count (chart, figures, its first 100 records).
"""

from __future__ import annotations

import datetime as dt

from django.db import connection
from django.test import Client
from django.utils import timezone

from bench.harness import Benchmark, Goal
from portal.accounts.models import User
from supervision.models import MonitoringRun, MonitoringWarning
from supervision.warnings import PARAMS, SOURCES, count_windows, counting_sql, monitoring_run, window_bounds

NIGHTLY_GOAL = Goal(
    p95_ms=60_000, source="issue 18: nightly monitoring over 2,000,000 complaints and 200,000 problems ≤ 60 s"
)
COUNTING_GOAL = Goal(max_ratio=3, source="issue 18: the counting step ≤ 3× one GROUP BY of the same windowed counts")
PAGE_GOAL = Goal(p95_ms=150, max_queries=12, source="issue 18: the warning page ≤ 150 ms")


def _day() -> dt.date:
    return timezone.localdate() - dt.timedelta(days=1)


def _province() -> User:
    user, _created = User.objects.get_or_create(
        username="bench_province_staff", defaults={"region_id": "410000", "roles": ["province_staff"]}
    )
    return user


def _clear(state) -> None:
    MonitoringWarning.objects.filter(window_end=state["day"]).delete()
    MonitoringRun.objects.filter(day=state["day"]).delete()


def _group_by(state):
    start, end = window_bounds(state["day"], PARAMS)
    rows = []
    with connection.cursor() as cursor:
        for spec in SOURCES:
            cursor.execute(counting_sql(spec, grouping_sets=False), [state["day"], PARAMS.window_days, start, end])
            rows += cursor.fetchall()
    return rows


def _page_setup():
    day = _day()
    if not MonitoringRun.objects.filter(day=day).exists():
        monitoring_run(day)
    client = Client(SERVER_NAME="localhost")
    client.force_login(_province())
    return {"client": client, "warnings": MonitoringWarning.objects.count()}


def _page(state):
    response = state["client"].get("/supervision/warnings/", {"status": "all"})
    assert response.status_code == 200, response.status_code


def _detail_setup():
    state = _page_setup()
    busiest = MonitoringWarning.objects.order_by("-observed").first()
    state["url"] = f"/supervision/warnings/{busiest.pk}/" if busiest else "/supervision/warnings/"
    return state


def _detail(state):
    response = state["client"].get(state["url"])
    assert response.status_code == 200, response.status_code


BENCHMARKS = [
    Benchmark(
        name="warnings.nightly",
        measures="the nightly monitoring job for one day over the large seed, all series",
        setup=lambda: {"day": _day()},
        before_each=_clear,
        run=lambda state: monitoring_run(state["day"]),
        goal=NIGHTLY_GOAL,
        repeat=3,
        warmup=1,
        count_queries=False,
    ),
    Benchmark(
        name="warnings.counting",
        measures="the job's counting step: windowed counts per unit and region × category, both sources",
        setup=lambda: {"day": _day()},
        run=lambda state: count_windows(state["day"]),
        baseline=_group_by,
        baseline_label="one plain GROUP BY (unit, category, window) per source, raw SQL",
        goal=COUNTING_GOAL,
        repeat=5,
        warmup=1,
    ),
    Benchmark(
        name="warnings.page",
        measures="GET /supervision/warnings/ as a province user after the nightly run",
        setup=_page_setup,
        run=_page,
        goal=PAGE_GOAL,
        repeat=40,
    ),
    Benchmark(
        name="warnings.detail",
        measures="GET one warning (the largest count: its chart, figures and first 100 records), province user",
        setup=_detail_setup,
        run=_detail,
        goal=PAGE_GOAL,
        repeat=40,
    ),
]
