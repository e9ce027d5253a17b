"""Alerts (issue 6, performance): the sweep over 1,000,000 open rectification items of which
100,000 are due for some step, and delivery into the inbox and an SMTP server with a real
Celery worker.

The bench database is shared (bench_cases keeps its 200,000 seeded problems), so nothing here
stays behind: the sweep's million problems are written by ``INSERT ... SELECT
generate_series`` into the real problem table inside one transaction that is rolled back at
the end (topping the seed's open problems up to exactly 1,000,000 open, 100,000 of them due
on the bench day); the delivery run's problems, people and alerts are committed (the worker
must see them) and deleted afterwards.

- ``alerts.sweep.1m``: one sweep (``alerts_sweep``) on the bench day, from an empty ledger
  (TRUNCATE between repetitions, inside the same transaction). Baseline: one SELECT of the
  same set (the owed problems with their step, fetched), interleaved in the same run, 7 times
  each after a checkpoint that ends the fill's flushing. Goals: ≤ 10 s and ≤ 3× the baseline.
- ``alerts.sweep.again``: a second sweep right after the first: it must insert and enqueue
  nothing.
- ``alerts.sweep.floor``: the same owed rows, keyed, inserted into a table with the ledger's
  columns and no index at all, against the same baseline: what writing 100,000 durable rows
  costs on this machine before any at-most-once guard; ``alerts.sweep.floor.key`` the same
  with the ledger's one guard, its bigint primary key (no anti-join, no ordering).
- ``alerts.deliver``: 10,000 owed alerts fanned out and delivered to the inbox and over SMTP by
  a real worker (``celery worker -P threads -c 8``; ``BENCH_ALERTS_POOL`` and
  ``BENCH_ALERTS_CONCURRENCY`` change it); alerts per second from the fan-out's enqueue to the
  last delivery, every message counted at the SMTP server; the worker's memory (VmRSS of it
  and of any pool processes) sampled throughout (``alerts.worker.rss``, in MB).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import re
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from pathlib import Path

from django.conf import settings
from django.db import connection, transaction

from bench.harness import Goal, Options, Probe, Result

BENCH_DAY = dt.date(2026, 6, 15)  # a Monday with the calendar entered around it
OPEN_TARGET = 1_000_000
DUE_TARGET = 100_000
DELIVER_ALERTS = 10_000
BENCH_USERS = 2_000
WORKER_POOL = os.environ.get("BENCH_ALERTS_POOL", "threads")
WORKER_CONCURRENCY = int(os.environ.get("BENCH_ALERTS_CONCURRENCY", "8"))
PARTS = os.environ.get("BENCH_ALERTS_PARTS", "sweep,deliver").split(",")
RSS_LIMIT_MB = 300


# --- data ---------------------------------------------------------------------------------------


def _first_threshold() -> dt.date:
    """The latest deadline that owes any rectification step on the bench day."""
    from cases.alerts import ProblemDeadlineSource
    from portal.notifications.sources import thresholds_for

    return max(thresholds_for([ProblemDeadlineSource()], BENCH_DAY).of("problem").values())


def _owing_states() -> list[str]:
    from portal.notifications import conf

    return list(conf.get("RECTIFICATION_STATES"))


def _counts(cursor, limit: dt.date) -> tuple[int, int]:
    states = _owing_states()
    cursor.execute(
        f"SELECT count(*), count(*) FILTER (WHERE deadline <= %s) FROM cases_problem "
        f"WHERE status IN ({', '.join(['%s'] * len(states))}) AND deadline IS NOT NULL",
        [limit, *states],
    )
    return cursor.fetchone()


def _insert_problems(cursor, *, prefix: str, count: int, deadline_sql: str, params: list, users=None) -> None:
    """``count`` open problems by INSERT ... SELECT generate_series over up to 200 county units;
    ``deadline_sql`` is an expression of the row number ``g`` taking ``params``."""
    from cases.models import Category
    from portal.regions.models import EnforcementDomain, Region, Unit

    counties = Unit.objects.filter(region__level="county").order_by("pk")
    if counties.count() < 50:  # a database without the large seed
        Unit.objects.bulk_create(
            Unit(name=f"{code} 综合执法大队（基准）", kind="agency", region_id=code)
            for code in Region.objects.filter(level="county").values_list("code", flat=True)[:200]
        )
    units = list(counties.values_list("pk", "region_id")[:200])
    category = Category.objects.filter(parent__isnull=False).order_by("pk").values_list("pk", flat=True)[0]
    domain = EnforcementDomain.objects.order_by("pk").values_list("pk", flat=True)[0]
    cursor.execute("DROP TABLE IF EXISTS bench_units")
    cursor.execute("CREATE TEMP TABLE bench_units (n int, unit_id bigint, region_id varchar)")
    cursor.executemany("INSERT INTO bench_units VALUES (%s, %s, %s)", [(i, u, r) for i, (u, r) in enumerate(units)])
    handler = "(%s::bigint[])[1 + (g %% %s)]" if users else "NULL::bigint"
    cursor.execute(
        f"""
        INSERT INTO cases_problem
            (code, title, description, category_id, source, severity, region_id, unit_id, domain_id,
             is_key, first_responsible, deputy_in_charge, handling_department, handler_user_id,
             status, deadline, deadline_version, deadline_provisional, version, found_on,
             created_at, updated_at)
        SELECT %s || lpad(g::text, 8, '0'), '基准测试问题 ' || g, '', %s, 'inspection',
               'general', u.region_id, u.unit_id, %s, false, '', '', '', {handler},
               'rectifying', {deadline_sql}, 1, false, 1, %s::date - 30, now(), now()
          FROM generate_series(0, %s - 1) AS g
          JOIN bench_units u ON u.n = g %% %s
        """,
        [prefix, category, domain, *([users, len(users)] if users else []), *params, BENCH_DAY, count, len(units)],
    )


def fill_sweep_data() -> dict:
    """Top the open problems up to the bench shape (in the caller's transaction)."""
    limit = _first_threshold()
    started = time.perf_counter()
    with connection.cursor() as cursor:
        open_now, due_now = _counts(cursor, limit)
        add_due = max(DUE_TARGET - due_now, 0)
        add_later = max(OPEN_TARGET - open_now - add_due, 0)
        # Due: deadlines over the 60 days up to the first threshold (every step); not yet due:
        # over the 200 days after it.
        if add_due:
            _insert_problems(cursor, prefix="BA-D", count=add_due, deadline_sql="%s::date - (g %% 60)", params=[limit])
        if add_later:
            _insert_problems(
                cursor, prefix="BA-L", count=add_later, deadline_sql="%s::date + 1 + (g %% 200)", params=[limit]
            )
        cursor.execute("ANALYZE cases_problem")
        open_now, due_now = _counts(cursor, limit)
    return {"open": open_now, "due": due_now, "added": add_due + add_later, "seconds": time.perf_counter() - started}


# --- the sweep ----------------------------------------------------------------------------------


def baseline_select() -> int:
    """One SELECT of the same set the sweep inserts: every owed problem with its step, fetched."""
    from cases.alerts import ProblemDeadlineSource
    from cases.models import Problem
    from portal.notifications import conf
    from portal.notifications.sources import thresholds_for

    thresholds = thresholds_for([ProblemDeadlineSource()], BENCH_DAY).of("problem")
    steps = conf.steps("RECTIFICATION_STEPS")
    cases = " ".join("WHEN p.deadline <= %s THEN %s" for _ in steps)
    open_states, owing = [str(s) for s in Problem.OPEN_STATES], _owing_states()
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            SELECT p.id, p.deadline_version, CASE {cases} END AS step
              FROM cases_problem p
             WHERE p.status IN ({", ".join(["%s"] * len(open_states))})
               AND p.status IN ({", ".join(["%s"] * len(owing))}) AND p.deadline <= %s
            """,
            [*(v for s in steps for v in (thresholds[s.step], s.step)), *open_states, *owing, max(thresholds.values())],
        )
        return len(cursor.fetchall())


def floor_insert(*, keyed: bool = False) -> int:
    """The same owed rows, keyed as the sweep keys them, INSERTed into a table with the ledger's
    columns: no anti-join, no ordering. Without ``keyed`` the table has no index: the least any
    sweep that writes one durable row per alert costs here; with it, its one index is the
    primary key, as in the ledger. The tables live in the bench's transaction (rolled back)."""
    from cases.alerts import ProblemDeadlineSource
    from portal.notifications.models import PACKED_KEY_SQL
    from portal.notifications.sources import thresholds_for
    from portal.notifications.sweep import _step_codes

    source = ProblemDeadlineSource()
    sql, params = source.owed_sql(
        today=BENCH_DAY,
        thresholds=thresholds_for([source], BENCH_DAY).of(source.name),
        codes=_step_codes([source])[source.name],
    )
    table = "bench_alert_floor_key" if keyed else "bench_alert_floor"
    key = PACKED_KEY_SQL.format(subject="o.subject_id", step="o.step_id", version="o.version")
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT to_regclass('{table}') IS NULL")
        if cursor.fetchone()[0]:
            cursor.execute(f"CREATE TABLE {table} (LIKE notifications_alert)")
            if keyed:
                cursor.execute(f"ALTER TABLE {table} ADD PRIMARY KEY (id)")
        cursor.execute(f"TRUNCATE {table}")
        cursor.execute(
            f"""
            INSERT INTO {table} (id, subject_id, step_id, version, due_on, fire_on, run_id)
            SELECT {key}, o.subject_id, o.step_id, o.version, o.due_on, %s, 0
              FROM ({sql}) o
            """,  # the source's own fragment; values are parameters
            [BENCH_DAY, *params],
        )
        return cursor.rowcount


def _empty_ledger() -> None:
    """An empty ledger for the next repetition (inside the bench's transaction: undone at the end)."""
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE notifications_alert, notifications_run CASCADE")


def sweep_once(second: bool = False) -> tuple[float, int, float | None, int | None]:
    """(ms, alerts) of one sweep from an empty ledger, and of a second one right after."""
    from portal.notifications.sweep import alerts_sweep

    _empty_ledger()
    again_ms = again = None
    started = time.perf_counter()
    run = alerts_sweep(today=BENCH_DAY, enqueue=False)
    took = (time.perf_counter() - started) * 1000
    if second:
        started = time.perf_counter()
        again_run = alerts_sweep(today=BENCH_DAY, enqueue=False)
        again_ms, again = (time.perf_counter() - started) * 1000, again_run.alerts
    return took, run.alerts, again_ms, again


def _settle() -> None:
    """A checkpoint after the fill: its half a gigabyte of WAL would otherwise keep the
    checkpointer flushing through the measurements, slowing the writes (the sweep) and not the
    read (the baseline). Needs a superuser, as the embedded server's; elsewhere it is skipped."""
    from django.db import DatabaseError

    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("CHECKPOINT")
    except DatabaseError as exc:
        print(f"bench: alerts: no CHECKPOINT after the fill ({exc}); the first measurements may be slower")


def sweep_results(options: Options) -> list[Result]:
    """All of it in one transaction, rolled back: the shared bench database keeps its shape."""
    with transaction.atomic():
        data = fill_sweep_data()
        _settle()
        results = _sweep_results(options, data)
        transaction.set_rollback(True)
    if data["added"]:
        results.insert(
            0,
            Result(
                name="alerts.fill",
                measures=f"adding {data['added']:,} open problems, INSERT ... SELECT generate_series (rolled back)",
                samples_ms=[data["seconds"] * 1000],
                ops=data["added"],
                ops_label="problems",
            ),
        )
    return results


def _sweep_results(options: Options, data: dict) -> list[Result]:
    repeat = options.repeat_for(7)  # a shared 2-core machine: the median of 7 steadies the ratio
    sweep_once()  # warm the caches the baseline will also enjoy
    baseline_select()
    floor_insert()
    floor_insert(keyed=True)
    samples, baseline, again_samples, agains, owed, selected = [], [], [], [], 0, 0
    floor, floor_keyed, floored = [], [], 0
    for i in range(repeat):
        for mine in (True, False) if i % 2 == 0 else (False, True):
            if mine:
                took, owed, again_ms, again = sweep_once(second=True)
                samples.append(took)
                again_samples.append(again_ms)
                agains.append(again)
            else:
                started = time.perf_counter()
                selected = baseline_select()
                baseline.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        floored = floor_insert()
        floor.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        floor_insert(keyed=True)
        floor_keyed.append((time.perf_counter() - started) * 1000)
    sweep = Result(
        name="alerts.sweep.1m",
        measures=f"one sweep: {data['open']:,} open problems, {owed:,} alerts owed (INSERT ... SELECT)",
        samples_ms=samples,
        ops=owed,
        ops_label="alerts",
        baseline=f"one SELECT of the same {selected:,} rows",
        baseline_samples_ms=baseline,
        goal=Goal(p50_ms=10_000, max_ratio=3, source="issue 6, performance"),
    )
    again = Result(
        name="alerts.sweep.again",
        measures="a second sweep right after the first",
        samples_ms=[v for v in again_samples if v is not None],
        baseline="the first sweep",
        baseline_samples_ms=samples,
        note=f"alerts inserted (and enqueued) by the second sweeps: {agains}",
        error=None if set(agains) == {0} else f"a second sweep owed {agains}",
    )
    floors = [
        (
            "alerts.sweep.floor",
            "INSERTed into a table with no index (no guard, no anti-join)",
            floor,
            "the least a sweep writing one durable row per alert costs here; the real one adds the unique key",
        ),
        (
            "alerts.sweep.floor.key",
            "into a table whose one index is the bigint key (no anti-join)",
            floor_keyed,
            "the ledger's own guard without the anti-join and the ordering",
        ),
    ]
    return [sweep, again] + [
        Result(
            name=name,
            measures=f"the same {floored:,} rows {how}",
            samples_ms=timings,
            ops=floored,
            ops_label="rows",
            baseline=f"one SELECT of the same {selected:,} rows",
            baseline_samples_ms=baseline,
            note=note,
        )
        for name, how, timings, note in floors
    ]


# --- delivery with a real worker ---------------------------------------------------------------


class SmtpCounter:
    """A lean SMTP server on localhost for the throughput run (aiosmtpd, which the tests use,
    spends a millisecond of CPU a message on its generality, on the same cores the worker
    needs): EHLO with PIPELINING, MAIL, RCPT, DATA, RSET, NOOP, QUIT; every message taken is
    counted by its ``X-Portal-Alert`` header."""

    ALERT = re.compile(rb"^X-Portal-Alert: (.*?)\r$", re.M)

    def __init__(self):
        self.messages: list[bytes] = []
        self.loop = asyncio.new_event_loop()
        self.server = self.loop.run_until_complete(self.loop.create_server(self._protocol, "127.0.0.1", 0))
        self.port = self.server.sockets[0].getsockname()[1]
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def _protocol(self):
        sink = self

        class Session(asyncio.Protocol):
            def connection_made(self, transport):
                self.transport, self.buffer, self.in_data = transport, b"", False
                transport.write(b"220 bench ESMTP\r\n")

            def data_received(self, chunk):
                self.buffer += chunk
                replies = []
                while True:
                    if self.in_data:
                        end = self.buffer.find(b"\r\n.\r\n")
                        if end < 0:
                            break
                        message, self.buffer = self.buffer[: end + 2], self.buffer[end + 5 :]
                        found = sink.ALERT.search(message)
                        sink.messages.append(found.group(1) if found else b"")
                        self.in_data = False
                        replies.append(b"250 queued")
                        continue
                    line, sep, rest = self.buffer.partition(b"\r\n")
                    if not sep:
                        break
                    self.buffer = rest
                    verb = line[:4].upper()
                    if verb == b"EHLO":
                        replies.append(b"250-bench\r\n250-PIPELINING\r\n250-8BITMIME\r\n250 HELP")
                    elif verb == b"DATA":
                        self.in_data = True
                        self.buffer = b"\r\n" + self.buffer  # the terminator's CRLF may come first
                        replies.append(b"354 go ahead")
                    elif verb == b"QUIT":
                        replies.append(b"221 bye")
                        self.transport.write(b"\r\n".join(replies) + b"\r\n")
                        self.transport.close()
                        return
                    else:  # HELO, MAIL, RCPT, RSET, NOOP
                        replies.append(b"250 OK")
                if replies:
                    self.transport.write(b"\r\n".join(replies) + b"\r\n")

        return Session()

    def stop(self):
        self.loop.call_soon_threadsafe(self.server.close)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)

    def by_alert(self) -> Counter:
        return Counter(key.decode() for key in list(self.messages))


