"""Henan's 四必究 rule, computed (DESIGN.md, reference facts):

- any breach of 八不准/六严禁 → the person and the station (team) head are held accountable;
- 3 or more person-times in a unit within the period → also the head of the enforcement agency;
- a serious or egregious case → also the transport authority.

One grouped SQL query over the accountability records of the period, scoped to the reader.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Q

from cases.models import Accountability
from portal.accounts.capabilities import Cap

AGENCY_HEAD_THRESHOLD = 3


@dataclass(frozen=True)
class UnitFlag:
    unit_id: int
    unit_name: str
    region_name: str
    person_times: int
    serious: int

    @property
    def agency_head(self) -> bool:
        """Accountability reaches the head of the enforcement agency."""
        return self.person_times >= AGENCY_HEAD_THRESHOLD

    @property
    def transport_authority(self) -> bool:
        """A serious case: accountability reaches the transport authority."""
        return self.serious > 0


def four_must_flags(user, *, start: dt.date, end: dt.date) -> list[UnitFlag]:
    """Units with discipline breaches decided in [start, end], most person-times first."""
    rows = (
        Accountability.objects.visible_to(user, Cap.VIEW_RECORDS)
        .filter(discipline_breach=True, decided_on__gte=start, decided_on__lte=end)
        .values("unit_id", "unit__name", "unit__region__name")
        .annotate(person_times=Count("id"), serious=Count("id", filter=Q(serious=True)))
        .order_by("-person_times", "unit_id")
    )
    return [
        UnitFlag(r["unit_id"], r["unit__name"], r["unit__region__name"], r["person_times"], r["serious"]) for r in rows
    ]
