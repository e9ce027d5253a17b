"""Writes of the enforcement case data: the batch upload and the yearly partitions.

``case_upload_batch`` takes up to 5,000 cases from one unit's system. Per row it answers new,
updated, unchanged or rejected; a row is idempotent by its content hash (the same row again is
unchanged) and ordered by ``revised_at`` (a late older version never replaces a newer one: it
is answered unchanged, with the reason). The valid rows, the key rows and the batch's audit
event are written in one transaction: new keys by one INSERT ... ON CONFLICT DO NOTHING, the
stored keys locked in case-number order (two batches of one unit never deadlock), the old
current versions flagged by one UPDATE, the new versions by COPY.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from functools import partial

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.enforcement import checks
from cases.enforcement.models import MAX_BATCH, EnforcementCase, ViolationItem
from cases.enforcement.tally import tally_apply, tally_key
from portal.audit.services import audit_record
from portal.core import crypto
from portal.core.seeding import copy_rows
from portal.regions.models import Region, Unit


class BatchRefused(Exception):
    """The whole batch is refused (400): not a list, empty, or over the limit."""

    def __init__(self, message: str, *, status: int = 400):
        super().__init__(message)
        self.message = message
        self.status = status


@dataclass
class RowResult:
    index: int
    case_number: str
    outcome: str  # new, updated, unchanged, rejected
    version: int | None = None
    errors: dict = field(default_factory=dict)
    note: str = ""


def batch_context(unit: Unit, today: dt.date | None = None) -> checks.Context:
    regions = frozenset(Region.objects.filter(path__startswith=unit.region.path).values_list("code", flat=True))
    items = {
        code: (pk, basis)
        for pk, code, basis in ViolationItem.objects.filter(active=True).values_list("pk", "code", "legal_basis")
    }
    return checks.Context(
        unit_id=unit.pk, unit_region=unit.region_id, regions=regions, items=items, today=today or timezone.localdate()
    )


# the columns COPY writes, in order (id comes from its sequence)
VERSION_COLUMNS = [
    "key_id",
    "version",
    "is_current",
    "content_hash",
    "revised_at",
    "received_at",
    "unit_id",
    "region_id",
    "case_number",
    "filed_year",
    "violation_item_id",
    "legal_basis",
    "penalty_type",
    "penalty_amount",
    "discretion",
    "mode",
    "soft_measures",
    "officer_certificates",
    "party_name",
    "party_id_number",
    "party_id_number_hash",
    "plate",
    "plate_hash",
    "place",
    "filed_on",
    "decided_on",
    "closed_on",
    "status",
]


def version_row(clean: dict, *, key_id: int, version: int, unit_id: int, received_at) -> tuple:
    id_number, plate = clean["party_id_number"], clean["plate"]
    return (
        key_id,
        version,
        True,
        clean["content_hash"],
        clean["revised_at"],
        received_at,
        unit_id,
        clean["region_id"],
        clean["case_number"],
        clean["filed_year"],
        clean["violation_item_id"],
        clean["legal_basis"],
        clean["penalty_type"],
        clean["penalty_amount"],
        clean["discretion"],
        clean["mode"],
        clean["soft_measures"],
        clean["officer_certificates"],
        clean["party_name"],
        crypto.encrypt(id_number, kind="id_number"),
        crypto.search_hash(id_number, kind="id_number"),
        crypto.encrypt(plate, kind="plate"),
        crypto.search_hash(plate, kind="plate"),
        clean["place"],
        clean["filed_on"],
        clean["decided_on"],
        clean["closed_on"],
        clean["status"],
    )


def case_upload_batch(*, actor, unit: Unit, rows) -> list[RowResult]:
    """Store one batch of a unit's cases; one RowResult per row, in the batch's order."""
    if not isinstance(rows, list):
        raise BatchRefused(_('请求体须为 JSON 对象 {"cases": [...]}，cases 为案件列表。'))
    if not rows:
        raise BatchRefused(_("cases 不能为空：每批至少 1 件案件。"))
    if len(rows) > MAX_BATCH:
        raise BatchRefused(
            _("每批最多 %(max)s 件案件，本批 %(n)s 件：请分批上传。") % {"max": MAX_BATCH, "n": len(rows)},
            status=413,
        )
    ctx = batch_context(unit)
    results: list[RowResult | None] = [None] * len(rows)
    valid: dict[str, tuple[int, dict]] = {}
    for index, row in enumerate(rows):
        number = str(row.get("case_number", ""))[:64] if isinstance(row, dict) else ""
        try:
            clean = checks.check_row(row, ctx)
        except checks.RowErrors as exc:
            results[index] = RowResult(index, number, "rejected", errors=exc.errors)
            continue
        if clean["case_number"] in valid:
            results[index] = RowResult(
                index,
                number,
                "rejected",
                errors={
                    "case_number": [
                        _("本批次中案号重复（与第 %(i)s 条）：同一案件的多个版本请分批上传。")
                        % {"i": valid[clean["case_number"]][0]}
                    ]
                },
            )
            continue
        valid[clean["case_number"]] = (index, clean)

    if valid:
        with transaction.atomic():
            _store(actor=actor, unit=unit, valid=valid, results=results)
    return results  # type: ignore[return-value]


def _clues_after_upload(keys: list[int]) -> None:
    from cases.tasks import cases_enforcement_clues_upload

    cases_enforcement_clues_upload.delay(keys)


def _store(*, actor, unit: Unit, valid: dict[str, tuple[int, dict]], results: list) -> None:
    now = timezone.now()
    numbers = sorted(valid)  # one lock order for every batch of the unit
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO cases_enforcementcasekey"
            " (unit_id, case_number, filed_year, current_version, current_hash, current_revised_at)"
            " SELECT %s, n, y, 1, h, r FROM unnest(%s::varchar[], %s::smallint[], %s::varchar[], %s::timestamptz[])"
            " AS t(n, y, h, r)"
            " ON CONFLICT (unit_id, case_number) DO NOTHING RETURNING id, case_number",
            [
                unit.pk,
                numbers,
                [valid[n][1]["filed_year"] for n in numbers],
                [valid[n][1]["content_hash"] for n in numbers],
                [valid[n][1]["revised_at"] for n in numbers],
            ],
        )
        created = {number: pk for pk, number in cursor.fetchall()}
        existing = [n for n in numbers if n not in created]
        stored = {}
        if existing:
            cursor.execute(
                "SELECT id, case_number, current_version, current_hash, current_revised_at"
                " FROM cases_enforcementcasekey WHERE unit_id = %s AND case_number = ANY(%s::varchar[])"
                " ORDER BY case_number FOR UPDATE",
                [unit.pk, existing],
            )
            stored = {row[1]: row for row in cursor.fetchall()}

    writes: list[tuple] = []
    deltas: Counter = Counter()  # the case tally's changes (cases.enforcement.tally)
    updated: list[tuple[int, int, str, dt.datetime]] = []  # key id, new version, hash, revised
    for number in numbers:
        index, clean = valid[number]
        if number in created:
            writes.append(version_row(clean, key_id=created[number], version=1, unit_id=unit.pk, received_at=now))
            results[index] = RowResult(index, number, "new", version=1)
            continue
        key_id, _number, version, current_hash, current_revised = stored[number]
        if clean["content_hash"] == current_hash:
            results[index] = RowResult(index, number, "unchanged", version=version)
        elif clean["revised_at"] <= current_revised:
            results[index] = RowResult(
                index, number, "unchanged", version=version, note=_("此版本早于已存储的版本，未覆盖。")
            )
        else:
            writes.append(version_row(clean, key_id=key_id, version=version + 1, unit_id=unit.pk, received_at=now))
            updated.append((key_id, version + 1, clean["content_hash"], clean["revised_at"]))
            results[index] = RowResult(index, number, "updated", version=version + 1)

    if updated:
        with connection.cursor() as cursor:
            key_ids = [u[0] for u in updated]
            cursor.execute(
                "UPDATE cases_enforcementcasekey AS k SET current_version = t.v, current_hash = t.h,"
                " current_revised_at = t.r FROM unnest(%s::bigint[], %s::int[], %s::varchar[], %s::timestamptz[])"
                " AS t(id, v, h, r) WHERE k.id = t.id",
                [key_ids, [u[1] for u in updated], [u[2] for u in updated], [u[3] for u in updated]],
            )
            cursor.execute(
                "UPDATE cases_enforcementcase SET is_current = false WHERE key_id = ANY(%s::bigint[]) AND is_current"
                " RETURNING unit_id, region_id, violation_item_id, mode, penalty_type, soft_measures",
                [key_ids],
            )
            for replaced in cursor.fetchall():
                deltas[tally_key(*replaced)] -= 1
    if writes:
        copy_rows("cases_enforcementcase", VERSION_COLUMNS, writes)
        for row in writes:  # the columns of VERSION_COLUMNS: unit, region, item, penalty, mode, soft
            deltas[tally_key(row[6], row[7], row[10], row[15], row[12], row[16])] += 1
        tally_apply(deltas)
        # The problem clues of the stored versions (issue 19), by a task once this commits: the
        # rules read other cases (the same plate, the unit's month), which costs seconds at
        # 10,000,000 cases, and no upload should hold its transaction (and its sender) for that.
        # The nightly rescan finds whatever a lost task missed.
        stored = [*created.values(), *(u[0] for u in updated)]
        if stored:
            transaction.on_commit(partial(_clues_after_upload, stored))
    counts = outcome_counts(results)
    audit_record(
        actor=actor,
        action="enforcement_case.upload",
        obj=unit,
        changes={"counts": counts, "case_numbers": [numbers[0], numbers[-1]]},
    )


def outcome_counts(results) -> dict[str, int]:
    counts = {"new": 0, "updated": 0, "unchanged": 0, "rejected": 0}
    for result in results:
        if result is not None:
            counts[result.outcome] += 1
    return counts


# --- partitions --------------------------------------------------------------------------------


def partition_name(year: int) -> str:
    return f"cases_enforcementcase_y{int(year)}"


def case_partitions_ensure(*, ahead: int = 1, today: dt.date | None = None) -> list[str]:
    """Make the partitions of this year and the next ``ahead`` years if missing (idempotent);
    the names made. Run daily by beat, so next year's partition exists long before 1 January."""
    year = (today or timezone.localdate()).year
    made = []
    with connection.cursor() as cursor:
        for y in range(year, year + ahead + 1):
            cursor.execute("SELECT to_regclass(%s)", [partition_name(y)])
            if cursor.fetchone()[0] is None:
                cursor.execute(
                    f"CREATE TABLE IF NOT EXISTS {partition_name(y)} PARTITION OF cases_enforcementcase"
                    f" FOR VALUES FROM ({int(y)}) TO ({int(y) + 1})"
                )
                made.append(partition_name(y))
    return made


def case_partitions() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid"
            " WHERE i.inhparent = 'cases_enforcementcase'::regclass ORDER BY c.relname"
        )
        return [name for (name,) in cursor.fetchall()]


__all__ = ["BatchRefused", "EnforcementCase", "case_partitions_ensure", "case_upload_batch"]
