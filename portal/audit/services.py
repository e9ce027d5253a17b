"""Recording audit events. Call ``audit_record`` inside the transaction of the change it
records (every service does); events of their own (logins, denials) open one."""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Iterable, Mapping
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone

from portal.audit import context
from portal.audit.models import AuditEvent
from portal.core.seeding import copy_rows

Change = Mapping[str, tuple[Any, Any]]


def _normalise(value: Any) -> Any:
    """Plain JSON values (dates, decimals and lazy strings become strings)."""
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder, ensure_ascii=False))


def _ip(value: str | None) -> str | None:
    if not value:
        return None
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        return None


def diff(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, list[Any]]:
    """Changed fields as {field: [before, after]}."""
    return {key: [before.get(key), after.get(key)] for key in after if before.get(key) != after.get(key)}


def _actor_fields(actor) -> dict[str, Any]:
    if actor is None or not getattr(actor, "is_authenticated", False):
        return {
            "actor_id": None,
            "actor_username": "system" if actor is None else "anonymous",
            "actor_roles": "",
            "actor_region": "",
        }
    return {
        "actor_id": actor.pk,
        "actor_username": actor.get_username(),
        "actor_roles": ",".join(getattr(actor, "roles", []) or []),
        "actor_region": getattr(actor, "region_id", "") or "",
    }


def audit_record(
    *,
    actor,
    action: str,
    obj: Any = None,
    object_type: str = "",
    object_id: Any = "",
    changes: Mapping[str, Any] | None = None,
    outcome: str = AuditEvent.Outcome.SUCCESS,
    username: str | None = None,
) -> AuditEvent:
    """Append one event to the chain in the current transaction (opening one if needed)."""
    return audit_record_many(
        [
            {
                "actor": actor,
                "action": action,
                "obj": obj,
                "object_type": object_type,
                "object_id": object_id,
                "changes": changes,
                "outcome": outcome,
                "username": username,
            }
        ]
    )[0]


def audit_record_many(entries: Iterable[Mapping[str, Any]]) -> list[AuditEvent]:
    """Append several events with one INSERT (one COPY for a batch). The database numbers and hashes them (the
    ``audit_chain`` trigger, under the chain's advisory lock held until this transaction
    ends), so whatever writes an event, the chain stays one line."""
    request = context.current()
    now = timezone.now()
    request_id, ip = (request.request_id, _ip(request.ip)) if request else ("", None)  # once per call
    events = []
    for entry in entries:
        obj = entry.get("obj")
        actor_fields = _actor_fields(entry.get("actor"))
        if entry.get("username") is not None:
            actor_fields["actor_username"] = entry["username"]
        events.append(
            AuditEvent(
                seq=0,  # set by the trigger, with prev_hash and hash
                occurred_at=now,
                **actor_fields,
                action=entry["action"],
                object_type=entry.get("object_type") or (obj._meta.label_lower if obj is not None else ""),
                object_id=str(entry.get("object_id") or (obj.pk if obj is not None else "") or ""),
                changes=_normalise(entry.get("changes") or {}),
                request_id=request_id,
                ip=ip,
                outcome=entry.get("outcome") or AuditEvent.Outcome.SUCCESS,
            )
        )
    # No savepoint inside the caller's transaction: an audit write that fails fails the write it
    # records (and two round trips a write are saved).
    with transaction.atomic(savepoint=False):
        if len(events) < COPY_FROM:
            return AuditEvent.objects.bulk_create(events)
        # A batch (the 12328 sync): one COPY instead of compiling an INSERT of 14 parameters a
        # row. The trigger numbers and hashes COPY's rows as an INSERT's, in the order written;
        # the ids are the table's own, not read back (the events come back without ``pk``: a
        # caller that needs them writes fewer than COPY_FROM at a time).
        copy_rows(AuditEvent, COPY_COLUMNS, ([getattr(e, c) for c in COPY_COLUMNS] for e in events))
        return events


COPY_FROM = 50  # events from which one COPY beats one multi-row INSERT
COPY_COLUMNS = [f.attname for f in AuditEvent._meta.concrete_fields if not f.primary_key]
