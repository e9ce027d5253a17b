"""The audit trail (issue 3 §5): verify_audit over 1,000,000 events; goal ≤ 60 s.

The bench database keeps its events between runs (the trail is append-only, so nothing can
delete them): the first run tops the chain up to 1,000,000 valid events with COPY, hashing
each like ``audit_record`` does; later runs reuse them. The baseline streams the same columns
in the same order through a raw server-side cursor without hashing, so the ratio shows what
the hash check costs on top of reading the table.
"""

from __future__ import annotations

import datetime as dt
import time

from django.db import connection, transaction
from django.utils import timezone

from bench.harness import Goal, Options, Probe, Result
from portal.audit.chain import GENESIS, event_hash
from portal.audit.models import AuditEvent
from portal.audit.verify import COLUMNS, verify_chain
from portal.core.seeding import copy_rows

TARGET = 1_000_000
ACTIONS = ["problem.register", "problem.assign", "problem.progress", "complaint.accept", "auth.login"]


def top_up(target: int = TARGET) -> int:
    """Append valid chained events until the trail holds ``target``; returns how many added."""
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [0x41554449])
        last = AuditEvent.objects.order_by("-seq").values_list("seq", "hash").first()
        seq, prev_hash = last if last else (0, GENESIS)
        missing = target - seq
        if missing <= 0:
            return 0
        start = timezone.now() - dt.timedelta(days=365)

        def rows():
            nonlocal seq, prev_hash
            for i in range(missing):
                seq += 1
                row = {
                    "seq": seq,
                    "occurred_at": start + dt.timedelta(seconds=i * 30),
                    "actor_id": None,
                    "actor_username": f"bench{i % 500}",
                    "actor_roles": "county_officer",
                    "actor_region": "410105",
                    "action": ACTIONS[i % len(ACTIONS)],
                    "object_type": "cases.problem",
                    "object_id": str(i),
                    "changes": {"status": ["registered", "assigned"], "n": i},
                    "request_id": f"{i:032x}",
                    "ip": "10.0.0.1",
                    "outcome": "success",
                    "prev_hash": prev_hash,
                }
                row["hash"] = prev_hash = event_hash(row)
                yield [row[c] for c in COLUMNS[1:]]

        return copy_rows(AuditEvent, COLUMNS[1:], rows())


def raw_read() -> int:
    count = 0
    with transaction.atomic():
        connection.ensure_connection()
        with connection.connection.cursor(name="bench_audit_raw") as cursor:
            cursor.itersize = 20000
            cursor.execute(f"SELECT {', '.join(COLUMNS)} FROM audit_auditevent ORDER BY seq")
            for _row in cursor:
                count += 1
    return count


def verify_million(options: Options) -> list[Result]:
    started = time.perf_counter()
    added = top_up()
    fill_ms = (time.perf_counter() - started) * 1000
    repeat = options.repeat_for(2)
    samples, baseline = [], []
    checked = 0
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = verify_chain()
        samples.append((time.perf_counter() - t0) * 1000)
        checked = result.checked
        if not result.ok:
            raise AssertionError(result.message)
        t0 = time.perf_counter()
        raw_read()
        baseline.append((time.perf_counter() - t0) * 1000)
    results = [
        Result(
            name="audit.verify.1m",
            measures=f"manage.py verify_audit over {checked:,} events",
            samples_ms=samples,
            ops=checked,
            ops_label="events",
            baseline="the same rows streamed by a raw cursor, no hashing",
            baseline_samples_ms=baseline,
            goal=Goal(p50_ms=60_000, source="issue 3, figures"),
        )
    ]
    if added:
        results.append(
            Result(
                name="audit.fill",
                measures=f"appending {added:,} chained events by COPY",
                samples_ms=[fill_ms],
                ops=added,
                ops_label="events",
            )
        )
    return results


BENCHMARKS = [Probe("audit.verify.1m", verify_million)]
