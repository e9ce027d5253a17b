"""The provincial-scale enforcement case seed of ``make bench-cases`` (issue 15 §4): 10,000,000
cases over five years of 立案, by COPY (``portal.core.seeding.copy_rows`` / ``reserve_ids``).

Lean on purpose: one version per case, the plates and ID numbers drawn from pools of 500,000
each (encrypted and hashed once per pool value, so each plate has some twenty cases, as a
province's trucks do), the other fields derived from the case's ordinal by arithmetic. Cases
go to the bench database's enforcement agencies and stations round robin, the case's region
being its unit's.

Idempotent and resumable: the seed is written in chunks of ``CHUNK`` cases, each in its own
transaction; a chunk whose last case exists is skipped, so a second run costs a few index
lookups, and a run stopped half-way resumes at the first missing chunk. At the end the case
tally (the dashboards' source, ``cases.enforcement.tally``) is rebuilt from the cases.

    python bench/cases_seed.py [--total N]     # DATABASE_URL and REDIS_URL set
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import os
import sys
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
TOTAL = 10_000_000
CHUNK = 250_000
YEARS = 5
POOL = 500_000
NUMBER_PREFIX = "豫交执B"  # bench cases only: 豫交执B<year>-<ordinal>
BENCH_UNIT = "基准测试案件上传单位"  # the upload benchmark's unit (bench/cases_scale.py): never seeded


def case_number(i: int, year: int) -> str:
    return f"{NUMBER_PREFIX}{year}-{i:08d}"


def plate_of(p: int) -> str:
    letters = "ABCDEFGHJKLMNPQRSTUVWXYZ"
    return f"豫{letters[p % 24]}{p // 24 % 100000:05d}"


def id_number_of(p: int) -> str:
    return f"4101{p % 100:02d}19{70 + p % 30:02d}0{1 + p % 9}{10 + p % 18:02d}{p % 10000:04d}"


class World:
    """What every chunk needs: units, items, today, and the pools (built once)."""

    def __init__(self):
        from django.utils import timezone

        from cases.enforcement.models import ViolationItem
        from cases.enforcement.seed import ITEMS
        from portal.core import crypto
        from portal.regions.models import Unit

        for code, name, basis, exempt in ITEMS:
            ViolationItem.objects.get_or_create(
                code=code, defaults={"name": name, "legal_basis": basis, "exempt_first_offence": exempt}
            )
        self.items = list(ViolationItem.objects.order_by("code").values_list("pk", "legal_basis"))
        self.units = list(
            Unit.objects.filter(kind__in=[Unit.Kind.ENFORCEMENT_AGENCY, Unit.Kind.STATION], active=True)
            .exclude(name=BENCH_UNIT)
            .order_by("pk")
            .values_list("pk", "region_id")
        )
        if not self.units:
            raise SystemExit("cases_seed: the bench database has no enforcement units; run seed_demo --scale large")
        self.today = timezone.localdate()
        self.first_year = self.today.year - YEARS + 1
        self.now = timezone.now()
        self.crypto = crypto
        self._plates = None
        self._ids = None

    def pools(self):
        if self._plates is None:
            started = time.monotonic()
            c = self.crypto
            self._plates = [
                (c.encrypt(v, kind="plate"), c.search_hash(c.normalise_plate(v), kind="plate"))
                for v in map(plate_of, range(POOL))
            ]
            self._ids = [
                (c.encrypt(v, kind="id_number"), c.search_hash(c.normalise_id_number(v), kind="id_number"))
                for v in map(id_number_of, range(POOL))
            ]
            print(f"cases_seed: pools of {POOL:,} plates and ID numbers in {time.monotonic() - started:.0f} s")
        return self._plates, self._ids

    def year_of(self, i: int, total: int) -> int:
        return self.first_year + i * YEARS // total

    def unit_of(self, i: int) -> tuple[int, str]:
        return self.units[i % len(self.units)]

    def chunk_done(self, last: int, total: int) -> bool:
        """By the case number alone (index ``enf_case_number_idx``): units added since (the
        upload benchmark's own) never make a written chunk look missing."""
        from cases.enforcement.models import EnforcementCase

        return EnforcementCase.objects.filter(
            is_current=True, case_number=case_number(last, self.year_of(last, total))
        ).exists()


MODES = ("on_site", "on_site", "non_site", "non_site", "non_site", "overload_station")
SOFT = ("persuasion", "demonstration", "warning", "interview")
SURNAMES = "王李张刘陈杨赵黄周吴徐孙马朱胡郭何高林罗"


def chunk_rows(world: World, start: int, stop: int, total: int, key_ids: list[int]):
    """(key rows, case rows) of the cases ``start`` .. ``stop - 1``."""
    plates, ids = world.pools()
    items, today, now = world.items, world.today, world.now
    keys, cases = [], []
    n_items = len(items)
    for offset, i in enumerate(range(start, stop)):
        key_id = key_ids[offset]
        unit_id, region_id = world.unit_of(i)
        year = world.year_of(i, total)
        last_day = dt.date(year, 12, 31) if year < today.year else today
        first_day = dt.date(year, 1, 1)
        filed = first_day + dt.timedelta(days=(i * 7919) % ((last_day - first_day).days + 1))
        number = case_number(i, year)
        digest = hashlib.md5(number.encode(), usedforsecurity=False).hexdigest()
        h = i * 2654435761
        plate, plate_hash = plates[h % POOL]
        id_number, id_hash = ids[(h >> 7) % POOL]
        item_id, basis = items[i % n_items]
        kind = i % 10
        if kind < 2:  # 20 %: no penalty, soft measures instead (§14)
            penalty, amount, discretion = "none", None, "exempt"
            soft = [SOFT[i % 4]] if kind == 0 else [SOFT[i % 4], SOFT[(i + 1) % 4]]
        elif kind == 2:
            penalty, amount, discretion, soft = "warning", None, "lighter", [SOFT[i % 4]]
        else:
            penalty, amount, discretion, soft = "fine", (200, 500, 1000, 3000, 5000)[i % 5], "general", []
        age = (today - filed).days
        if age > 60:
            status, decided, closed = "closed", min(filed + dt.timedelta(days=i % 15), today), None
            closed = min(decided + dt.timedelta(days=i % 20), today)
        elif age > 10:
            status, decided, closed = "decided", filed + dt.timedelta(days=i % 10), None
        else:
            status, decided, closed = "filed", None, None
        keys.append((key_id, unit_id, number, year, 1, digest, now))
        cases.append(
            (
                key_id,
                1,
                True,
                digest,
                now,
                now,
                unit_id,
                region_id,
                number,
                year,
                item_id,
                basis,
                penalty,
                amount,
                discretion,
                MODES[i % 6],
                soft,
                [f"41{i % 100000:06d}", f"41{(i + 1) % 100000:06d}A"],
                SURNAMES[i % 20] + "某",
                id_number,
                id_hash,
                plate,
                plate_hash,
                "",
                filed,
                decided,
                closed,
                status,
            )
        )
    return keys, cases


def _tally_complete() -> bool:
    """Whether the case tally counts every case (a run stopped before its rebuild left it short)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT coalesce(sum(cases), 0) FROM cases_enforcementcasetally")
        (tallied,) = cursor.fetchone()
        cursor.execute("SELECT count(*) FROM cases_enforcementcasekey")
        (cases,) = cursor.fetchone()
    return tallied == cases


KEY_COLUMNS = ["id", "unit_id", "case_number", "filed_year", "current_version", "current_hash", "current_revised_at"]


def seed(total: int = TOTAL) -> dict:
    """Seed ``total`` cases (skipping the chunks present); what it did."""
    from django.db import transaction

    from cases.enforcement.models import EnforcementCaseKey
    from cases.enforcement.services import VERSION_COLUMNS, case_partitions_ensure
    from portal.core.seeding import copy_rows, reserve_ids

    world = World()
    for year in range(world.first_year, world.today.year + 1):
        case_partitions_ensure(ahead=0, today=dt.date(year, 6, 1))
    started = time.monotonic()
    written = skipped = 0
    for start in range(0, total, CHUNK):
        stop = min(start + CHUNK, total)
        if world.chunk_done(stop - 1, total):
            skipped += stop - start
            continue
        t0 = time.monotonic()
        with transaction.atomic():
            # a chunk half written by a stopped run is rolled back with it: nothing to clean
            key_ids = reserve_ids(EnforcementCaseKey, stop - start)
            keys, cases = chunk_rows(world, start, stop, total, key_ids)
            copy_rows("cases_enforcementcasekey", KEY_COLUMNS, keys)
            copy_rows("cases_enforcementcase", VERSION_COLUMNS, cases)
        written += stop - start
        rate = (stop - start) / (time.monotonic() - t0)
        print(f"cases_seed: {stop:,} / {total:,} ({rate:,.0f} cases/s)", flush=True)
    tally = None
    if written or not _tally_complete():
        from cases.enforcement.tally import case_tally_rebuild

        t0 = time.monotonic()
        tally = case_tally_rebuild()
        print(f"cases_seed: tally rebuilt ({tally:,} rows) in {time.monotonic() - t0:.0f} s", flush=True)
    return {"written": written, "skipped": skipped, "seconds": time.monotonic() - started, "tally": tally}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="bench/cases_seed.py")
    parser.add_argument("--total", type=int, default=TOTAL)
    args = parser.parse_args(argv)
    sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != BASE_DIR / "bench"]
    sys.path.insert(0, str(BASE_DIR))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.test")
    import django

    django.setup()
    done = seed(args.total)
    print(
        f"cases_seed: {done['written']:,} written, {done['skipped']:,} present, in {done['seconds']:.0f} s", flush=True
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
