"""The foundation (issue 2): region subtree and ancestors, working-day arithmetic, seeding.

Goals from issue 2 §6: a subtree and the ancestors are one SQL query each. The issue sets no
time for them; the ratio to the same SQL through a raw cursor shows what the ORM adds.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import random
import re
import subprocess
import sys
import time
from urllib.parse import urlsplit, urlunsplit

from django.core.management import call_command
from django.db import connection, transaction

from bench.harness import Benchmark, Goal, Options, Probe, Result, queryset_benchmark
from portal.core.seeding import copy_rows
from portal.regions.models import Region, Unit
from portal.workdays.calendar import add_working_days, bump_version, snapshot

BASE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ONE_QUERY = Goal(queries=1, source="issue 2 §6")

PROVINCE, CITY, COUNTY = "410000", "410100", "410105"  # 河南省, 郑州市, 金水区


# --- regions -----------------------------------------------------------------------------------


def region(code: str) -> Region:
    return Region.objects.get(code=code)


REGIONS = [
    queryset_benchmark(
        "regions.subtree.province",
        "Region.objects.subtree_of(河南省): 199 rows",
        lambda: Region.objects.subtree_of(region(PROVINCE)),
        goal=ONE_QUERY,
    ),
    queryset_benchmark(
        "regions.subtree.city",
        "Region.objects.subtree_of(郑州市)",
        lambda: Region.objects.subtree_of(region(CITY)),
        goal=ONE_QUERY,
    ),
    queryset_benchmark(
        "regions.subtree.county",
        "Region.objects.subtree_of(金水区)",
        lambda: Region.objects.subtree_of(region(COUNTY)),
        goal=ONE_QUERY,
    ),
    queryset_benchmark(
        "regions.ancestors.county",
        "金水区.ancestors(): 省 and 市",
        lambda: region(COUNTY).ancestors(),
        goal=ONE_QUERY,
    ),
    queryset_benchmark(
        "regions.ancestors.city",
        "郑州市.ancestors(include_self=True)",
        lambda: region(CITY).ancestors(include_self=True),
        goal=ONE_QUERY,
    ),
    queryset_benchmark(
        "units.in_subtree.city",
        "units whose region is in 郑州市's subtree (scoping join)",
        lambda: Unit.objects.filter(region__path__startswith=region(CITY).path),
    ),
]


# --- working days --------------------------------------------------------------------------------

PAIRS = 10_000


def working_day_pairs() -> list[tuple[dt.date, int]]:
    """10,000 deadlines: a start in 2020-01..2026-06 and 1-60 working days (entered years only)."""
    rng = random.Random(2024)
    first, span = dt.date(2020, 1, 1), (dt.date(2026, 6, 30) - dt.date(2020, 1, 1)).days
    return [(first + dt.timedelta(days=rng.randrange(span)), rng.randint(1, 60)) for _ in range(PAIRS)]


def weekend_only(start: dt.date, n: int) -> dt.date:
    """The baseline: the same walk knowing only Saturdays and Sundays."""
    day, one = start, dt.timedelta(days=1)
    while n:
        day += one
        if day.weekday() < 5:
            n -= 1
    return day


def snapshot_walk(start: dt.date, n: int, is_working_day) -> dt.date:
    """add_working_days' walk on a snapshot taken once: no version check per call."""
    day, one = start, dt.timedelta(days=1)
    while n:
        day += one
        if is_working_day(day):
            n -= 1
    return day


