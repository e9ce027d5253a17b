"""Enforcement cases at provincial scale (issue 15 §4 and Figures): ``make bench-cases`` only.

Not a ``bench_*.py`` module, so ``make bench`` never runs it (it needs the 10,000,000-case seed
of ``bench/cases_seed.py``, which ``make bench-cases`` writes once). ``bench/run.py --module
cases_scale`` runs it. What it measures, in the same run:

- **cases.upload.api**: batches of 5,000 new cases POSTed to /api/v1/enforcement-cases/upload/
  behind gunicorn (the bench's server, ``bench_complaints._start_gunicorn``: 3 gthread workers
  × 4 threads) from ``SENDERS`` senders for ``UPLOAD_SECONDS`` s; a sample is one window of
  ``WINDOW`` s, as ms per 5,000 cases stored, so the throughput column is cases/s. The
  baseline is **the physical floor**: the same rows (already checked, hashed and encrypted)
  COPYed by one process into the same two tables (key and versions) with the same indexes,
  one transaction per 5,000, measured in the same run. Goal: ≥ 20,000 cases/s and ≥ 30 % of
  the floor (ratio ≤ 3.33).
- **cases.upload.worker_rss**: the largest gunicorn worker's RSS after the upload (≤ 400 MB).
- **cases.search.plate / .case_number / .id_number**: the search's first page (21 rows, as the
  page reads) for a random seeded plate / case number / ID number, province-wide (p95 ≤ 50 ms).
- **cases.list.page.province / .county**: the whole list page rendered (GET, Django test
  client, signed in) with no filter (≤ 150 ms).
- **cases.search.plans**: EXPLAIN of every search and list query; a Seq Scan of a cases
  partition that holds rows is an error, which fails the run (exit 1). (The empty partitions
  of the years before the seed are read by a Seq Scan of zero pages, which reads no case.)
- **cases.figures.refresh**: the enforcement figures' share of the dashboards' refresh (from
  the tally) against the one GROUP BY over the cases it replaces.

The cases the upload benchmark writes belong to a unit of its own and are deleted afterwards
(with their keys and tally rows), so the seed stays 10,000,000 cases; their audit events stay.
"""

from __future__ import annotations

import datetime as dt
import http.client
import itertools
import json
import os
import random
import re
import threading
import time
from collections import Counter
from pathlib import Path

from django.db import connection, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from bench.cases_seed import BENCH_UNIT, POOL, TOTAL, case_number, id_number_of, plate_of
from bench.harness import Benchmark, Goal, Options, Probe, Result

BASE_DIR = Path(__file__).resolve().parent.parent
BATCH = 5000
SENDERS = 3
UPLOAD_SECONDS = int(os.environ.get("BENCH_CASES_UPLOAD_SECONDS", "48"))
WINDOW = 8  # seconds per sample of the upload (a batch takes a few: shorter windows quantise)
FLOOR_BATCHES = int(os.environ.get("BENCH_CASES_FLOOR_BATCHES", "8"))
UPLOAD_GOAL = Goal(
    min_per_s=20_000,
    max_ratio=1 / 0.3,
    source="issue 15 Figures: ≥20,000 cases/s and ≥30% of a raw COPY of the same rows",
)
RSS_LIMIT_MB = 400
SEARCH_GOAL = Goal(p95_ms=50, source="issue 15 Figures: search by plate or case number p95 ≤ 50 ms at 10M")
LIST_GOAL = Goal(p95_ms=150, source="issue 15 Figures: the list page ≤ 150 ms at 10M")
UPLOAD_PATH = "/api/v1/enforcement-cases/upload/"
SEQ_SCAN = re.compile(r"Seq Scan on cases_enforcementcase(_y\d+)?\b")


# --- who uploads and who reads ------------------------------------------------------------------


