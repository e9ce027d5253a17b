"""The problem workflow as data: which move goes from which state to which, and who may make it.

registered → assigned → rectifying → submitted → closed (销号)
submitted → rectifying (returned with reasons and a new deadline)
closed → rectifying (reopened)

What a move needs before it is made (a plan, evidence, a verification record ...) is data too:
the rows of ``TransitionRequirement`` and the named checks of ``cases/requirements.py``.

``who`` names the actor's relation to the problem, checked by ``cases.services``:
- ``scope``: anyone with the capability whose subtree contains the problem;
- ``above``: the level above the problem's region (a city for its counties, the province for
  cities) — or the province for key problems — as verification needs (§ verification by the
  city, by the province for key problems).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from cases.models import Problem
from portal.accounts.capabilities import Cap

S = Problem.Status


@dataclass(frozen=True)
class Move:
    name: str
    label: str
    source: tuple[str, ...]
    target: str
    cap: Cap
    who: str = "scope"  # "scope" | "above"
    needs_reason: bool = False
    needs_deadline: bool = False
    # Asked to confirm with a summary of what is sent (a page of its own, no script needed).
    confirm: bool = False


MOVES: dict[str, Move] = {
    move.name: move
    for move in (
        Move("assign", _("交办"), (S.REGISTERED,), S.ASSIGNED, Cap.EDIT_RECORDS, needs_deadline=False),
        Move("start", _("开始整改"), (S.ASSIGNED,), S.RECTIFYING, Cap.EDIT_RECORDS),
        Move("submit", _("提交核查"), (S.RECTIFYING,), S.SUBMITTED, Cap.EDIT_RECORDS, confirm=True),
        Move("verify_pass", _("核查通过并销号"), (S.SUBMITTED,), S.CLOSED, Cap.VERIFY, who="above", confirm=True),
        Move(
            "verify_fail",
            _("核查未通过，退回整改"),
            (S.SUBMITTED,),
            S.RECTIFYING,
            Cap.VERIFY,
            who="above",
            needs_reason=True,
            needs_deadline=True,
        ),
        Move(
            "reopen",
            _("重新打开"),
            (S.CLOSED,),
            S.RECTIFYING,
            Cap.VERIFY,
            who="above",
            needs_reason=True,
            needs_deadline=True,
        ),
    )
}


def moves_from(status: str) -> list[Move]:
    return [move for move in MOVES.values() if status in move.source]
