"""The appeal workflow as data (申诉): a pending appeal is decided once by the province, upheld
(the appealed indicator is re-scored with the corrected value) or rejected with reasons.

pending → upheld | rejected
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from evaluation.models import Appeal

S = Appeal.Status


@dataclass(frozen=True)
class Move:
    name: str
    label: str
    source: tuple[str, ...]
    target: str
    needs_value: bool = False


MOVES: dict[str, Move] = {
    move.name: move
    for move in (
        Move("uphold", _("申诉成立，按改正值重新计分"), (S.PENDING,), S.UPHELD, needs_value=True),
        Move("reject", _("申诉不成立"), (S.PENDING,), S.REJECTED),
    )
}
