"""Fixtures for the complaint loop: people of every level, units in the demo regions, a helper
that submits like the 12328 platform. Real PostgreSQL and Redis, as everywhere."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from complaints import services
from complaints.models import Channel, IntakeClient, RoutingRule
from complaints.routing import refdata_changed
from portal.accounts.models import Role, User
from portal.regions.models import Unit
from portal.workdays.calendar import bump_version

UNITS = {
    # region: (authority, enforcement agency)
    "410000": ("河南省交通运输厅", "河南省交通运输综合行政执法局"),
    "410100": ("郑州市交通运输局", "郑州市交通运输综合行政执法支队"),
    "410105": ("金水区交通运输局", "金水区交通运输综合行政执法大队"),
    "410122": ("中牟县交通运输局", "中牟县交通运输综合行政执法大队"),
    "410300": ("洛阳市交通运输局", "洛阳市交通运输综合行政执法支队"),
    "410303": ("西工区交通运输局", "西工区交通运输综合行政执法大队"),
}


@pytest.fixture(autouse=True)
def _fresh_state():
    """Empty cache (throttles, calendar, reference data) and reference data read afresh."""
    cache.clear()
    bump_version()
    refdata_changed()
    yield
    cache.clear()
    refdata_changed()


@pytest.fixture
def units(db):
    made = {}
    for code, (authority, agency) in UNITS.items():
        made[(code, "authority")] = Unit.objects.create(name=authority, kind=Unit.Kind.AUTHORITY, region_id=code)
        made[(code, "agency")] = Unit.objects.create(name=agency, kind=Unit.Kind.ENFORCEMENT_AGENCY, region_id=code)
    made[("410105", "station")] = Unit.objects.create(
        name="金水区治超执法站", kind=Unit.Kind.STATION, region_id="410105", parent=made[("410105", "agency")]
    )
    # The demo rule table: road transport in 金水区 goes to its enforcement agency.
    RoutingRule.objects.create(region_id="410105", area="road_transport", unit=made[("410105", "agency")])
    RoutingRule.objects.create(region_id="410105", area="highway", unit=made[("410105", "station")])
    refdata_changed()
    return made


@pytest.fixture
def people(db):
    def make(name, code, role):
        return User.objects.create_user(name, region_id=code, roles=[role])

    return {
        "county": make("county", "410105", Role.COUNTY_OFFICER),
        "county2": make("county2", "410122", Role.COUNTY_OFFICER),
        "county_b": make("county_b", "410303", Role.COUNTY_OFFICER),
        "city": make("city", "410100", Role.CITY_STAFF),
        "city_b": make("city_b", "410300", Role.CITY_STAFF),
        "province": make("province", "410000", Role.PROVINCE_STAFF),
        "auditor": make("auditor", "410000", Role.SECURITY_AUDITOR),
    }


@pytest.fixture
def hotline(db):
    """The 12328 platform as an API client."""
    user = User.objects.create_user("api_12328", region_id="410000")
    return IntakeClient.objects.create(user=user, name="12328 交通运输服务监督电话", channel=Channel.HOTLINE_12328)


@pytest.fixture
def submit(units, hotline):
    def submit(**overrides):
        values = {
            "actor": hotline.user,
            "intake_client": hotline,
            "channel": Channel.HOTLINE_12328,
            "area": "road_transport",
            "kind": "complaint",
            "subject": "出租车拒载并辱骂乘客",
            "description": "2026年11月在金水区花园路，一辆出租车拒载，司机态度恶劣。",
            "region": "410105",
            "complainant_name": "张三",
            "phone": "13800001234",
            "plate": "豫A12345",
        }
        values.update(overrides)
        complaint, _created = services.complaint_submit(**values)
        return complaint

    return submit
