"""Walk the audit chain and name the first event that breaks it — in one SQL statement.

In ``seq`` order, every event must hash to its stored hash (else: changed), follow the seq
before it by one (a gap: deleted; a repeat: inserted), carry the previous event's hash as
``prev_hash`` (else: inserted or reordered) and have an id above its predecessor's (else:
reordered). PostgreSQL recomputes every hash with the same function the insert trigger uses.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection

from portal.audit.chain import GENESIS

CHECK_SQL = """
WITH chain AS (
    SELECT e.id, e.seq, e.hash, e.prev_hash,
           audit_chain_hash(e) AS recomputed,
           lag(e.seq) OVER w AS before_seq,
           lag(e.hash) OVER w AS before_hash,
           lag(e.id) OVER w AS before_id,
           row_number() OVER w AS position
    FROM audit_auditevent e
    WINDOW w AS (ORDER BY e.seq, e.id)
)
SELECT id, seq, position, recomputed <> hash, coalesce(before_seq, 0),
       prev_hash <> coalesce(before_hash, %(genesis)s), coalesce(before_id, 0)
FROM chain
WHERE recomputed <> hash
   OR seq <> coalesce(before_seq, 0) + 1
   OR prev_hash <> coalesce(before_hash, %(genesis)s)
   OR id <= coalesce(before_id, 0)
ORDER BY seq, id
LIMIT 1
"""


@dataclass
class VerifyResult:
    ok: bool
    checked: int
    message: str
    seq: int | None = None
    event_id: int | None = None


def verify_chain() -> VerifyResult:
    with connection.cursor() as cursor:
        cursor.execute(CHECK_SQL, {"genesis": GENESIS})
        broken = cursor.fetchone()
        if broken is None:
            cursor.execute("SELECT count(*) FROM audit_auditevent")
            total = cursor.fetchone()[0]
            return VerifyResult(True, total, f"audit chain intact: {total} events")
    event_id, seq, position, changed, before_seq, bad_link, before_id = broken
    checked = position - 1
    where = f"seq {seq} (id {event_id})"
    if changed:
        message = f"event {where} was changed: its hash does not match its content"
    elif seq > before_seq + 1:
        message = f"event(s) deleted before {where}: seq {before_seq + 1}..{seq - 1} missing"
    elif seq <= before_seq:
        message = f"event {where} was inserted: seq repeats"
    elif bad_link:
        message = f"event {where} does not follow the event before it: inserted or reordered"
    else:
        message = f"event {where} was reordered: its id is below its predecessor's (id {before_id})"
    return VerifyResult(False, checked, message, seq, event_id)
