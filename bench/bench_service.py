"""The public site (issue 20 §3, §6): p95 of its pages with the large seed, anonymous, through
Django's full request stack (middleware, sessions, templates) with the test client, as the
other page benchmarks here do (bench_cases, bench_dashboards).

The large seed (service/seed.py ``seed_large``, a step of ``seed_demo --scale large``) holds
100,000 enterprises over every county, each assigned to its county's leader (every tenth to
its city's too), one leader with a contact per county and city.

Each page is measured against, interleaved in the same run, the raw SQL of the same lookup:
the very statements one request of the page ran (captured once, untimed) replayed through a
plain cursor. The landing page runs no SQL; its baseline is its template rendered alone (no
middleware). The large seed publishes no handling results, so the results page's benchmark
publishes 20,000 closed problems first (one INSERT ... SELECT, untimed) and removes them after.

The contact lookup is throttled (20 lookups per address per 10 minutes, complaints/throttle.py).
The benchmark is never throttled into 429s: every request comes from an address of its own
(``REMOTE_ADDR`` 10.x.y.z from a counter), so the throttle's Redis counter is still incremented
and checked on every timed request, as in production, and a 429 (or any answer but 200)
crashes the benchmark instead of being timed.
"""

from __future__ import annotations

import itertools

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from bench.harness import Benchmark, Goal

GOAL = Goal(p95_ms=100, source="issue 20, tests and figures: public pages ≤ 100 ms p95 with the large seed")
MISS_NAME = "豫运不存在的运输有限公司"
MISS_CODE = "91410105000000000X"  # well formed, no such enterprise
_addresses = itertools.count(1)


def _address() -> str:
    n = next(_addresses)
    return f"10.{(n >> 16) & 255}.{(n >> 8) & 255}.{n & 255}"


def _sample():
    from service.models import Enterprise
    from service.seed import LARGE_PREFIX

    enterprise = (
        Enterprise.objects.filter(name__startswith=LARGE_PREFIX, region_id="410105")
        .order_by("credit_code")
        .values("name", "credit_code")
        .first()
    )
    if enterprise is None:
        raise RuntimeError("no large-seed enterprises: seed_demo --scale large (service.seed.seed_large) first")
    return enterprise


def _replay(statements):
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)
            cursor.fetchall()


def page_benchmark(
    name: str,
    measures: str,
    url_fn,
    *,
    expect: str | None = None,
    prepare=None,
    cleanup=None,
    baseline_label: str = "the page's own SQL replayed raw",
):
    """GET ``url_fn()`` anonymously from a fresh address each time; baseline: the same SQL raw.
    ``prepare`` (untimed, once) may add rows the page needs; ``cleanup`` removes them."""

    def setup():
        made = prepare() if prepare else None
        url = url_fn()
        client = Client(SERVER_NAME="localhost")
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url, REMOTE_ADDR=_address())
        assert response.status_code == 200, (url, response.status_code)
        body = response.content.decode()
        if expect is not None:
            assert expect in body, (url, expect)
        statements = [q["sql"] for q in captured.captured_queries]
        # the landing page reads nothing: its baseline is its template rendered alone
        return {"client": client, "url": url, "statements": statements or None, "made": made}

    def run(state):
        response = state["client"].get(state["url"], REMOTE_ADDR=_address())
        assert response.status_code == 200, (state["url"], response.status_code)  # a 429 crashes the bench

    def baseline(state):
        if state["statements"] is None:
            _render_alone(state)
            return
        _replay(state["statements"])

    def teardown(state):
        if cleanup:
            cleanup(state["made"])

    return Benchmark(
        name=name,
        measures=measures,
        setup=setup,
        run=run,
        baseline=baseline,
        baseline_label=baseline_label,
        teardown=teardown,
        goal=GOAL,
        warmup=5,
        repeat=100,
    )


def _render_alone(state):
    """The landing page's template rendered directly (no middleware, no URL resolving)."""
    from django.template.loader import render_to_string
    from django.test import RequestFactory

    render_to_string("service/public_home.html", {}, request=RequestFactory().get(state["url"]))


PUBLISHED = 20_000  # published handling results the results page pages through


def _publish_results():
    """The large seed publishes no handling results (cases.Disclosure): publish 20,000 of the
    closed problems for the page to list, by one INSERT ... SELECT (untimed; removed after)."""
    from cases.models import Disclosure

    if Disclosure.objects.exists():
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO cases_disclosure (problem_id, title, summary, approved_by_id, published_at) "
            "SELECT p.id, left(p.title, 180) || '：处理结果', '已整改到位，相关责任人已依规处理。', "
            "(SELECT min(id) FROM accounts_user), now() - (p.id %% 365) * interval '1 day' "
            "FROM cases_problem p WHERE p.status = 'closed' ORDER BY p.id LIMIT %s RETURNING id",
            [PUBLISHED],
        )
        ids = [pk for (pk,) in cursor.fetchall()]
        cursor.execute("ANALYZE cases_disclosure")  # as autovacuum would, after a bulk insert
        return ids


def _unpublish(ids):
    if ids:
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM cases_disclosure WHERE id = ANY(%s)", [ids])


def _contacts(query_of):
    def url():
        from urllib.parse import urlencode

        return f"{reverse('public:contacts')}?{urlencode({'q': query_of()})}"

    return url


BENCHMARKS = [
    page_benchmark(
        "service.public.landing",
        "GET /public/, the public landing page",
        lambda: reverse("public:home"),
        expect='data-public="exemptions"',
        baseline_label="its template rendered alone (the page runs no SQL)",
    ),
    page_benchmark(
        "service.public.contacts.name_hit",
        "contact lookup by exact enterprise name, found (100,000 enterprises)",
        _contacts(lambda: _sample()["name"]),
        expect='id="contact-result"',
    ),
    page_benchmark(
        "service.public.contacts.code_hit",
        "contact lookup by credit code (lower case), found",
        _contacts(lambda: _sample()["credit_code"].lower()),
        expect='id="contact-result"',
    ),
    page_benchmark(
        "service.public.contacts.name_miss",
        "contact lookup by a name no enterprise has",
        _contacts(lambda: MISS_NAME),
        expect='id="contact-none"',
    ),
    page_benchmark(
        "service.public.contacts.code_miss",
        "contact lookup by a well-formed credit code no enterprise has",
        _contacts(lambda: MISS_CODE),
        expect='id="contact-none"',
    ),
    page_benchmark(
        "service.public.results",
        f"GET the published handling results (cases:public): {PUBLISHED:,} published of 200,000 problems",
        lambda: reverse("cases:public"),
        expect="：处理结果",
        prepare=_publish_results,
        cleanup=_unpublish,
    ),
    page_benchmark(
        "service.public.exemptions",
        "GET the exemption list in force (enforcement_cases:public-exemptions)",
        lambda: reverse("enforcement_cases:public-exemptions"),
    ),
]
