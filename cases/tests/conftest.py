"""Fixtures of the enforcement case data: violation items, two agencies, a unit's case system
with its API token."""

from __future__ import annotations

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from cases.enforcement.models import CaseUploadClient, ViolationItem
from portal.accounts.models import User
from portal.regions.models import Unit


@pytest.fixture
def items(db):
    return {
        "CZ001": ViolationItem.objects.create(code="CZ001", name="车辆超限运输", legal_basis="《公路法》第七十六条"),
        "YS002": ViolationItem.objects.create(
            code="YS002", name="未随车携带道路运输证", legal_basis="《道路运输条例》", exempt_first_offence=True
        ),
    }


@pytest.fixture
def agency(db):
    return Unit.objects.create(name="金水区执法大队", kind=Unit.Kind.ENFORCEMENT_AGENCY, region_id="410105")


@pytest.fixture
def other_agency(db):
    return Unit.objects.create(name="西工区执法大队", kind=Unit.Kind.ENFORCEMENT_AGENCY, region_id="410303")


@pytest.fixture
def system(agency):
    """The account of 金水区's case system (registered as its unit's upload client)."""
    user = User.objects.create_user("case_system_jinshui", region_id="410105")
    CaseUploadClient.objects.create(user=user, unit=agency, name="金水区执法办案系统")
    return user


@pytest.fixture
def system_api(system):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=system).key}")
    return client