def raw_calendar_fetch():
    """What a snapshot reload must read, fetched with a raw cursor."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT date, kind FROM workdays_dayarrangement")
        days = cursor.fetchall()
        cursor.execute("SELECT year FROM workdays_calendaryear")
        return days, cursor.fetchall()


WORKDAYS = [
    Benchmark(
        name="workdays.add_working_days",
        measures="add_working_days for 10,000 (start, 1-60) pairs, warm snapshot",
        setup=working_day_pairs,
        run=lambda pairs: [add_working_days(start, n) for start, n in pairs],
        baseline=lambda pairs: [weekend_only(start, n) for start, n in pairs],
        baseline_label="pure-Python weekend-only",
        ops=PAIRS,
        ops_label="calls",
        warmup=1,
        repeat=7,
    ),
    Benchmark(
        name="workdays.walk_on_snapshot",
        measures="the same 10,000 walks on one snapshot, no version check",
        setup=lambda: (working_day_pairs(), snapshot().is_working_day),
        run=lambda state: [snapshot_walk(start, n, state[1]) for start, n in state[0]],
        baseline=lambda state: [weekend_only(start, n) for start, n in state[0]],
        baseline_label="pure-Python weekend-only",
        ops=PAIRS,
        ops_label="calls",
        warmup=1,
        repeat=7,
    ),
    Benchmark(
        name="workdays.after_version_bump",
        measures="first add_working_days after bump_version (snapshot reload)",
        before_each=bump_version,
        run=lambda: add_working_days(dt.date(2024, 9, 27), 5),
        baseline=raw_calendar_fetch,
        baseline_label="raw SQL: both calendar tables",
    ),
]


# --- seeding ---------------------------------------------------------------------------------------

COPY_ROWS = 50_000


def unit_rows() -> list[tuple[str, str, str, str, bool]]:
    counties = list(Region.objects.filter(level=Region.Level.COUNTY).values_list("code", flat=True))
    return [(f"基准单位{i:06d}", Unit.Kind.STATION, counties[i % len(counties)], "", True) for i in range(COPY_ROWS)]


def copy_units(rows) -> None:
    with transaction.atomic():
        copy_rows(Unit, ["name", "kind", "region", "credit_code", "active"], iter(rows))
        transaction.set_rollback(True)


def bulk_create_units(rows) -> None:
    with transaction.atomic():
        Unit.objects.bulk_create(
            [Unit(name=n, kind=k, region_id=r, credit_code=c, active=a) for n, k, r, c, a in rows], batch_size=1000
        )
        transaction.set_rollback(True)


# Times call_command itself in the child process: seed_demo's own line rounds to 0.1 s.
SEED_IN_CHILD = """
import sys, time
sys.path.insert(0, {base!r})
import django
django.setup()
from django.core.management import call_command
started = time.perf_counter()
call_command("seed_demo", scale="large")
print(f"bench-seed-ms={{(time.perf_counter() - started) * 1000:.3f}}")
"""
SEED_MS = re.compile(r"bench-seed-ms=(?P<ms>[0-9.]+)")


def seed_in_process() -> tuple[float, str]:
    out = io.StringIO()
    started = time.perf_counter()
    call_command("seed_demo", scale="large", stdout=out)
    return (time.perf_counter() - started) * 1000, out.getvalue().strip()


def seed_demo_large(options: Options) -> list[Result]:
    """seed_demo --scale large on the bench database: the first seed when it holds no units yet,
    then the idempotent re-run; with --reseed also both on a freshly migrated database."""
    results = []
    if options.reseed:
        results += seed_on_fresh_database()
    units_before = Unit.objects.count()
    if units_before == 0:
        ms, line = seed_in_process()
        results.append(
            Result(name="seed.large.first", measures="seed_demo --scale large, first seed", samples_ms=[ms], note=line)
        )
    else:
        seed_in_process()  # warm-up: the seeders' imports
    reruns = [seed_in_process() for _ in range(options.repeat_for(5))]
    results.append(
        Result(
            name="seed.large.rerun",
            measures=f"seed_demo --scale large, idempotent re-run ({Unit.objects.count():,} units there)",
            samples_ms=[ms for ms, _ in reruns],
            note="the first seed was not timed here (the launcher seeded); --reseed times it" if units_before else "",
        )
    )
    return results


def database_url(name: str) -> str:
    parts = urlsplit(os.environ["DATABASE_URL"])
    path = parts.path.rsplit("/", 1)[0] + "/" + name
    return urlunsplit(parts._replace(path=path))


def seed_on_fresh_database() -> list[Result]:
    """Create a scratch database, migrate it (untimed), time seed_demo twice in a subprocess."""
    name = connection.settings_dict["NAME"] + "_fresh"
    quoted = connection.ops.quote_name(name)
    env = {**os.environ, "DATABASE_URL": database_url(name)}

    def timed(*command) -> tuple[float, float, str]:
        """(ms measured in the child, wall ms including start-up, the child's stdout)"""
        started = time.perf_counter()
        done = subprocess.run([sys.executable, *command], env=env, cwd=BASE_DIR, capture_output=True, text=True)
        wall = (time.perf_counter() - started) * 1000
        if done.returncode:
            last = (done.stderr.strip().splitlines() or ["no output"])[-1]
            raise RuntimeError(f"{' '.join(command)[:60]} on {name} exited {done.returncode}: {last}")
        match = SEED_MS.search(done.stdout)
        return (float(match["ms"]) if match else wall), wall, SEED_MS.sub("", done.stdout).strip()

    with connection.cursor() as cursor:
        cursor.execute(f"DROP DATABASE IF EXISTS {quoted} WITH (FORCE)")
        cursor.execute(f"CREATE DATABASE {quoted}")
    try:
        _, migrate_ms, _ = timed(os.path.join(BASE_DIR, "manage.py"), "migrate", "--no-input", "-v", "0")
        rows = []
        for label in ("first", "rerun"):
            own_ms, wall_ms, out = timed("-c", SEED_IN_CHILD.format(base=BASE_DIR))
            what = "first seed" if label == "first" else "idempotent re-run"
            rows.append(
                Result(
                    name=f"seed.large.fresh_db.{label}",
                    measures=f"seed_demo --scale large on a new database, {what}",
                    samples_ms=[own_ms],
                    note=f"{out.splitlines()[-1] if out else ''}; wall with Django start-up {wall_ms / 1000:.1f} s"
                    + (f"; migrate beforehand {migrate_ms / 1000:.1f} s" if label == "first" else ""),
                )
            )
        return rows
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS {quoted} WITH (FORCE)")


SEEDING = [
    Benchmark(
        name="seeding.copy_rows",
        measures=f"copy_rows: {COPY_ROWS:,} Unit rows (rolled back)",
        setup=unit_rows,
        run=copy_units,
        baseline=bulk_create_units,
        baseline_label="bulk_create, batch 1000",
        ops=COPY_ROWS,
        ops_label="rows",
        warmup=1,
        repeat=5,
    ),
    Probe("seed.large", seed_demo_large),
]

BENCHMARKS = [*REGIONS, *WORKDAYS, *SEEDING]
