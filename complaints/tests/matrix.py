"""The authorization matrix's objects for the complaint loop: one of each scoped model per
region, showing ``marker(code)`` where its list pages and list APIs show it."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from complaints.models import Complaint, RoutingRule, VolunteerSupervisor
from portal.regions.models import Unit
from tests.matrix_objects import marker


def _unit(code: str) -> Unit:
    return Unit.objects.get_or_create(
        name=f"{marker(code)} 投诉承办单位", region_id=code, defaults={"kind": Unit.Kind.AUTHORITY}
    )[0]


def _complaint(code: str) -> Complaint:
    unit = _unit(code)
    today = timezone.localdate()
    return Complaint.objects.create(
        tracking_number=f"MX{code}",
        channel="web",
        kind="complaint",
        area="highway",
        subject=f"{marker(code)} 路政人员乱收费",
        description="matrix",
        region_id=code,
        handling_unit=unit,
        handling_region_id=code,
        accept_deadline=today + dt.timedelta(days=1),
        deadline=today + dt.timedelta(days=21),
        deadline_warn_from=today + dt.timedelta(days=20),
    )


def _rule(code: str) -> RoutingRule:
    return RoutingRule.objects.create(region_id=code, area="water_rescue", unit=_unit(code), note=marker(code))


def _volunteer(code: str) -> VolunteerSupervisor:
    return VolunteerSupervisor.objects.create(
        number=f"V{code}", name="义务监督员", phone="13900000000", organisation=marker(code), region_id=code
    )


FACTORIES = {Complaint: _complaint, RoutingRule: _rule, VolunteerSupervisor: _volunteer}
