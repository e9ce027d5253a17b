"""The complaint workflow as data: which move goes from which state to which, and who may make it.

received ─accept→ accepted ─reply→ replied ─callback→ called_back ─close→ closed
replied ─callback (不满意, 重办)→ accepted            replied ─close_without_callback→ closed
received/accepted ─request_return (退单)→ return_requested ─approve_return→ received (another unit)
                                                          └─refuse_return→ accepted
received/accepted ─reroute (改派)→ received (another unit)
received/accepted ─reject (不予受理)→ closed         closed ─reopen (重办)→ accepted

``who`` names the actor's relation to the complaint, checked by ``complaints.services``:
- ``scope``: anyone with the capability whose subtree holds the handling unit's region;
- ``above``: the level above the handling unit's region (a city for its counties, the province
  for cities and for itself), as returns, reroutes, reopening and extensions need.

Merging a duplicate (并案) closes it through ``complaint_merge``, not through this table.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from complaints.models import Complaint
from portal.accounts.capabilities import Cap

S = Complaint.Status


@dataclass(frozen=True)
class Move:
    name: str
    label: str
    source: tuple[str, ...]
    target: str
    cap: Cap
    who: str = "scope"  # "scope" | "above"
    needs_reason: bool = False
    needs_unit: bool = False  # a new handling unit (reroute, approved return)
    style: str = "primary"  # the button's look on the detail page


MOVES: dict[str, Move] = {
    move.name: move
    for move in (
        Move("accept", _("受理"), (S.RECEIVED,), S.ACCEPTED, Cap.EDIT_RECORDS),
        Move("reply", _("答复投诉人"), (S.ACCEPTED,), S.REPLIED, Cap.EDIT_RECORDS, needs_reason=True),
        Move("callback", _("回访（满意/基本满意）"), (S.REPLIED,), S.CALLED_BACK, Cap.EDIT_RECORDS),
        Move(
            "callback_unsatisfied", _("回访不满意，重办"), (S.REPLIED,), S.ACCEPTED, Cap.EDIT_RECORDS, style="warning"
        ),
        Move("close", _("办结"), (S.CALLED_BACK,), S.CLOSED, Cap.EDIT_RECORDS, style="success"),
        Move(
            "close_without_callback",
            _("无法回访，说明理由办结"),
            (S.REPLIED,),
            S.CLOSED,
            Cap.EDIT_RECORDS,
            needs_reason=True,
            style="secondary",
        ),
        Move(
            "reject",
            _("不予受理"),
            (S.RECEIVED, S.ACCEPTED),
            S.CLOSED,
            Cap.EDIT_RECORDS,
            needs_reason=True,
            style="secondary",
        ),
        Move(
            "request_return",
            _("申请退单"),
            (S.RECEIVED, S.ACCEPTED),
            S.RETURN_REQUESTED,
            Cap.EDIT_RECORDS,
            needs_reason=True,
            style="warning",
        ),
        Move(
            "approve_return",
            _("同意退单并改派"),
            (S.RETURN_REQUESTED,),
            S.RECEIVED,
            Cap.VERIFY,
            who="above",
            needs_unit=True,
        ),
        Move(
            "refuse_return",
            _("驳回退单"),
            (S.RETURN_REQUESTED,),
            S.ACCEPTED,
            Cap.VERIFY,
            who="above",
            needs_reason=True,
            style="warning",
        ),
        Move(
            "reroute",
            _("改派"),
            (S.RECEIVED, S.ACCEPTED),
            S.RECEIVED,
            Cap.VERIFY,
            who="above",
            needs_reason=True,
            needs_unit=True,
            style="secondary",
        ),
        Move(
            "reopen",
            _("重新办理"),
            (S.CLOSED,),
            S.ACCEPTED,
            Cap.VERIFY,
            who="above",
            needs_reason=True,
            style="warning",
        ),
    )
}


def moves_from(status: str) -> list[Move]:
    return [move for move in MOVES.values() if status in move.source]
