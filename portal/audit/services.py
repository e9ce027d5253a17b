"""Recording audit events. Call ``audit_record`` inside the transaction of the change it
records (every service does); events of their own (logins, denials) open one."""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Iterable, Mapping
from functools import partial
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone
from psycopg.types.json import Jsonb

from portal.audit import context
from portal.audit.models import AuditEvent
from portal.core.seeding import copy_rows

Change = Mapping[str, tuple[Any, Any]]


def _normalise(value: Any) -> Any:
    """Plain JSON values (dates, decimals and lazy strings become strings)."""
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder, ensure_ascii=False))


_dumps = partial(json.dumps, cls=DjangoJSONEncoder, ensure_ascii=False)


def _as_jsonb(value: Any) -> Jsonb:
    """``value`` as COPY writes it, dumped once and now, before COPY starts: the first row COPY
    writes takes the chain's lock, and no Python work should hold it."""
    return Jsonb(_dumps(value), dumps=_as_is)


def _as_is(text: str) -> str:
    return text


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


def _event_rows(entries: Iterable[Mapping[str, Any]], *, normalise=_normalise) -> list[dict[str, Any]]:
    """The column values of each entry's event (``seq``, ``prev_hash`` and ``hash`` are the
    ``audit_chain`` trigger's); ``normalise`` makes the changes a JSON value."""
    request = context.current()
    now = timezone.now()
    request_id, ip = (request.request_id, _ip(request.ip)) if request else ("", None)  # once per call
    actors: dict[int, dict[str, Any]] = {}  # a batch has one actor: its fields once
    rows = []
    for entry in entries:
        obj = entry.get("obj")
        actor = entry.get("actor")
        actor_fields = actors.get(id(actor))
        if actor_fields is None:
            actor_fields = actors[id(actor)] = _actor_fields(actor)
        if entry.get("username") is not None:
            actor_fields = {**actor_fields, "actor_username": entry["username"]}
        rows.append(
            {
                "seq": 0,
                "occurred_at": now,
                **actor_fields,
                "action": entry["action"],
                "object_type": entry.get("object_type") or (obj._meta.label_lower if obj is not None else ""),
                "object_id": str(entry.get("object_id") or (obj.pk if obj is not None else "") or ""),
                "changes": normalise(entry.get("changes") or {}),
                "request_id": request_id,
                "ip": ip,
                "outcome": entry.get("outcome") or AuditEvent.Outcome.SUCCESS,
                "prev_hash": "",
                "hash": "",
            }
        )
    return rows


def audit_record_many(entries: Iterable[Mapping[str, Any]]) -> list[AuditEvent]:
    """Append several events with one INSERT (one COPY for a batch). The database numbers and hashes them (the
    ``audit_chain`` trigger, under the chain's advisory lock held until this transaction
    ends), so whatever writes an event, the chain stays one line."""
    events = [AuditEvent(**row) for row in _event_rows(entries)]
    # No savepoint inside the caller's transaction: an audit write that fails fails the write it
    # records (and two round trips a write are saved).
    with transaction.atomic(savepoint=False):
        if len(events) < COPY_FROM:
            return AuditEvent.objects.bulk_create(events)
        # One COPY instead of compiling an INSERT of 14 parameters a row; the events come back
        # without ``pk`` (a caller that needs them writes fewer than COPY_FROM at a time).
        copy_rows(AuditEvent, COPY_COLUMNS, ([getattr(e, c) for c in COPY_COLUMNS] for e in events))
        return events


def audit_copy_many(entries: Iterable[Mapping[str, Any]]) -> int:
    """``audit_record_many`` for a batch that needs no event back (the 12328 sync): the rows go
    to one COPY as plain values, no model instance is made. The trigger numbers and hashes
    COPY's rows as an INSERT's, in the order written. Returns how many were written."""
    rows = _event_rows(entries, normalise=_as_jsonb)
    with transaction.atomic(savepoint=False):
        return copy_rows(AuditEvent, COPY_COLUMNS, ([row[c] for c in COPY_COLUMNS] for row in rows))


COPY_FROM = 50  # events from which one COPY beats one multi-row INSERT
COPY_COLUMNS = [f.attname for f in AuditEvent._meta.concrete_fields if not f.primary_key]
