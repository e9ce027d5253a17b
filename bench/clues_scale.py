"""Problem clues at provincial scale (issue 19 Tests and figures), on ``make bench-cases``' seed.

Not a ``bench_*.py`` module (it needs the 10,000,000 cases of ``bench/cases_seed.py``):

    make bench-cases BENCH_ARGS="--module clues_scale --results var/bench/results-clues.json"
    (add ``--only check.day`` for the day checks alone, without the minutes of the full rescan)

- **clues.check.day**: one day's new cases (30,000: the seed's most recently filed) checked by
  every enabled rule as the upload does it, one batch per unit (at most 5,000 key ids each)
  (``clues_check(keys=...)``); goal ≤ 5 s. Baseline: the same rules' selects alone over the
  same keys (``clues.plain_sql``), counted, in the same run.
- **clues.check.day_decided**: the same over the 30,000 most recently *decided* cases (the
  seed's newest filings are all undecided, so in them the rules about decisions, fines and
  exemptions have no candidate and are skipped); the realistic day.
- **clues.rescan.full**: the nightly full rescan (``clues_check()``) over all current cases;
  goal ≤ 5 min and ≤ 3× the baseline: the same rules' selects alone, materialised into a
  temporary table (the rows the engine upserts, without the upsert).

Both run in a transaction that is rolled back, so the seed's clue table stays as it was. The
seed's cases are arithmetic, not realistic: 20 % are 免罚 of items not on the exemption list and
half are 非现场执法 with a penalty, so the full rescan finds millions of clues (the worst case of
the upsert, far above any real day's); the per-rule counts are printed in the note.
"""

from __future__ import annotations

import sys
import time

from django.db import connection, transaction

from bench.harness import Benchmark, Goal, Probe, Result

DAY = 30_000
BATCH = 5_000
DAY_GOAL = Goal(p95_ms=5_000, source="issue 19 Figures: one day's new cases (30,000) checked ≤ 5 s")
RESCAN_GOAL = Goal(
    p95_ms=300_000, max_ratio=3.0, source="issue 19 Figures: full rescan of 10M ≤ 5 min and ≤ 3× the plain SQL"
)


def _day_keys(decided: bool = False) -> list[list[int]]:
    """The 30,000 most recently filed cases (or, ``decided``, the most recently decided: the
    seed's newest filings are all undecided, so most rules have nothing to look at in them), in
    batches of one unit each (as units upload)."""
    where, order = ("AND decided_on IS NOT NULL", "decided_on DESC") if decided else ("", "filed_on DESC")
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT key_id, unit_id FROM cases_enforcementcase WHERE is_current {where}"
            f" ORDER BY {order}, id DESC LIMIT %s",
            [DAY],
        )
        per_unit: dict[int, list[int]] = {}
        for key, unit in cursor.fetchall():
            per_unit.setdefault(unit, []).append(key)
    return [keys[i : i + BATCH] for keys in per_unit.values() for i in range(0, len(keys), BATCH)]


def _engine(batches):
    from cases.enforcement.clues import clues_check

    found, seconds = {}, {}
    with transaction.atomic():
        for batch in batches:
            result = clues_check(keys=batch, kind="bench", record=False)
            for code, n in result.found.items():
                found[code] = found.get(code, 0) + n
                seconds[code] = seconds.get(code, 0) + result.seconds[code]
        transaction.set_rollback(True)
    seconds = {code: round(s, 2) for code, s in seconds.items()}
    print("clues.check.day per rule (s):", seconds, "found:", found, file=sys.stderr)
    return found


def _plain(batches):
    from cases.enforcement.clues import RULES, batch_years, plain_sql

    with connection.cursor() as cursor:
        for batch in batches:
            years = batch_years(batch)  # once per batch, as the engine does
            for code in RULES:
                sql, args = plain_sql(code, batch, years)
                cursor.execute(sql, args)
                cursor.fetchone()


def _day_benchmark(decided: bool = False) -> Benchmark:
    return Benchmark(
        name="clues.check.day_decided" if decided else "clues.check.day",
        measures=(
            "every clue rule over the 30,000 most recently decided cases (a day of decisions), one batch per unit"
            if decided
            else "every clue rule over one day's 30,000 new cases, one batch per unit as uploaded"
        )
        + " (rolled back)",
        setup=lambda: _day_keys(decided),
        run=_engine,
        baseline=_plain,
        baseline_label="the rules' selects alone over the same keys, counted",
        goal=DAY_GOAL,
        warmup=1,
        repeat=3,
        count_queries=False,
    )


def _rescan(options) -> list[Result]:
    """One full rescan and one plain-SQL baseline (each minutes at 10M: not repeated)."""
    from cases.enforcement.clues import RULES, _arguments, _statement, clue_rules_ensure, clues_check

    rules = clue_rules_ensure()
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM cases_enforcementcasekey")
        total = cursor.fetchone()[0]
    t0 = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        from django.utils import timezone

        for code, spec in RULES.items():
            if rules[code].enabled:
                cursor.execute(
                    f"CREATE TEMP TABLE bench_plain_{code} AS SELECT * FROM ({_statement(spec, None)})"
                    " AS t(key, unit_id, region_id, figures, case_keys)",
                    _arguments(rules[code], None, timezone.localdate()),
                )
        transaction.set_rollback(True)
    plain_ms = (time.perf_counter() - t0) * 1000
    t1 = time.perf_counter()
    with transaction.atomic():
        result = clues_check(kind="bench", record=False)
        transaction.set_rollback(True)
    engine_ms = (time.perf_counter() - t1) * 1000
    per_rule = ", ".join(f"{code} {n:,} ({result.seconds[code]:.1f} s)" for code, n in result.found.items())
    return [
        Result(
            name="clues.rescan.full",
            measures=f"every clue rule over all {total:,} current cases (the nightly rescan, rolled back)",
            samples_ms=[engine_ms],
            baseline="the rules' selects alone, materialised into temporary tables",
            baseline_samples_ms=[plain_ms],
            goal=RESCAN_GOAL,
            note=per_rule,
        )
    ]


BENCHMARKS = [
    _day_benchmark(),
    _day_benchmark(decided=True),
    Probe("clues.rescan.full", _rescan),
]