def _descendants(pid: int) -> list[int]:
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        try:
            for task in os.listdir(f"/proc/{current}/task"):
                todo += [int(c) for c in Path(f"/proc/{current}/task/{task}/children").read_text().split()]
        except (FileNotFoundError, ProcessLookupError):
            continue
    return found


def _rss_mb(pid: int) -> float:
    total = 0
    for member in _descendants(pid):
        try:
            for line in Path(f"/proc/{member}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except (FileNotFoundError, ProcessLookupError):
            pass
    return total / 1024


class RssSampler(threading.Thread):
    """The worker's VmRSS, its pool processes included, every 0.2 s."""

    def __init__(self, pid: int):
        super().__init__(daemon=True)
        self.pid, self.peak, self.samples, self.running = pid, 0.0, 0, True

    def run(self):
        while self.running:
            self.peak = max(self.peak, _rss_mb(self.pid))
            self.samples += 1
            time.sleep(0.2)


def _clean_up_delivery() -> None:
    """Remove everything the delivery run committed (also what a crashed run left)."""
    people = "SELECT id FROM accounts_user WHERE username LIKE 'bench\\_alerts\\_%'"
    runs = "SELECT id FROM notifications_run WHERE detail ? 'bench'"
    alerts = f"SELECT id FROM notifications_alert WHERE run_id IN ({runs})"
    with transaction.atomic(), connection.cursor() as cursor:
        for statement in (
            f"DELETE FROM notifications_inboxmessage WHERE user_id IN ({people})",
            f"DELETE FROM notifications_delivery WHERE alert_id IN ({alerts})",
            f"DELETE FROM notifications_delivery WHERE is_digest AND recipient_id IN ({people})",
            f"DELETE FROM notifications_alert WHERE id IN ({alerts})",
            "DELETE FROM notifications_run WHERE detail ? 'bench'",
            "DELETE FROM cases_problem WHERE code LIKE 'BA-S%'",
            f"DELETE FROM notifications_notificationpreference WHERE user_id IN ({people})",
            f"DELETE FROM accounts_user WHERE id IN ({people})",
        ):
            cursor.execute(statement)


def _prepare_delivery() -> tuple:
    """Committed: people with an email address, problems due for them, and their alerts as a
    sweep writes them (one sweep run)."""
    from portal.accounts.models import Role, User
    from portal.notifications.models import PACKED_KEY_SQL, AlertStep, Run
    from portal.notifications.sweep import _BLOCKS

    with transaction.atomic(), connection.cursor() as cursor:
        User.objects.bulk_create(
            User(
                username=f"bench_alerts_{i:05d}",
                email=f"bench_alerts_{i:05d}@example.gov.cn",
                region_id="410105",
                roles=[Role.COUNTY_OFFICER],
            )
            for i in range(BENCH_USERS)
        )
        users = list(User.objects.filter(username__startswith="bench_alerts_").values_list("pk", flat=True))
        _insert_problems(
            cursor, prefix="BA-S", count=DELIVER_ALERTS, deadline_sql="%s::date", params=[BENCH_DAY], users=users
        )
        run = Run.objects.create(kind=Run.Kind.SWEEP, today=BENCH_DAY, detail={"bench": "deliver"})
        step, _created = AlertStep.objects.get_or_create(source="problem", kind="due", name="due")
        cursor.execute(_BLOCKS)
        before = cursor.fetchone()[0]
        cursor.execute(
            f"""
            INSERT INTO notifications_alert (id, subject_id, step_id, version, due_on, fire_on, run_id)
            SELECT {PACKED_KEY_SQL.format(subject="id", step="%s", version="deadline_version")},
                   id, %s, deadline_version, deadline, %s, %s
              FROM cases_problem WHERE code LIKE 'BA-S%%' ORDER BY 1
            """,
            [step.pk, step.pk, BENCH_DAY, run.pk],
        )
        alerts = cursor.rowcount
        cursor.execute(_BLOCKS)
        Run.objects.filter(pk=run.pk).update(
            alerts=alerts, first_block=max(before - 1, 0), last_block=cursor.fetchone()[0] - 1
        )
    return run, alerts


def deliver_results(options: Options) -> list[Result]:
    from portal.notifications.models import Delivery, Run
    from portal.notifications.tasks import fan_out

    _clean_up_delivery()
    run, alerts = _prepare_delivery()
    sink = SmtpCounter()
    queue = f"bench-alerts-{uuid.uuid4().hex[:8]}"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "portal.notifications.tests.worker_settings",
        "ALERTS_WORKER_BROKER_URL": settings.CELERY_BROKER_URL,
        "ALERTS_WORKER_QUEUE": queue,
        "ALERTS_WORKER_LEASE": "900",
        "ALERTS_WORKER_REDISPATCH_AFTER": "600",
        "ALERTS_WORKER_BATCH": "100",
        "ALERTS_WORKER_INBOX_BATCH": "500",
        "EMAIL_URL": f"smtp://127.0.0.1:{sink.port}",
        "SMS_GATEWAY_URL": "",
    }
    log_path = Path(settings.VAR_DIR) / "bench" / "alerts-worker.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", "celery", "-A", "portal.celery", "worker", "-P", WORKER_POOL]
    command += ["--concurrency", str(WORKER_CONCURRENCY), "-Q", queue, "--loglevel", "WARNING"]
    command += ["--without-gossip", "--without-mingle", "--without-heartbeat"]
    with open(log_path, "wb") as log:
        worker = subprocess.Popen(
            command, cwd=settings.BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    sampler = RssSampler(worker.pid)
    sampler.start()
    open_rows = None
    try:
        ready_by = time.monotonic() + 120
        # Ready: its start-up redispatch has run.
        while not Run.objects.filter(kind=Run.Kind.REDISPATCH, started_at__gte=run.started_at).exists():
            if worker.poll() is not None or time.monotonic() > ready_by:
                raise RuntimeError(f"the worker did not start; see {log_path}")
            time.sleep(0.2)
        started = time.perf_counter()
        fan_out.apply_async(args=[run.pk], queue=queue)
        deadline = time.monotonic() + 900
        while time.monotonic() < deadline:
            time.sleep(0.2)
            if Run.objects.filter(pk=run.pk, fanned_at__isnull=False).exists():
                open_rows = Delivery.objects.filter(alert__run=run, status__in=["pending", "sending"]).count()
                if open_rows == 0:
                    break
        took = time.perf_counter() - started
    finally:
        sampler.running = False
        worker.terminate()
        try:
            worker.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, 9)
        sink.stop()
    emails = sink.by_alert()
    statuses = sorted(set(Delivery.objects.filter(alert__run=run).values_list("status", flat=True)))
    inbox = Delivery.objects.filter(alert__run=run, channel="inbox", status="sent").count()
    doubled = sum(n - 1 for n in emails.values() if n > 1)
    note = (
        f"{alerts:,} alerts → {inbox:,} inbox messages and {len(sink.messages):,} emails at the SMTP server "
        f"({len(emails):,} distinct, {doubled} doubled); worker -P {WORKER_POOL} --concurrency "
        f"{WORKER_CONCURRENCY}: peak VmRSS {sampler.peak:.0f} MB over {sampler.samples} samples; statuses {statuses}"
    )
    error = None
    if open_rows != 0 or inbox != alerts or len(emails) != alerts or doubled:
        error = f"not every alert was delivered exactly once ({note})"
    _clean_up_delivery()
    return [
        Result(
            name="alerts.deliver",
            measures=f"fan-out and delivery of {alerts:,} alerts to the inbox and over SMTP, real worker",
            samples_ms=[took * 1000],
            ops=alerts,
            ops_label="alerts",
            goal=Goal(min_per_s=500, source="issue 6, performance"),
            note=note,
            error=error,
        ),
        Result(
            name="alerts.worker.rss",
            measures=f"peak VmRSS of the worker (-P {WORKER_POOL} -c {WORKER_CONCURRENCY}) and any pool, MB (not ms)",
            samples_ms=[sampler.peak],
            goal=Goal(p50_ms=RSS_LIMIT_MB, source="issue 6, performance: worker memory ≤ 300 MB"),
        ),
    ]


def measure(options: Options) -> list[Result]:
    results = []
    if "sweep" in PARTS:
        results += sweep_results(options)
    if "deliver" in PARTS:
        results += deliver_results(options)
    return results


BENCHMARKS = [Probe("alerts", measure)]
