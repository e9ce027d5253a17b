"""Demo and benchmark data: ``manage.py seed_demo --scale small|large``.

Every app may contribute a ``seed.py`` with ``seed(ctx: SeedContext)``; seed_demo calls them in
INSTALLED_APPS order inside one transaction. Seeders must be deterministic (use ``ctx.rng``),
idempotent (skip what exists) and fast (bulk inserts or COPY, never a save() per row).
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections, models
from django.db.models import NOT_PROVIDED
from psycopg.types.json import Jsonb

# The small scale covers two cities and three counties: enough for every role and for
# the scoping cases (same city, other city).
SMALL_CITIES = ["410100", "410300"]  # 郑州市, 洛阳市
SMALL_COUNTIES = ["410105", "410122", "410303"]  # 金水区, 中牟县 (郑州), 西工区 (洛阳)

DEMO_PASSWORD = "Henan#Demo2026"  # noqa: S105 - printed by make run; demo only


@dataclass
class SeedContext:
    scale: str
    rng: random.Random
    logins: list[tuple[str, str, str]] = field(default_factory=list)  # (username, password, description)
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def large(self) -> bool:
        return self.scale == "large"

    def add_login(self, username: str, description: str, password: str = DEMO_PASSWORD) -> None:
        self.logins.append((username, password, description))

    def count(self, what: str, n: int) -> None:
        self.counts[what] = self.counts.get(what, 0) + n


# --- bulk loading for seeders with hundreds of thousands of rows ----------------------------


def _copy_target(target, columns: Sequence[str]) -> tuple[str, list[str], list[tuple[int, Any]]]:
    """The table, its column names and the columns to convert (by position: JSON fields, and
    integer arrays as ``_INT_ARRAY``) for ``copy_rows``."""
    if isinstance(target, str):
        return target, list(columns), []
    meta = target._meta
    fields = []
    for name in columns:
        field = meta.get_field(name)  # accepts "region" and "region_id" alike
        if not field.concrete or field.many_to_many:
            raise ValueError(f"copy_rows({meta.label}): {name!r} has no column of its own")
        fields.append(field)
    given = {field.name for field in fields}
    missing = [
        field.name
        for field in meta.concrete_fields
        if field.name not in given
        and not field.null
        and field.db_default is NOT_PROVIDED
        and not field.generated
        and not (field.primary_key and field.db_returning)  # an identity column fills itself
    ]
    if missing:
        raise ValueError(
            f"copy_rows({meta.label}): list {', '.join(map(repr, missing))} in columns "
            "(NOT NULL without a database default; COPY does not apply Python defaults)"
        )
    converted = [(i, field) for i, field in enumerate(fields) if isinstance(field, models.JSONField)]
    converted += [(i, _INT_ARRAY) for i, field in enumerate(fields) if _is_int_array(field)]
    return meta.db_table, [field.column for field in fields], converted


_INT_ARRAY = object()  # a column of integers[]: written as its text literal


def _is_int_array(field) -> bool:
    from django.contrib.postgres.fields import ArrayField

    return isinstance(field, ArrayField) and isinstance(field.base_field, models.IntegerField)


def _int_array_literal(values):
    """A flat list of ints as COPY's text literal ("{1,-2,3}"): psycopg's list dumper inspects
    every element in Python first. Anything else goes to psycopg as it is."""
    if isinstance(values, list) and all(type(v) is int for v in values):
        return "{" + ",".join(map(str, values)) + "}"
    return values


def copy_rows(target, columns: Sequence[str], rows: Iterable[Sequence[Any]], *, using: str = DEFAULT_DB_ALIAS) -> int:
    """Stream ``rows`` into a table with PostgreSQL's ``COPY ... FROM STDIN``; return how many.

    For seeders with volume (hundreds of thousands to millions of rows), where it is several
    times faster than ``bulk_create`` and keeps memory flat: ``rows`` is consumed lazily, so
    pass a generator. ``target`` is a model (``columns`` are field names such as ``"region"``
    or attnames such as ``"region_id"``) or a table name (``columns`` are column names).

    Values go through psycopg's adapters: str, int, float, Decimal, bool, date, aware
    datetime, UUID, None, lists. A model's JSONField takes dicts and lists as they are; for a
    table name wrap JSON in ``psycopg.types.json.Jsonb`` yourself. Like ``bulk_create`` it
    bypasses ``save()``, signals and Python defaults (a model's NOT NULL columns without a
    database default must be listed; this raises ValueError before writing otherwise); the
    database's constraints still hold. It runs in the caller's transaction (seed_demo's) and
    counts as one query for ``django_assert_num_queries``.
    """
    connection = connections[using]
    table, column_names, converted = _copy_target(target, columns)
    quote = connection.ops.quote_name
    sql = f"COPY {quote(table)} ({', '.join(quote(c) for c in column_names)}) FROM STDIN"
    if converted:
        arrays = [i for i, field in converted if field is _INT_ARRAY]
        dumps = {i: partial(json.dumps, cls=field.encoder) for i, field in converted if field is not _INT_ARRAY}

        def with_json(row):
            row = list(row)
            for i, dump in dumps.items():
                if row[i] is not None and not isinstance(row[i], Jsonb):  # a Jsonb: dumped by its own rule
                    row[i] = Jsonb(row[i], dumps=dump)
            for i in arrays:
                row[i] = _int_array_literal(row[i])
            return row

        rows = map(with_json, rows)
    connection.validate_no_broken_transaction()
    written = 0
    started = time.monotonic()
    # wrap_database_errors: a violated constraint raises Django's IntegrityError, as execute() would
    with connection.cursor() as cursor, connection.wrap_database_errors, cursor.cursor.copy(sql) as copy:
        write_row = copy.write_row
        for row in rows:
            write_row(row)
            written += 1
    if connection.queries_logged:  # what CursorDebugWrapper records for an execute()
        connection.queries_log.append({"sql": f"{sql} -- {written} rows", "time": f"{time.monotonic() - started:.3f}"})
    return written


def reserve_ids(model, n: int, *, using: str = DEFAULT_DB_ALIAS) -> list[int]:
    """``n`` fresh primary keys from ``model``'s identity sequence, ascending.

    For seeders that COPY parents and children: reserve the parents' ids, COPY the parents
    with them, and the children can point at them without reading anything back.
    """
    if n <= 0:
        return []
    connection = connections[using]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [connection.ops.quote_name(model._meta.db_table), model._meta.pk.column, n],
        )
        return sorted(value for (value,) in cursor.fetchall())
