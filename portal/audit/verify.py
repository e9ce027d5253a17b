"""Walk the audit chain and name the first event that breaks it."""

from __future__ import annotations

import json
from dataclasses import dataclass

from django.db import connection, transaction

from portal.audit.chain import FIELDS, GENESIS, event_hash

COLUMNS = ("id", *FIELDS, "hash")


@dataclass
class VerifyResult:
    ok: bool
    checked: int
    message: str
    seq: int | None = None
    event_id: int | None = None


def verify_chain(*, batch_size: int = 20000) -> VerifyResult:
    """Checks, in ``seq`` order: every hash matches its event's content (else: changed), the
    seqs run 1, 2, 3 ... without a gap (else: deleted) or repeat (else: inserted), each
    ``prev_hash`` is the hash of the event before (else: inserted or reordered), and ids rise
    with seq (else: reordered)."""
    expected_seq, prev_hash, prev_id, checked = 1, GENESIS, 0, 0
    with transaction.atomic():
        connection.ensure_connection()
        # A named (server-side) cursor streams a million rows without loading them at once.
        with connection.connection.cursor(name="verify_audit") as cursor:
            cursor.itersize = batch_size
            cursor.execute(f"SELECT {', '.join(COLUMNS)} FROM audit_auditevent ORDER BY seq")  # noqa: S608
            for values in cursor:
                row = dict(zip(COLUMNS, values, strict=True))
                row["ip"] = str(row["ip"]) if row["ip"] is not None else None
                if isinstance(row["changes"], str):  # Django's psycopg setup loads jsonb as text
                    row["changes"] = json.loads(row["changes"])
                seq, event_id = row["seq"], row["id"]
                where = f"seq {seq} (id {event_id})"
                if event_hash(row) != row["hash"]:
                    return VerifyResult(
                        False, checked, f"event {where} was changed: its hash does not match its content", seq, event_id
                    )
                if seq > expected_seq:
                    return VerifyResult(
                        False,
                        checked,
                        f"event(s) deleted before {where}: seq {expected_seq}..{seq - 1} missing",
                        seq,
                        event_id,
                    )
                if seq < expected_seq:
                    return VerifyResult(False, checked, f"event {where} was inserted: seq repeats", seq, event_id)
                if row["prev_hash"] != prev_hash:
                    return VerifyResult(
                        False,
                        checked,
                        f"event {where} does not follow the event before it: inserted or reordered",
                        seq,
                        event_id,
                    )
                if event_id <= prev_id:
                    return VerifyResult(
                        False, checked, f"event {where} was reordered: its id is below its predecessor's", seq, event_id
                    )
                expected_seq, prev_hash, prev_id = seq + 1, row["hash"], event_id
                checked += 1
    return VerifyResult(True, checked, f"audit chain intact: {checked} events")
