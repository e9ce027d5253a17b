"""What staff may do with a monitoring warning, as data (the mechanism of ``cases/transitions.py``
and ``supervision/transitions.py``; the service is ``warning_services.warning_transition``).

open → acknowledged (确认: seen, being looked into)
open | acknowledged → intervened (干预: an intervention recorded — 约谈, 提醒, 专项检查 …)
open | acknowledged → dismissed (排除: with a reason; staff of the verifying level only, so a
unit's own officers cannot dismiss the warnings about themselves)
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from portal.accounts.capabilities import Cap
from supervision.warning_models import MonitoringWarning

W = MonitoringWarning.Status


@dataclass(frozen=True)
class Move:
    name: str
    label: str
    source: tuple[str, ...]
    target: str
    cap: Cap
    needs_intervention: bool = False
    needs_note: bool = False


MOVES: dict[str, Move] = {
    move.name: move
    for move in (
        Move("acknowledge", _("确认预警"), (W.OPEN,), W.ACKNOWLEDGED, Cap.EDIT_RECORDS),
        Move(
            "intervene",
            _("记录干预措施"),
            (W.OPEN, W.ACKNOWLEDGED),
            W.INTERVENED,
            Cap.EDIT_RECORDS,
            needs_intervention=True,
            needs_note=True,
        ),
        Move("dismiss", _("排除预警"), (W.OPEN, W.ACKNOWLEDGED), W.DISMISSED, Cap.VERIFY, needs_note=True),
    )
}


def moves_from(status: str) -> list[Move]:
    return [move for move in MOVES.values() if status in move.source]
