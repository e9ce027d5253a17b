"""Run the benchmarks in bench/bench_*.py and print one table: ``make bench``.

``make bench`` (python -m portal.launcher bench) starts the embedded PostgreSQL and Redis of
var/bench/, migrates and seeds ``seed_demo --scale large`` into portal_bench, then runs this.
On its own: ``python bench/run.py [--only TEXT] [--repeat N] [--reseed]`` with DATABASE_URL and
REDIS_URL set. The results also go to var/bench/results.json.

Exit status: 0 when every benchmark ran (missed goals are reported, not fatal), 1 when one crashed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib
import json
import os
import subprocess
import sys
import time
import traceback
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
RESULTS_FILE = BASE_DIR / "var" / "bench" / "results.json"


def parse_args(argv: list[str] | None):
    parser = argparse.ArgumentParser(prog="bench/run.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", metavar="TEXT", help="run the benchmarks whose module or name contains TEXT")
    parser.add_argument(
        "--module",
        metavar="NAME",
        help="run bench/NAME.py instead of every bench/bench_*.py (make bench-cases: cases_scale)",
    )
    parser.add_argument("--repeat", type=int, metavar="N", help="timed repetitions for every benchmark")
    parser.add_argument("--reseed", action="store_true", help="also time the large seed on a fresh database")
    parser.add_argument("--no-vacuum", action="store_true", help="skip VACUUM (ANALYZE) before measuring")
    parser.add_argument("--results", type=Path, default=RESULTS_FILE, help=f"JSON output (default {RESULTS_FILE})")
    args = parser.parse_args(argv)
    if args.repeat is not None and args.repeat < 1:
        parser.error("--repeat must be 1 or more")
    return args


def setup_django() -> None:
    # run as a script, sys.path[0] is bench/ itself; import everything from the project root
    sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != BASE_DIR / "bench"]
    sys.path.insert(0, str(BASE_DIR))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.test")
    import django

    django.setup()


def discover(only_module: str | None = None) -> list[tuple[str, list]]:
    """(module name, entries) for every bench/bench_*.py, in file-name order (or for the one
    module named, e.g. bench/cases_scale.py, which ``make bench`` leaves out)."""
    from bench.harness import as_entry

    modules = []
    paths = (
        [BASE_DIR / "bench" / f"{only_module}.py"] if only_module else sorted((BASE_DIR / "bench").glob("bench_*.py"))
    )
    for path in paths:
        module = importlib.import_module(f"bench.{path.stem}")
        entries = getattr(module, "BENCHMARKS", None)
        if entries is None:
            raise SystemExit(f"bench: {path.name} has no BENCHMARKS list")
        modules.append((path.stem.removeprefix("bench_"), [as_entry(e) for e in entries]))
    return modules


def prepare_database(vacuum: bool) -> dict:
    """Fresh planner statistics (a large seed has just been written) and what the data holds."""
    from django.db import connection

    with connection.cursor() as cursor:
        if vacuum:
            started = time.monotonic()
            cursor.execute("VACUUM (ANALYZE)")
            print(f"bench: VACUUM (ANALYZE) in {time.monotonic() - started:.1f} s", flush=True)
        cursor.execute("SHOW server_version")
        (server_version,) = cursor.fetchone()
        cursor.execute(
            "SELECT c.relname, c.reltuples::bigint FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = current_schema() AND c.relkind = 'r' AND c.reltuples > 0 ORDER BY c.relname"
        )
        rows = dict(cursor.fetchall())
    return {"postgres": server_version, "database": connection.settings_dict["NAME"], "rows": rows}


def git_commit() -> str | None:
    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=BASE_DIR, capture_output=True, text=True)
    except OSError:
        return None
    return out.stdout.strip() or None


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    setup_django()
    import django

    from bench.harness import Options, Result, format_table

    options = Options(repeat=args.repeat, only=args.only, reseed=args.reseed)
    modules = discover(args.module)
    selected = [
        (module, entry)
        for module, entries in modules
        for entry in entries
        if not args.only or args.only in module or args.only in entry.name
    ]
    if not selected:
        print(f"bench: nothing matches --only {args.only!r}", file=sys.stderr)
        return 1
    meta = prepare_database(vacuum=not args.no_vacuum)
    results: list[Result] = []
    started = time.monotonic()
    for module, entry in selected:
        print(f"bench: {module}: {entry.name} ...", flush=True)
        try:
            results += entry.measure(options)
        except Exception as exc:
            traceback.print_exc()
            results.append(Result(name=entry.name, measures=getattr(entry, "measures", ""), error=repr(exc)))
    elapsed = time.monotonic() - started

    rows = ", ".join(f"{name} {n:,}" for name, n in meta["rows"].items() if n >= 100)
    print(f"\nPostgreSQL {meta['postgres']}, database {meta['database']}; rows: {rows}")
    print("queries: SQL statements per call (the baseline's in brackets); ratio: p50 / baseline p50\n")
    print(format_table(results))
    notes = [r for r in results if r.note]
    if notes:
        print()
        for r in notes:
            print(f"  {r.name}: {r.note}")
    crashed = [r for r in results if r.error]
    missed = [r for r in results if r.verdict[0] is False and not r.error]
    print()
    for r in missed:
        print(f"GOAL MISSED: {r.name}: {r.verdict[1]}")
    for r in crashed:
        print(f"CRASHED: {r.name}: {r.error}")
    goals = [r for r in results if r.goal]
    print(
        f"{len(results)} results in {elapsed:.1f} s; goals: {sum(r.verdict[0] is True for r in goals)} met, "
        f"{len(missed)} missed; {len(crashed)} crashed"
    )

    args.results.parent.mkdir(parents=True, exist_ok=True)
    document = {
        "generated_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "commit": git_commit(),
        "python": sys.version.split()[0],
        "django": django.get_version(),
        **meta,
        "options": {"only": args.only, "repeat": args.repeat, "reseed": args.reseed},
        "results": [r.as_json() for r in results],
    }
    args.results.write_text(json.dumps(document, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(f"results: {args.results}")
    return 1 if crashed else 0


if __name__ == "__main__":
    sys.exit(main())
