"""Complaints (issue 5): intake throughput behind gunicorn, duplicate suggestions over 2,000,000
complaints, and the unit inbox's query count at county and at province scale.

complaints.intake.throughput starts gunicorn on a free localhost port against the bench
database (the settings, DATABASE_URL and REDIS_URL of this run), then drives it from a pool of
client threads with keep-alive connections: 60 s of 12328 work-order POSTs to
/api/v1/complaints/intake/ (token authenticated, every one a new work order), and, as the
baseline in the same run on the same server, 20 s of the trivial DRF endpoint
/api/v1/complaints/ping/. A sample is one second of the run, in ms per request (1000 / requests
done in that second), so the table's throughput is the median requests per second and the ratio
is ping's throughput over intake's. Any answer but 201 (intake) or 200 (ping) is an error, and
one error fails the goal. complaints.intake.batch (issue 16) then sends batches of 500 of the
same work orders to /api/v1/complaints/intake/batch/ from 4 senders for 30 s, against the same
batches written as plain rows (a complaint and an audit event per work order) by one statement
at /bench/floor/batch/ on the same server. The work orders it creates are deleted afterwards
(their audit events stay: the trail is append-only).
"""

from __future__ import annotations

import datetime as dt
import http.client
import json
import os
import random
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

from django.db import connection
from django.test import Client
from django.utils import timezone

from bench.harness import Benchmark, Goal, Options, Probe, Result
from complaints.models import Complaint, IntakeClient
from complaints.selectors import duplicate_candidates, inbox_for

BASE_DIR = Path(__file__).resolve().parent.parent
INTAKE_SECONDS = 60
PING_SECONDS = 20
FLOOR_SECONDS = 20
CLIENT_THREADS = 24
WORKERS = int(os.environ.get("BENCH_GUNICORN_WORKERS", "3"))
THREADS = int(os.environ.get("BENCH_GUNICORN_THREADS", "4"))
# Issue 16 withdrew issue 5's "≥ 30 % of a trivial endpoint" (the batch intake below serves the
# 12328 sync); the single intake keeps its ≥ 300/s.
INTAKE_GOAL = Goal(min_per_s=300, source="issue 5: ≥300/s (the ratio to a trivial endpoint withdrawn by issue 16)")
BATCH = 500  # work orders per batch request, the API's maximum
BATCH_SECONDS = 30
BATCH_THREADS = 4  # concurrent senders of batches
BATCH_GOAL = Goal(
    min_per_s=3000,
    max_ratio=1 / 0.4,
    source="issue 16 §3: ≥3,000 work orders/s and ≥40% of the same rows written by one plain statement",
)


# --- people and a client token in the bench database ---------------------------------------------


def _user(username: str, region: str, roles: list[str]):
    from portal.accounts.models import User

    user, _ = User.objects.get_or_create(username=username, defaults={"region_id": region, "roles": roles})
    return user


def _intake_token() -> str:
    from rest_framework.authtoken.models import Token

    user = _user("bench_12328", "410000", [])
    IntakeClient.objects.get_or_create(user=user, defaults={"name": "bench 12328", "channel": "12328"})
    return Token.objects.get_or_create(user=user)[0].key


