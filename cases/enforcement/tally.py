"""The case tally (``EnforcementCaseTally``): current cases counted by what the dashboards group
them by, kept by the upload in its own transaction and rebuilt from the cases when needed.

Why a tally and not a GROUP BY over the cases at every dashboard refresh: at 10,000,000 cases
that GROUP BY reads every current version (tens of seconds, every few minutes); the tally holds
one row per (unit, region, item, mode, penalty type, soft measures), a few thousand rows at
provincial scale, and the upload pays one upsert statement per batch. The dashboards' refresh
(``cases/figures.py``) groups the tally, never the cases.
"""

from __future__ import annotations

from collections import Counter

from django.db import connection

from cases.enforcement.models import SOFT_COLUMNS

TABLE = "cases_enforcementcasetally"
GROUP = ("unit_id", "region_id", "violation_item_id", "mode", "penalty_type", *SOFT_COLUMNS)


def tally_key(unit_id, region_id, item_id, mode, penalty_type, soft_measures) -> tuple:
    """The tally group of one case version."""
    soft = set(soft_measures or ())
    return (unit_id, region_id, item_id, mode, penalty_type, *(m in soft for m in SOFT_COLUMNS))


def tally_apply(deltas: Counter) -> None:
    """Add ``deltas`` ({tally key: +n or -n}) to the tally in one statement, the groups in one
    order (two batches of a unit lock the rows they share in the same order: no deadlock)."""
    changes = sorted((key, n) for key, n in deltas.items() if n)
    if not changes:
        return
    columns = list(zip(*(key for key, _n in changes), strict=True))
    types = ["bigint", "varchar", "bigint", "varchar", "varchar", *(["boolean"] * len(SOFT_COLUMNS))]
    unnest = ", ".join(f"%s::{t}[]" for t in [*types, "bigint"])
    names = ", ".join([*GROUP, "cases"])
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {TABLE} ({names}) SELECT * FROM unnest({unnest})"  # noqa: S608 - constant identifiers
            f" ON CONFLICT ({', '.join(GROUP)}) DO UPDATE SET cases = {TABLE}.cases + EXCLUDED.cases",
            [*(list(c) for c in columns), [n for _key, n in changes]],
        )


_SOFT_SQL = ", ".join(f"'{m}' = ANY(soft_measures)" for m in SOFT_COLUMNS)
# the tally as the current versions say it (constant SQL: no value is ever spliced in)
FROM_CASES = (
    f"SELECT unit_id, region_id, violation_item_id, mode, penalty_type, {_SOFT_SQL}, count(*)"  # noqa: S608
    " FROM cases_enforcementcase WHERE is_current"
    f" GROUP BY unit_id, region_id, violation_item_id, mode, penalty_type, {_SOFT_SQL}"
)


def case_tally_rebuild() -> int:
    """Recompute the whole tally from the current versions (one statement); its row count."""
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {TABLE}")  # noqa: S608
        cursor.execute(f"INSERT INTO {TABLE} ({', '.join([*GROUP, 'cases'])}) {FROM_CASES}")
        return cursor.rowcount


def case_tally_from_cases() -> dict[tuple, int]:
    """The tally as the cases say it now (for the tests: the kept tally must equal this)."""
    with connection.cursor() as cursor:
        cursor.execute(FROM_CASES)
        return {tuple(row[:-1]): row[-1] for row in cursor.fetchall()}


def case_tally() -> dict[tuple, int]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(GROUP)}, cases FROM {TABLE} WHERE cases > 0")  # noqa: S608
        return {tuple(row[:-1]): row[-1] for row in cursor.fetchall()}