def _bench_unit():
    from cases.enforcement.models import CaseUploadClient
    from portal.accounts.models import User
    from portal.regions.models import Unit

    unit, _ = Unit.objects.get_or_create(
        region_id="410105", name=BENCH_UNIT, defaults={"kind": Unit.Kind.ENFORCEMENT_AGENCY}
    )
    user, _ = User.objects.get_or_create(username="bench_case_system", defaults={"region_id": "410105"})
    CaseUploadClient.objects.get_or_create(user=user, defaults={"unit": unit, "name": "基准测试办案系统"})
    return unit, user


def _token(user) -> str:
    from rest_framework.authtoken.models import Token

    return Token.objects.get_or_create(user=user)[0].key


def _reader(username: str, region: str, role: str):
    from portal.accounts.models import User

    user, _ = User.objects.get_or_create(username=username, defaults={"region_id": region, "roles": [role]})
    return user


def _cleanup(unit) -> int:
    """Delete the bench unit's cases, keys and tally rows (the seed stays as it was)."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM cases_enforcementcase WHERE unit_id = %s", [unit.pk])
        deleted = cursor.rowcount
        cursor.execute("DELETE FROM cases_enforcementcasekey WHERE unit_id = %s", [unit.pk])
        cursor.execute("DELETE FROM cases_enforcementcasetally WHERE unit_id = %s", [unit.pk])
    return deleted


# --- the rows ----------------------------------------------------------------------------------------


def _case(run: str, n: int, today: dt.date) -> dict:
    filed = today - dt.timedelta(days=1 + n % 200)
    decided = filed + dt.timedelta(days=n % 2)
    row = {
        "case_number": f"豫交执U{run}-{n:08d}",
        "revised_at": "2026-01-01T09:00:00+08:00",
        "violation_item": ("CZ001", "CZ002", "YS001", "YS002", "YS003", "CZ003")[n % 6],
        "penalty_type": "fine" if n % 4 else "none",
        "discretion": "general" if n % 4 else "exempt",
        "mode": ("on_site", "non_site", "overload_station")[n % 3],
        "soft_measures": [] if n % 4 else ["persuasion"],
        "officer_certificates": [f"41{n % 100000:06d}", f"41{(n + 1) % 100000:06d}A"],
        "party_name": "王某某",
        "party_id_number": id_number_of(n),
        "plate": plate_of(n),
        "place": "金水区花园路",
        "region": "410105",
        "filed_on": filed.isoformat(),
        "decided_on": decided.isoformat(),
        "status": "decided",
    }
    if n % 4:
        row["penalty_amount"] = "500.00"
    return row


def _bodies(run: str, count: int, today: dt.date) -> list[bytes]:
    return [
        json.dumps({"cases": [_case(run, b * BATCH + i, today) for i in range(BATCH)]}, ensure_ascii=False).encode()
        for b in range(count)
    ]


# --- the upload through the API behind gunicorn ---------------------------------------------------


def _send_all(port: int, token: str, bodies: list[bytes], seconds: float) -> tuple[list[tuple[float, int]], list]:
    """SENDERS threads post the bodies in turn until ``seconds`` or the bodies run out; the
    (finish time, cases stored) of every answered batch, and the errors."""
    queue = iter(bodies)
    lock = threading.Lock()
    done: list[tuple[float, int]] = []
    errors: list[str] = []
    stop_at = time.monotonic() + seconds
    headers = {"Host": "localhost", "Authorization": f"Token {token}", "Content-Type": "application/json"}

    def sender():
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
        while time.monotonic() < stop_at:
            with lock:
                body = next(queue, None)
            if body is None:
                break
            try:
                conn.request("POST", UPLOAD_PATH, body=body, headers=headers)
                response = conn.getresponse()
                payload = response.read()
            except (OSError, http.client.HTTPException) as exc:
                errors.append(repr(exc))
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
                continue
            answer = json.loads(payload) if response.status == 200 else {}
            with lock:
                if response.status == 200 and answer.get("rejected") == 0:
                    done.append((time.monotonic(), answer["new"] + answer["updated"]))
                else:
                    errors.append(f"{response.status} {payload[:300]!r}")
        conn.close()

    threads = [threading.Thread(target=sender) for _ in range(SENDERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return done, errors


def _windows(done: list[tuple[float, int]], started: float) -> list[float]:
    """ms per 5,000 cases stored in each whole window (the last, partial one left out)."""
    if not done:
        return []
    by_window = Counter()
    for finished, cases in done:
        by_window[int((finished - started) // WINDOW)] += cases
    last = int((done[-1][0] - started) // WINDOW)
    return [WINDOW * 1000 * BATCH / by_window[w] for w in range(last) if by_window[w]]


def _worker_rss_mb(master_pid: int) -> list[float]:
    sizes = []
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            fields = dict(line.split(":", 1) for line in status.read_text().splitlines() if ":" in line)
        except OSError:
            continue
        if fields.get("PPid", "").strip() == str(master_pid):
            sizes.append(int(fields["VmRSS"].split()[0]) / 1024)
    return sizes


def _raw_copy_floor(unit, run: str, today: dt.date) -> list[float]:
    """The same rows, checked, hashed and encrypted beforehand, COPYed into the key and version
    tables (same indexes), one transaction per 5,000: ms per 5,000 cases, one sample a batch."""
    from cases.enforcement import checks
    from cases.enforcement.models import EnforcementCaseKey
    from cases.enforcement.services import VERSION_COLUMNS, batch_context, version_row
    from portal.core.seeding import copy_rows, reserve_ids

    ctx = batch_context(unit)
    now = timezone.now()
    samples = []
    for b in range(FLOOR_BATCHES):
        cleaned = [checks.check_row(_case(f"{run}F", b * BATCH + i, today), ctx) for i in range(BATCH)]
        key_ids = reserve_ids(EnforcementCaseKey, BATCH)
        keys = [
            (k, unit.pk, c["case_number"], c["filed_year"], 1, c["content_hash"], c["revised_at"])
            for k, c in zip(key_ids, cleaned, strict=True)
        ]
        versions = [
            version_row(c, key_id=k, version=1, unit_id=unit.pk, received_at=now)
            for k, c in zip(key_ids, cleaned, strict=True)
        ]
        started = time.perf_counter()
        with transaction.atomic():
            copy_rows(
                "cases_enforcementcasekey",
                ["id", "unit_id", "case_number", "filed_year", "current_version", "current_hash", "current_revised_at"],
                keys,
            )
            copy_rows("cases_enforcementcase", VERSION_COLUMNS, versions)
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def upload_throughput(options: Options) -> list[Result]:
    from bench.bench_complaints import THREADS, WORKERS, _free_port, _start_gunicorn, _stop

    unit, user = _bench_unit()
    _cleanup(unit)
    token = _token(user)
    run = timezone.now().strftime("%H%M%S")
    today = timezone.localdate()
    expected = int(UPLOAD_SECONDS * 30_000 / BATCH) + SENDERS  # enough bodies for 30,000/s
    bodies = _bodies(run, expected, today)
    warm = _bodies(f"{run}w", SENDERS, today)
    port = _free_port()
    server = _start_gunicorn(port)
    try:
        _send_all(port, token, warm, 60)
        started = time.monotonic()
        done, errors = _send_all(port, token, bodies, UPLOAD_SECONDS)
        elapsed = time.monotonic() - started
        rss = _worker_rss_mb(server.pid)
    finally:
        _stop(server)
    floor = _raw_copy_floor(unit, run, today)
    stored = sum(cases for _t, cases in done)
    deleted = _cleanup(unit)
    upload = Result(
        name="cases.upload.api",
        measures=f"batches of {BATCH:,} new cases POSTed behind gunicorn ({WORKERS}×{THREADS} gthread), "
        f"{SENDERS} senders, {UPLOAD_SECONDS} s; a sample is {WINDOW} s",
        samples_ms=_windows(done, started),
        ops=BATCH,
        ops_label="cases",
        baseline=f"raw COPY of the same rows, prepared, into the same tables and indexes ({FLOOR_BATCHES}×{BATCH:,})",
        baseline_samples_ms=floor,
        goal=UPLOAD_GOAL,
        note=f"{stored:,} cases stored in {elapsed:.1f} s ({stored / elapsed:,.0f}/s overall), {len(errors)} errors; "
        f"raw COPY {BATCH * 1000 / sorted(floor)[len(floor) // 2]:,.0f} cases/s; {deleted:,} bench rows deleted after",
    )
    if errors:
        upload.error = f"{len(errors)} errors: {errors[:2]}"
    biggest = max(rss) if rss else None
    memory = Result(
        name="cases.upload.worker_rss",
        measures="largest gunicorn worker's resident memory after the upload, MB (reported as ms)",
        samples_ms=[biggest] if biggest is not None else [],
        goal=Goal(p50_ms=RSS_LIMIT_MB, source="issue 15 Figures: worker RSS ≤ 400 MB (this row's ms are MB)"),
        note=f"workers' RSS: {', '.join(f'{mb:.0f} MB' for mb in sorted(rss))}",
    )
    return [upload, memory]


# --- search and list at 10M -------------------------------------------------------------------------


def _values(kind: str):
    rng = random.Random(15)
    if kind == "plate":
        return itertools.cycle([plate_of(rng.randrange(POOL)) for _ in range(500)])
    if kind == "id_number":
        return itertools.cycle([id_number_of(rng.randrange(POOL)) for _ in range(500)])
    first = timezone.localdate().year - 4
    picks = [rng.randrange(TOTAL) for _ in range(500)]
    return itertools.cycle([case_number(i, first + i * 5 // TOTAL) for i in picks])


def _search_benchmark(kind: str) -> Benchmark:
    def setup():
        from cases.enforcement.selectors import cases_search

        user = _reader("bench_case_province", "410000", "province_staff")
        values = _values(kind)
        argument = "party_id_number" if kind == "id_number" else kind
        return lambda: list(cases_search(user, **{argument: next(values)})[:21])

    return Benchmark(
        name=f"cases.search.{kind}",
        measures=f"first page of the case search by {kind.replace('_', ' ')} (a random seeded one), province-wide",
        setup=setup,
        run=lambda search: search(),
        goal=SEARCH_GOAL,
        repeat=100,
    )


def _list_benchmark(scope: str, region: str, role: str) -> Benchmark:
    def setup():
        client = Client(SERVER_NAME="localhost")
        client.force_login(_reader(f"bench_case_{scope}", region, role))
        url = reverse("enforcement_cases:list")
        client.get(url)
        return client, url

    def run(state):
        client, url = state
        response = client.get(url)
        if response.status_code != 200:
            raise RuntimeError(f"the list answered {response.status_code}")

    return Benchmark(
        name=f"cases.list.page.{scope}",
        measures=f"the case list page, no filter, rendered for a {scope} reader (Django test client)",
        setup=setup,
        run=run,
        goal=LIST_GOAL,
        repeat=40,
    )


def _plans(options: Options) -> list[Result]:
    """EXPLAIN every search and list query; a Seq Scan of a cases partition fails the run."""
    from cases.enforcement.selectors import cases_search
    from portal.regions.models import Unit

    province = _reader("bench_case_province", "410000", "province_staff")
    county = _reader("bench_case_county", "410105", "county_officer")
    unit = Unit.objects.filter(region_id="410105", kind=Unit.Kind.ENFORCEMENT_AGENCY).first()
    queries = {
        "plate": cases_search(province, plate=plate_of(7)),
        "case_number": cases_search(province, case_number=case_number(7, timezone.localdate().year - 4)),
        "id_number": cases_search(province, party_id_number=id_number_of(7)),
        "list.province": cases_search(province),
        "list.county": cases_search(county),
        "list.city_region": cases_search(province, region=county.region.parent),
        "list.unit": cases_search(province, unit=unit) if unit else None,
        "list.mode": cases_search(province, mode="non_site"),
    }
    # The partitions that hold rows (after ANALYZE): the planner reads an empty partition (the
    # years 2015 .. before the seed) by a free Seq Scan of zero pages, which is no scan of cases.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid"
            " WHERE i.inhparent = 'cases_enforcementcase'::regclass AND (c.relpages > 0 OR c.reltuples > 0)"
        )
        holding = {name for (name,) in cursor.fetchall()}
    results, bad = [], []
    for name, queryset in queries.items():
        if queryset is None:
            continue
        sql, params = queryset[:21].query.sql_with_params()
        with connection.cursor() as cursor:
            started = time.perf_counter()
            cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}", params)
            elapsed = (time.perf_counter() - started) * 1000
            plan = "\n".join(row[0] for row in cursor.fetchall())
        seq = [
            line.strip()
            for line in plan.splitlines()
            if (m := SEQ_SCAN.search(line)) and (m.group(0).removeprefix("Seq Scan on ") in holding or not m.group(1))
        ]
        if seq:
            bad.append(f"{name}: {seq[0]}")
        results.append(
            Result(
                name=f"cases.plan.{name}",
                measures="EXPLAIN ANALYZE of the first page's query: no Seq Scan of a cases partition",
                samples_ms=[elapsed],
                note="; ".join(seq) if seq else "index-driven",
                error=f"Seq Scan of the cases: {seq[0]}" if seq else None,
            )
        )
    if bad:
        print("cases_scale: search plans with a sequential scan of the cases:\n  " + "\n  ".join(bad))
    return results


def _analyze(options: Options) -> list[Result]:
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE cases_enforcementcase")
        cursor.execute("ANALYZE cases_enforcementcasekey")
        cursor.execute("SELECT count(*) FROM cases_enforcementcasekey")
        (keys,) = cursor.fetchone()
    return [
        Result(
            name="cases.seed.size",
            measures="ANALYZE of the case tables; the cases held (keys)",
            samples_ms=[(time.perf_counter() - started) * 1000],
            note=f"{keys:,} cases",
        )
    ]


def _figures_refresh_benchmark() -> Benchmark:
    """The enforcement figure set's share of the dashboards' refresh at 10M (it groups the case
    tally, never the cases), against the GROUP BY over the current versions it replaces."""

    def setup():
        from cases.enforcement.figures import EnforcementFigures
        from cases.enforcement.models import EnforcementFigure
        from cases.enforcement.tally import FROM_CASES
        from portal.dashboards.period import Period
        from portal.dashboards.services import Table

        def refresh():
            with transaction.atomic():
                EnforcementFigures().refresh(Table(EnforcementFigure), Period.of(), {})
                transaction.set_rollback(True)

        def group_cases():
            with connection.cursor() as cursor:
                cursor.execute(FROM_CASES)
                cursor.fetchall()

        return refresh, group_cases

    return Benchmark(
        name="cases.figures.refresh",
        measures="the enforcement figures' refresh (grouped INSERTs from the case tally), rolled back",
        setup=setup,
        run=lambda state: state[0](),
        baseline=lambda state: state[1](),
        baseline_label="one GROUP BY over the 10M current versions",
        warmup=1,
        repeat=3,
    )


BENCHMARKS = [
    Probe("cases.seed.size", _analyze),
    Probe("cases.search.plans", _plans),
    _search_benchmark("plate"),
    _search_benchmark("case_number"),
    _search_benchmark("id_number"),
    _list_benchmark("province", "410000", "province_staff"),
    _list_benchmark("county", "410105", "county_officer"),
    _figures_refresh_benchmark(),
    Probe("cases.upload.api", upload_throughput),
]