# --- intake throughput behind gunicorn -------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _start_gunicorn(port: int) -> subprocess.Popen:
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "bench.intake_floor_wsgi",  # the portal plus the intake's floor (bench/intake_floor.py)
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(WORKERS),
        "--threads",
        str(THREADS),
        "--worker-class",
        "gthread",
        "--keep-alive",
        "30",
        "--backlog",
        "2048",
        "--log-level",
        "warning",
        "--no-control-socket",
    ]
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": os.environ.get("DJANGO_SETTINGS_MODULE", "portal.settings.test")}
    server = subprocess.Popen(command, cwd=BASE_DIR, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn exited: {server.stderr.read().decode()[-500:]}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/api/v1/complaints/ping/", headers={"Host": "localhost"})
            if conn.getresponse().status == 200:
                return server
        except OSError:
            time.sleep(0.2)
    server.terminate()
    raise RuntimeError("gunicorn did not answer within 60 s")


def _stop(server: subprocess.Popen) -> None:
    server.terminate()
    try:
        server.wait(timeout=20)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


def _drive(
    port: int | list[int], seconds: float, request_for, expected: int, *, threads: int = CLIENT_THREADS
) -> tuple[list[int], int, list[str]]:
    """Requests per second of the run (one count per whole second), errors, their first lines.
    With several ports the client threads are spread over them evenly."""
    ports = port if isinstance(port, list) else [port]
    stop_at = time.monotonic() + seconds
    started = time.monotonic()
    buckets = [0] * (int(seconds) + 2)
    errors: list[str] = []
    lock = threading.Lock()
    counter = iter(range(10**9))

    def worker(port):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        while True:
            now = time.monotonic()
            if now >= stop_at:
                break
            with lock:
                n = next(counter)
            method, path, body, headers = request_for(n)
            try:
                conn.request(method, path, body=body, headers=headers)
                response = conn.getresponse()
                payload = response.read()
                status = response.status
            except (OSError, http.client.HTTPException) as exc:
                status, payload = 0, str(exc).encode()
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            done = time.monotonic()
            with lock:
                if status == expected:
                    second = int(done - started)
                    if second < len(buckets):
                        buckets[second] += 1
                else:
                    errors.append(f"{status} {payload[:200]!r}")
        conn.close()

    pool = [threading.Thread(target=worker, args=(ports[i % len(ports)],)) for i in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    whole = [count for count in buckets[1 : int(seconds)] if count]  # the first and last seconds are partial
    return whole, len(errors), errors[:5]


def _work_order(run: str, token: str):
    rng = random.Random(run)
    areas = ["road_transport", "highway", "urban_transit", "waterway"]
    regions = ["410105", "410122", "410303", "410102", "410311", "411002", "410702"]
    texts = ["出租车拒载并辱骂乘客", "治超站罚款不开票", "客运站强制收取行李费", "网约车绕路多收费"]

    def request(n: int):
        body = {
            "external_id": f"BENCH-{run}-{n}",
            "kind": "complaint",
            "area": areas[n % len(areas)],
            "subject": texts[n % len(texts)],
            "description": f"{texts[n % len(texts)]}，发生在第{n % 97}号路口附近，请尽快处理。",
            "region": regions[n % len(regions)],
            "complainant_name": "张三",
            "phone": f"139{rng.randrange(10**8):08d}",
            "plate": f"豫A{n % 100000:05d}",
        }
        headers = {"Host": "localhost", "Authorization": f"Token {token}", "Content-Type": "application/json"}
        return "POST", "/api/v1/complaints/intake/", json.dumps(body, ensure_ascii=False).encode(), headers

    return request


def _floor_order(run: str, token: str):
    """The same work orders, sent to the intake's floor."""
    order = _work_order(run, token)

    def request(n: int):
        _method, _path, body, headers = order(n)
        return "POST", "/bench/floor/intake/", body, headers

    return request


def _batch_order(run: str, token: str, path: str = "/api/v1/complaints/intake/batch/"):
    """Batches of ``BATCH`` work orders (the single intake's bodies), to the batch intake or
    to its floor."""
    order = _work_order(run, token)

    def request(n: int):
        bodies = [json.loads(order(n * BATCH + i)[2]) for i in range(BATCH)]
        body = json.dumps({"work_orders": bodies}, ensure_ascii=False).encode()
        headers = {"Host": "localhost", "Authorization": f"Token {token}", "Content-Type": "application/json"}
        return "POST", path, body, headers

    return request


def _ping(n: int):
    return "GET", "/api/v1/complaints/ping/", None, {"Host": "localhost"}


def intake_throughput(options: Options) -> list[Result]:
    token = _intake_token()
    run = timezone.now().strftime("%Y%m%d%H%M%S")
    port = _free_port()
    server = _start_gunicorn(port)
    try:
        _drive(port, 3, _work_order(f"{run}-warm", token), 201)  # warm the workers' caches
        _drive(port, 2, _ping, 200)
        intake, intake_errors, intake_samples = _drive(port, INTAKE_SECONDS, _work_order(run, token), 201)
        ping, ping_errors, ping_samples = _drive(port, PING_SECONDS, _ping, 200)
        floor, floor_errors, floor_samples = _drive(port, FLOOR_SECONDS, _floor_order(f"floor{run}", token), 201)
        _drive(port, 2, _batch_order(f"{run}-bwarm", token), 200, threads=BATCH_THREADS)
        batch, batch_errors, batch_samples = _drive(
            port, BATCH_SECONDS, _batch_order(f"{run}-B", token), 200, threads=BATCH_THREADS
        )
        batch_floor, batch_floor_errors, batch_floor_samples = _drive(
            port,
            BATCH_SECONDS,
            _batch_order(f"floorb{run}", token, "/bench/floor/batch/"),
            200,
            threads=BATCH_THREADS,
        )
    finally:
        _stop(server)
    created = Complaint.objects.filter(external_id__startswith="BENCH-")
    accepted = created.filter(external_id__regex=rf"^BENCH-{run}-[0-9]+$").count()  # not the warm-ups
    batch_accepted = created.filter(external_id__regex=rf"^BENCH-{run}-B-[0-9]+$").count()
    created.delete()
    result = _against_ping(
        "complaints.intake.throughput",
        f"12328 work orders POSTed behind gunicorn ({WORKERS}×{THREADS} gthread), {INTAKE_SECONDS} s",
        intake,
        ping,
        note=(
            f"{accepted} accepted in {INTAKE_SECONDS} s ({accepted / INTAKE_SECONDS:.0f}/s overall), "
            f"{intake_errors} errors; ping {sum(ping)} in {PING_SECONDS} s, {ping_errors} errors; "
            f"{CLIENT_THREADS} client threads, keep-alive"
        ),
    )
    if intake_errors or ping_errors:
        result.error = f"{intake_errors} intake and {ping_errors} ping errors: {(intake_samples + ping_samples)[:2]}"
    floor_result = _against_ping(
        "complaints.intake.floor",
        "the floor of any intake here: token check + a stored complaint copied with its audit event, "
        f"one statement, nothing computed (bench/intake_floor.py), {FLOOR_SECONDS} s",
        floor,
        ping,
        note=f"{sum(floor)} written in {FLOOR_SECONDS} s, {floor_errors} errors; the real intake's work comes on top",
    )
    if floor_errors:
        floor_result.error = f"{floor_errors} floor errors: {floor_samples[:2]}"
    batch_result = Result(
        name="complaints.intake.batch",
        measures=f"12328 sync: batches of {BATCH} work orders POSTed behind gunicorn, {BATCH_THREADS} senders, "
        f"{BATCH_SECONDS} s",
        samples_ms=[1000 / (count * BATCH) for count in batch],
        ops=1,
        ops_label="work orders",
        baseline=f"the same batches written as plain rows by one statement (bench/intake_floor.py), {BATCH_SECONDS} s",
        baseline_samples_ms=[1000 / (count * BATCH) for count in batch_floor],
        goal=BATCH_GOAL,
        note=f"{batch_accepted} work orders stored in {BATCH_SECONDS} s, {batch_errors} errors; "
        f"floor {sum(batch_floor) * BATCH} rows, {batch_floor_errors} errors",
    )
    if batch_errors or batch_floor_errors:
        batch_result.error = (
            f"{batch_errors} batch and {batch_floor_errors} floor errors: {(batch_samples + batch_floor_samples)[:2]}"
        )
    return [result, floor_result, batch_result]


TWO_SECONDS = 30


def intake_two_instances(options: Options) -> list[Result]:
    """Scale-out rehearsed (issue 21): the same intake against two gunicorn instances (each
    ``WORKERS``×``THREADS``) on one database and broker, the client threads spread over both,
    beside one instance in the same run, interleaved (one, two, one, two)."""
    token = _intake_token()
    run = timezone.now().strftime("%Y%m%d%H%M%S")
    one_port, other_port = _free_port(), _free_port()
    servers = [_start_gunicorn(one_port)]
    try:
        _drive(one_port, 3, _work_order(f"{run}-w1", token), 201)
        servers.append(_start_gunicorn(other_port))
        _drive(other_port, 3, _work_order(f"{run}-w2", token), 201)
        one, two, errors = [], [], 0
        for round_ in range(2):
            counts, bad, _samples = _drive(one_port, TWO_SECONDS / 2, _work_order(f"{run}-one{round_}", token), 201)
            one += counts
            errors += bad
            counts, bad, _samples = _drive(
                [one_port, other_port], TWO_SECONDS / 2, _work_order(f"{run}-two{round_}", token), 201
            )
            two += counts
            errors += bad
    finally:
        for server in servers:
            _stop(server)
    Complaint.objects.filter(external_id__startswith="BENCH-").delete()
    result = Result(
        name="complaints.intake.two_instances",
        measures=f"12328 intake against two gunicorn instances ({WORKERS}×{THREADS} each), {TWO_SECONDS} s",
        samples_ms=[1000 / count for count in two],
        ops=1,
        ops_label="work orders",
        baseline=f"the same intake against one instance ({TWO_SECONDS} s, interleaved)",
        baseline_samples_ms=[1000 / count for count in one],
        note=f"{errors} errors; {CLIENT_THREADS} client threads; ratio < 1: two instances take more",
    )
    if errors:
        result.error = f"{errors} errors"
    return [result]


def _against_ping(name: str, measures: str, per_second: list[int], ping: list[int], *, note: str) -> Result:
    """Requests per whole second against ping's, as ms per request (the table's throughput)."""
    return Result(
        name=name,
        measures=measures,
        samples_ms=[1000 / count for count in per_second],
        ops=1,
        ops_label="complaints",
        baseline=f"GET /api/v1/complaints/ping/ ({PING_SECONDS} s, same server)",
        baseline_samples_ms=[1000 / count for count in ping],
        goal=INTAKE_GOAL,
        note=note,
    )


# --- duplicate suggestions over 2,000,000 complaints -----------------------------------------------


def _duplicate_cases():
    """Recent seeded complaints, each asking for its likely duplicates as intake would."""
    recent = list(
        Complaint.objects.filter(received_at__gte=timezone.now() - dt.timedelta(days=20))
        .order_by("id")
        .values("id", "phone_hash", "plate", "region_id", "unit_id", "handling_unit_id", "bigrams", "received_at")[
            :: max(1, Complaint.objects.count() // 200_000)
        ][:200]
    )
    if not recent:
        raise RuntimeError("no recent complaints: seed_demo --scale large first")
    total = Complaint.objects.count()
    return {"cases": recent, "next": 0, "total": total}


def _suggest(state, *, text=True):
    case = state["cases"][state["next"] % len(state["cases"])]
    state["next"] += 1
    return duplicate_candidates(
        phone_hash=case["phone_hash"],
        plate=case["plate"],
        region=case["region_id"],
        unit_id=case["unit_id"],
        handling_unit_id=case["handling_unit_id"],
        bigrams=case["bigrams"] if text else [],
        exclude_pk=case["id"],
        before=case["received_at"],
    )


# --- the inbox at county and at province scale -----------------------------------------------------


def _inbox_setup(username: str, region: str, roles: list[str]):
    user = _user(username, region, roles)
    client = Client(HTTP_HOST="localhost")
    client.force_login(user)
    open_count = inbox_for(user).count()
    return {"client": client, "open": open_count}


def _inbox_page(state):
    response = state["client"].get("/complaints/", HTTP_HOST="localhost")
    assert response.status_code == 200, response.status_code


def _inbox_count_probe(options: Options) -> list[Result]:
    """The same page for a county and for the province at provincial scale: ≤ 10 queries each."""
    from django.test.utils import CaptureQueriesContext

    rows = []
    counts = {}
    for username, region, roles, label in (
        ("bench_county_jinshui", "410105", ["county_officer"], "county (金水区)"),
        ("bench_province_staff", "410000", ["province_staff"], "province"),
    ):
        state = _inbox_setup(username, region, roles)
        _inbox_page(state)
        with CaptureQueriesContext(connection) as captured:
            _inbox_page(state)
        counts[label] = len(captured.captured_queries)
        samples = []
        for _ in range(options.repeat_for(20)):
            started = time.perf_counter()
            _inbox_page(state)
            samples.append((time.perf_counter() - started) * 1000)
        rows.append(
            Result(
                name=f"complaints.inbox.{'county' if region != '410000' else 'province'}",
                measures=f"the inbox page, {label}: {state['open']:,} open complaints in scope",
                samples_ms=samples,
                queries=counts[label],
                goal=Goal(max_queries=10, source="issue 5, performance: ≤10 queries, the same at any scale"),
            )
        )
    # "The same at any scale" is per reader: complaints/tests/test_pages.py pins a county's count
    # with 2 and with 122 complaints; here the same readers face 2,000,000. The province reads
    # one statement less than a county (its scope needs no subtree lookup).
    rows[-1].note = f"queries per reader at 2,000,000 complaints: {counts}"
    return rows


BENCHMARKS = [
    Benchmark(
        name="complaints.duplicates.suggest",
        measures="likely duplicates of one complaint (phone, plate, similar text) among all stored",
        setup=_duplicate_cases,
        run=lambda state: _suggest(state),
        baseline=lambda state: _suggest(state, text=False),
        baseline_label="phone and plate only (no text ranking)",
        goal=Goal(p95_ms=50, source="issue 5, performance: duplicate suggestion p95 ≤ 50 ms at 2,000,000"),
        repeat=200,
        warmup=10,
    ),
    Probe("complaints.inbox", _inbox_count_probe),
    Probe("complaints.intake.throughput", intake_throughput),
    Probe("complaints.intake.two_instances", intake_two_instances),
]
