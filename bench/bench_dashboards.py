"""The dashboards (issue 7) at provincial scale.

Goals from issue 7 "Performance", with ``seed_demo --scale large`` (200,000 problems,
2,000,000 complaints):
- the province dashboard: server time p95 ≤ 200 ms, ≤ 20 queries (the same number at small
  scale: pinned by ``portal/dashboards/tests/test_views.py``), and ≤ 2× the time of the raw SQL
  of the same aggregates measured in the same run;
- a county dashboard: p95 ≤ 100 ms.

What runs:
- ``dashboards.province``: ``GET /`` as a province user through Django's test client, the
  whole request (middleware, session, the selectors over the summary tables, the template and
  the charts' JSON). Baseline: the raw SQL of the same aggregates, i.e. every figure the page
  shows computed from the records (problems, complaints, accountability) with the definitions
  of ``cases/figures.py`` and ``complaints/figures.py``, one statement per panel, through a raw cursor. That is
  what the page would cost without the summary tables.
- ``dashboards.province.own_sql``: the same request against the page's own SQL statements
  replayed on a raw cursor (the database's share of the request); no goal, shown so the
  Python share (template, objects) is visible too.
- ``dashboards.county`` (金水区, a county user's own dashboard) and ``dashboards.city``.
- ``dashboards.refresh``: one rebuild of the summary tables from every record of the province
  (the work moved off the request, every five minutes in Celery), rolled back after each run.
"""

from __future__ import annotations

from django.db import connection, transaction
from django.db.models import Count, F, Value
from django.db.models.functions import Substr, TruncMonth
from django.test import Client
from django.test.utils import CaptureQueriesContext

from bench.harness import Benchmark, Goal
from cases import figures
from cases.models import Accountability, Problem
from complaints import figures as complaint_figures
from complaints.models import Complaint
from portal.accounts.models import Role, User
from portal.dashboards.models import Snapshot
from portal.dashboards.period import Period
from portal.dashboards.services import figures_refresh
from portal.regions.models import Unit

PROVINCE_GOAL = Goal(
    p95_ms=200, max_queries=20, max_ratio=2, source="issue 7: p95 ≤ 200 ms, ≤ 20 queries, ≤ 2× the raw SQL"
)
COUNTY_GOAL = Goal(p95_ms=100, source="issue 7: county dashboard p95 ≤ 100 ms")
COUNTY = "410105"  # 金水区
CITY = "410100"  # 郑州市


def _user(username: str, region: str, role: str) -> User:
    user, _created = User.objects.get_or_create(username=username, defaults={"region_id": region, "roles": [role]})
    return user


def _client(user: User) -> Client:
    client = Client(SERVER_NAME="localhost")
    client.force_login(user)
    return client


def _ensure_figures() -> None:
    """The large seed computes the figures as its last step; a bench database seeded before
    the dashboards existed gets them now (untimed)."""
    if not Snapshot.objects.exists():
        figures_refresh()


def _get(client: Client, url: str):
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return response


def _raw(statements):
    with connection.cursor() as cursor:
        for sql, params in statements:
            cursor.execute(sql, params)
            cursor.fetchall()


def _sql(queryset) -> tuple[str, tuple]:
    return queryset.query.sql_with_params()


def _grouped(queryset, keys: dict, measures: dict) -> tuple[str, tuple]:
    return _sql(queryset.order_by().values(**keys).annotate(**measures))


