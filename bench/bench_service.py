"""The public site (issue 20 §3, §6): p95 of its pages with the large seed, anonymous, through
Django's full request stack (middleware, sessions, templates) with the test client, as the
other page benchmarks here do (bench_cases, bench_dashboards).

The large seed (service/seed.py ``seed_large``, a step of ``seed_demo --scale large``) holds
100,000 enterprises over every county, each assigned to its county's leader (every tenth to
its city's too), one leader with a contact per county and city.

Each page is measured against, interleaved in the same run, the raw SQL of the same lookup:
the very statements one request of the page ran (captured once, untimed) replayed through a
plain cursor. The landing page runs no SQL; its baseline is the trivial DRF endpoint
``/api/v1/complaints/ping/`` through the same client.

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


def page_benchmark(name: str, measures: str, url_fn, *, expect: str | None = None, absent: str | None = None):
    """GET ``url_fn()`` anonymously from a fresh address each time; baseline: the same SQL raw."""

    def setup():
        url = url_fn()
        client = Client(SERVER_NAME="localhost")
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url, REMOTE_ADDR=_address())
        assert response.status_code == 200, (url, response.status_code)
        body = response.content.decode()
        if expect is not None:
            assert expect in body, (url, expect)
        if absent is not None:
            assert absent not in body, (url, absent)
        statements = [q["sql"] for q in captured.captured_queries]
        if not statements:  # the landing page reads nothing: compare with the trivial endpoint
            return {"client": client, "url": url, "statements": None}
        return {"client": client, "url": url, "statements": statements}

    def run(state):
        response = state["client"].get(state["url"], REMOTE_ADDR=_address())
        assert response.status_code == 200, (state["url"], response.status_code)  # a 429 crashes the bench

    def baseline(state):
        if state["statements"] is None:
            response = state["client"].get("/api/v1/complaints/ping/", REMOTE_ADDR=_address())
            assert response.status_code == 200, response.status_code
            return
        _replay(state["statements"])

    return Benchmark(
        name=name,
        measures=measures,
        setup=setup,
        run=run,
        baseline=baseline,
        baseline_label="the page's own SQL replayed raw (landing: GET the ping endpoint)",
        goal=GOAL,
        warmup=5,
        repeat=100,
    )


def _contacts(query_of):
    def url():
        from urllib.parse import urlencode

        return f"{reverse('public:contacts')}?{urlencode({'q': query_of()})}"

    return url


BENCHMARKS = [
    page_benchmark("service.public.landing", "GET /public/, the public landing page", lambda: reverse("public:home")),
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
        "GET the published handling results of problems (cases:public, 200,000 problems)",
        lambda: reverse("cases:public"),
    ),
    page_benchmark(
        "service.public.exemptions",
        "GET the exemption list in force (enforcement_cases:public-exemptions)",
        lambda: reverse("enforcement_cases:public-exemptions"),
    ),
]
