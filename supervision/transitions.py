"""The listed-supervision flow as data (the same mechanism as ``cases/transitions.py``).

listed → rectifying (the responsible side starts rectifying, with periodic progress reports)
rectifying → reported (the rectification report, 整改报告)
reported → delisted (摘牌: on-site acceptance by the team passed)
reported → rectifying (acceptance failed: back to rectifying with reasons)

``who`` names the actor's relation to the item, checked by ``supervision.services``:
- ``scope``: anyone with the capability whose subtree contains the item;
- ``team``: a member of the item's supervision team, or staff (``VERIFY``) of the listing
  organ's region (the province for province-level items, the listing city for city items).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from portal.accounts.capabilities import Cap
from supervision.models import SupervisionItem

S = SupervisionItem.Status


@dataclass(frozen=True)
class Move:
    name: str
    label: str
    source: tuple[str, ...]
    target: str
    cap: Cap | None
    who: str = "scope"  # "scope" | "team"
    needs_text: bool = False
    is_acceptance: bool = False


MOVES: dict[str, Move] = {
    move.name: move
    for move in (
        Move("start", _("开始整改"), (S.LISTED,), S.RECTIFYING, Cap.EDIT_RECORDS),
        Move("report", _("报送整改报告"), (S.RECTIFYING,), S.REPORTED, Cap.EDIT_RECORDS, needs_text=True),
        Move("accept_pass", _("验收通过并摘牌"), (S.REPORTED,), S.DELISTED, None, who="team", is_acceptance=True),
        Move(
            "accept_fail",
            _("验收未通过，继续整改"),
            (S.REPORTED,),
            S.RECTIFYING,
            None,
            who="team",
            needs_text=True,
            is_acceptance=True,
        ),
    )
}


def moves_from(status: str) -> list[Move]:
    return [move for move in MOVES.values() if status in move.source]