def province_aggregates_sql() -> list[tuple[str, tuple]]:
    """Every aggregate the province dashboard shows, straight from the records: totals, by
    category class, by domain, by month (found, closed), accountability by measure; complaints'
    totals, by category class and by month; both by region for the rankings and the three
    zeros; the active units by region."""
    period = Period.of()
    conflict_id = figures.conflict_class_id()
    problems = Problem.objects.all()
    complaints = Complaint.objects.all()
    window = complaints.filter(received_at__gte=Period.aware(period.window_start))
    one = {"k_all": Value(1)}
    city = {"k_city": Substr("region__path", 8, 6)}
    return [
        _grouped(problems, one, figures.problem_measures(period, conflict_id)),
        _grouped(problems, {"k_class": figures.category_class()}, figures.problem_breakdown_measures(period)),
        _grouped(problems, {"k_domain": F("domain_id")}, figures.problem_breakdown_measures(period)),
        _grouped(
            problems.filter(found_on__gte=period.window_start),
            {"k_month": TruncMonth("found_on")},
            figures.problem_found_measures(),
        ),
        _grouped(
            problems.filter(figures.problem_closed_q(period.window_start)),
            {"k_month": TruncMonth("closed_at")},
            figures.problem_closed_measures(),
        ),
        _grouped(
            Accountability.objects.filter(decided_on__gte=period.window_start),
            {"k_measure": F("measure")},
            figures.accountability_measures(),
        ),
        _grouped(problems, {"k_region": F("region_id")}, figures.problem_measures(period, conflict_id)),
        _grouped(
            Accountability.objects.filter(decided_on__gte=period.window_start),
            {"k_region": F("problem__region_id")},
            figures.accountability_measures(),
        ),
        _grouped(complaints, one, complaint_figures.complaint_measures(period, conflict_id)),
        _grouped(window, {"k_class": figures.category_class()}, complaint_figures.complaint_window_measures()),
        _grouped(window, {"k_month": TruncMonth("received_at")}, complaint_figures.complaint_window_measures()),
        _grouped(
            complaints, {"k_region": F("handling_region_id")}, complaint_figures.complaint_measures(period, conflict_id)
        ),
        _grouped(Unit.objects.filter(active=True), city, {"n": Count("id")}),
    ]


def _province_setup():
    _ensure_figures()
    client = _client(_user("bench_dash_province", "410000", Role.PROVINCE_STAFF))
    _get(client, "/")
    return client, province_aggregates_sql()


def _own_sql_setup():
    """The page's own statements, as it sent them (SELECTs only: the session's touch is the
    middleware's, not the dashboard's)."""
    client, _aggregates = _province_setup()
    with CaptureQueriesContext(connection) as captured:
        _get(client, "/")
    statements = [(q["sql"], None) for q in captured.captured_queries if q["sql"].lstrip().upper().startswith("SELECT")]
    return client, statements


def _page(url: str, username: str, region: str, role: str):
    def setup():
        _ensure_figures()
        client = _client(_user(username, region, role))
        _get(client, url)
        return client

    return setup


def _refresh_once():
    with transaction.atomic():
        figures_refresh()
        transaction.set_rollback(True)


BENCHMARKS = [
    Benchmark(
        name="dashboards.province",
        measures="GET / as a province user: the province dashboard",
        setup=_province_setup,
        run=lambda state: _get(state[0], "/"),
        baseline=lambda state: _raw(state[1]),
        baseline_label="raw SQL of the same aggregates over the records",
        goal=PROVINCE_GOAL,
        warmup=3,
        repeat=30,
    ),
    Benchmark(
        name="dashboards.province.own_sql",
        measures="the same request against its own SQL",
        setup=_own_sql_setup,
        run=lambda state: _get(state[0], "/"),
        baseline=lambda state: _raw(state[1]),
        baseline_label="the page's SELECTs, raw cursor",
        warmup=3,
        repeat=30,
    ),
    Benchmark(
        name="dashboards.county",
        measures="GET / as a county user (金水区): the county dashboard",
        setup=_page("/", "bench_dash_county", COUNTY, Role.COUNTY_OFFICER),
        run=lambda client: _get(client, "/"),
        goal=COUNTY_GOAL,
        warmup=3,
        repeat=30,
    ),
    Benchmark(
        name="dashboards.city",
        measures="GET /dashboard/region/410100/ as a province user: a city's dashboard",
        setup=_page(f"/dashboard/region/{CITY}/", "bench_dash_province", "410000", Role.PROVINCE_STAFF),
        run=lambda client: _get(client, f"/dashboard/region/{CITY}/"),
        warmup=3,
        repeat=20,
    ),
    Benchmark(
        name="dashboards.refresh",
        measures="rebuild the summary tables from every record (Celery, every 5 min)",
        run=_refresh_once,
        warmup=1,
        repeat=3,
        count_queries=True,
    ),
]
