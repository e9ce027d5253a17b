"""Personal data fields and their deliberate, audited reveal.

Apps register each personal field once (``register``); pages, exports and APIs show it
through the masking helper, and only ``personal_data_reveal`` hands out the clear value: to a
user with the reveal capability, for an object in their scope, recording who saw what.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.db import transaction
from django.db.models import QuerySet

from portal.accounts.capabilities import Cap, has_cap
from portal.accounts.scoping import OutOfScope
from portal.core.masking import MASKERS


@dataclass(frozen=True)
class PersonalField:
    model_label: str  # "complaints.complaint"
    field: str
    kind: str  # a key of MASKERS
    visible: Callable[[object], QuerySet]  # user -> the objects that user may see


REGISTRY: dict[tuple[str, str], PersonalField] = {}


def register(model_label: str, field: str, kind: str, visible: Callable[[object], QuerySet]) -> None:
    if kind not in MASKERS:
        raise ValueError(f"unknown personal data kind {kind!r}")
    REGISTRY[(model_label, field)] = PersonalField(model_label, field, kind, visible)


def personal_data_reveal(*, actor, model_label: str, pk: str, field: str) -> str:
    """The clear value, audited; OutOfScope (404) for anything the actor may not reveal."""
    from portal.audit.services import audit_record

    entry = REGISTRY.get((model_label, field))
    if entry is None or not has_cap(actor, Cap.REVEAL_PERSONAL_DATA):
        raise OutOfScope
    try:
        value = entry.visible(actor).values_list(field, flat=True).get(pk=pk)
    except Exception:  # DoesNotExist, or a malformed pk
        raise OutOfScope from None
    with transaction.atomic():
        audit_record(
            actor=actor, action="personal_data.reveal", object_type=model_label, object_id=pk, changes={"field": field}
        )
    return value or ""
