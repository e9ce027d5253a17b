"""统一社会信用代码 (GB 32100-2015): 18 characters, the last a check character.

The character set is ``0123456789ABCDEFGHJKLMNPQRTUWXY`` (no I, O, S, V, Z), each worth its
index (0–30); position i (0-based, over the first 17) weighs 3^i mod 31; the check character
is the one worth (31 − Σ value × weight mod 31) mod 31. Some codes issued in early pilot
regions fail the check and are still legal: callers warn and ask for a reason, never refuse
for ever (``service.services.enterprise_register``)."""

from __future__ import annotations

import re

CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = [pow(3, i, 31) for i in range(17)]
SHAPE = re.compile(rf"^[{CHARSET}]{{18}}$")


def normalise(code: str) -> str:
    return "".join((code or "").split()).upper()


def well_formed(code: str) -> bool:
    """18 characters of the set (the shape; the check character is ``check_ok``'s business)."""
    return bool(SHAPE.fullmatch(code))


def check_character(first17: str) -> str:
    total = sum(CHARSET.index(char) * weight for char, weight in zip(first17, WEIGHTS, strict=True))
    return CHARSET[(31 - total % 31) % 31]


def check_ok(code: str) -> bool:
    return well_formed(code) and check_character(code[:17]) == code[17]
