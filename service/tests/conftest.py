"""Shared fixtures of the service tests: personas (province, city, county, an outsider county)
and a leader with an enterprise and a station assigned."""

from __future__ import annotations

import pytest

from portal.accounts.models import Role, User
from portal.regions.models import Unit
from service import services
from service.creditcode import check_character


def valid_code(prefix: str) -> str:
    first = prefix[:17].ljust(17, "0")
    return first + check_character(first)


@pytest.fixture
def people(db):
    def make(name, code, role, **extra):
        return User.objects.create_user(name, region_id=code, roles=[role], **extra)

    return {
        "province": make("svc-province", "410000", Role.PROVINCE_STAFF),
        "city": make("svc-city", "410100", Role.CITY_STAFF),
        "county": make("svc-county", "410105", Role.COUNTY_OFFICER),
        "outsider": make("svc-outsider", "410303", Role.COUNTY_OFFICER),
        "leader": make("svc-leader", "410105", Role.LEADER, first_name="王", last_name="局长"),
        "leader_b": make("svc-leader-b", "410303", Role.LEADER, first_name="李", last_name="队长"),
    }


@pytest.fixture
def world(people):
    county = people["county"]
    station = Unit.objects.create(name="金水区治超站", kind=Unit.Kind.STATION, region_id="410105")
    enterprise = services.enterprise_register(
        actor=county,
        name="郑州金水物流有限公司",
        credit_code=valid_code("91410105MA44R2J1X"),
        kind="freight",
        size="medium",
        region="410105",
    )
    services.leader_set(
        actor=county, user=people["leader"], post="金水区交通运输局局长", phone="0371-66660001", published=True
    )
    services.assignment_add(actor=county, leader=people["leader"], enterprise=enterprise)
    services.assignment_add(actor=county, leader=people["leader"], station=station)
    return {**people, "station": station, "enterprise": enterprise}
