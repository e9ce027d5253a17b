"""The performance evaluation (issue 22) at provincial scale.

Goals from issue 22 "Tests and figures", on ``seed_demo --scale large``:
- computing every indicator for all 174 entities over a year ≤ 30 s;
- the ranking page ≤ 150 ms and ≤ 10 queries.

The large seed has no evaluation of its own (``evaluation/seed.py`` seeds the demo scale only),
so the setup adds one, additively and once: the year with the most problems gets the default
indicator system and its year period, closed (scored and frozen) the first time.

What runs:
- ``evaluation.compute_year``: ``period_scores`` (every figure set's own refresh over the
  year, grouped by region, summed over subtrees, scored on each indicator's curve) and storing
  the 174 entities' scores and ranks, as closing does, rolled back after each call. Baseline:
  the figure totals alone (``compute.entity_totals``), i.e. the dashboards' own aggregation
  without scoring and storing.
- ``evaluation.ranking``: ``GET /evaluation/ranking/?period=…&level=county`` as a province
  user (every county row, the chart data, the template). Baseline: the ranking selector's
  query alone.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import Count
from django.db.models.functions import ExtractYear
from django.test import Client

from bench.harness import Benchmark, Goal
from cases.models import Problem
from evaluation import compute, selectors, services
from evaluation.models import IndicatorSystem, Level, Period
from evaluation.seed import default_indicators
from portal.accounts.models import Role, User

COMPUTE_GOAL = Goal(p50_ms=30_000, source="issue 22: every indicator, 174 entities, a year ≤ 30 s")
RANKING_GOAL = Goal(p95_ms=150, max_queries=10, source="issue 22: ranking page ≤ 150 ms, ≤ 10 queries")


class Rollback(Exception):
    pass


def _province() -> User:
    user, _created = User.objects.get_or_create(
        username="bench_eval_province", defaults={"region_id": "410000", "roles": [Role.PROVINCE_STAFF]}
    )
    return user


def _year_period() -> Period:
    """The year with the most problems, its system and year period (closed once)."""
    busiest = (
        Problem.objects.annotate(year=ExtractYear("found_on"))
        .values("year")
        .annotate(n=Count("id"))
        .order_by("-n")
        .first()
    )
    year = busiest["year"] if busiest else 2025
    actor = _province()
    system = IndicatorSystem.objects.filter(year=year).first()
    if system is None:
        system = IndicatorSystem.objects.create(year=year)
        default_indicators(system)
    period = services.period_open(actor=actor, system=system, kind=Period.Kind.YEAR)
    if period.is_open:
        period = services.period_close(actor=actor, period_id=period.pk)
    return period


def _compute_and_store(period: Period) -> None:
    try:
        with transaction.atomic():
            services._store(period, services.period_scores(period))
            raise Rollback
    except Rollback:
        pass


def _totals(period: Period) -> None:
    compute.entity_totals(period.starts_on, period.ends_on, compute.entity_regions())


def _ranking_setup():
    period = _year_period()
    client = Client(SERVER_NAME="localhost")
    user = _province()
    client.force_login(user)
    url = f"/evaluation/ranking/?period={period.pk}&level={Level.COUNTY}"
    assert client.get(url).status_code == 200
    return client, url, user, period


def _get(client: Client, url: str):
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return response


BENCHMARKS = [
    Benchmark(
        name="evaluation.compute_year",
        measures="every indicator for all 174 entities over a year: computed, scored, stored, ranked",
        setup=_year_period,
        run=_compute_and_store,
        baseline=_totals,
        baseline_label="the figure totals alone (compute.entity_totals)",
        goal=COMPUTE_GOAL,
        warmup=1,
        repeat=3,
    ),
    Benchmark(
        name="evaluation.ranking",
        measures="GET the county ranking of a closed year as a province user",
        setup=_ranking_setup,
        run=lambda state: _get(state[0], state[1]),
        baseline=lambda state: selectors.ranking(state[2], state[3], Level.COUNTY),
        baseline_label="the ranking selector's query alone",
        goal=RANKING_GOAL,
        warmup=3,
        repeat=30,
    ),
]
