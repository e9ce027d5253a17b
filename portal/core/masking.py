"""The one personal-data masking helper, used by every page, export and API.

phone ``138****1234``, ID number ``4101**********1234``, name ``张*``, plate ``豫A·***45``.
Masking is the default for everyone; revealing a value is a deliberate, audited action
(``portal.core.views.reveal_personal_data``) open to users with the reveal capability.
"""

from __future__ import annotations

import re

PLATE_RE = re.compile(r"^([\u4e00-\u9fa5])([A-Z])[·•.\s-]?([A-Z0-9]{5,6}[\u4e00-\u9fa5]?)$")


def mask_phone(value: str | None) -> str:
    digits = (value or "").strip()
    if len(digits) < 7:
        return "*" * len(digits)
    return f"{digits[:3]}{'*' * (len(digits) - 7)}{digits[-4:]}"


def mask_id_number(value: str | None) -> str:
    text = (value or "").strip()
    if len(text) < 8:
        return "*" * len(text)
    return f"{text[:4]}{'*' * (len(text) - 8)}{text[-4:]}"


def mask_name(value: str | None) -> str:
    text = (value or "").strip()
    if not text:
        return ""
    if len(text) == 1:
        return "*"
    return text[0] + "*" * (len(text) - 1)


def mask_plate(value: str | None) -> str:
    text = (value or "").strip().upper()
    match = PLATE_RE.match(text)
    if not match:
        return text[:2] + "*" * max(len(text) - 4, 0) + text[-2:] if len(text) > 4 else "*" * len(text)
    province, letter, rest = match.groups()
    return f"{province}{letter}·{'*' * (len(rest) - 2)}{rest[-2:]}"


MASKERS = {"phone": mask_phone, "id_number": mask_id_number, "name": mask_name, "plate": mask_plate}


def mask(kind: str, value: str | None) -> str:
    return MASKERS[kind](value)
