"""The hash of one audit event: SHA-256 over a canonical JSON of every field."""

from __future__ import annotations

import hashlib
import json

GENESIS = "0" * 64
FIELDS = (
    "seq",
    "occurred_at",
    "actor_id",
    "actor_username",
    "actor_roles",
    "actor_region",
    "action",
    "object_type",
    "object_id",
    "changes",
    "request_id",
    "ip",
    "outcome",
    "prev_hash",
)


def event_hash(row: dict) -> str:
    payload = {name: row[name] for name in FIELDS}
    payload["occurred_at"] = row["occurred_at"].isoformat(timespec="microseconds")
    text = json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
