import pytest
from django.core.exceptions import ValidationError

from portal.accounts.capabilities import Cap
from portal.accounts.models import Role, User
from portal.accounts.scoping import OutOfScope, ensure_writable, get_visible_or_404
from portal.regions.models import Region, Unit

pytestmark = pytest.mark.django_db


def make_user(code, role):
    return User.objects.create_user(f"u{code}{role}", region=Region.objects.get(code=code), roles=[role])


@pytest.fixture
def units():
    return {
        code: Unit.objects.create(name=f"单位{code}", kind="agency", region_id=code)
        for code in ("410000", "410100", "410105", "410122", "410300", "410303")
    }


def test_county_city_province_see_their_subtrees(units):
    county = make_user("410105", Role.COUNTY_OFFICER)
    city = make_user("410100", Role.CITY_STAFF)
    province = make_user("410000", Role.PROVINCE_STAFF)
    visible = lambda u: set(Unit.objects.visible_to(u).values_list("region_id", flat=True))  # noqa: E731
    assert visible(county) == {"410105"}
    assert visible(city) == {"410100", "410105", "410122"}
    assert visible(province) == set(units)


def test_scoped_count_is_one_query(units, django_assert_num_queries):
    city = make_user("410100", Role.CITY_STAFF)
    city = User.objects.select_related("region").get(pk=city.pk)
    with django_assert_num_queries(1):
        assert Unit.objects.visible_to(city).count() == 3


def test_without_the_capability_nothing_is_visible(units):
    auditor = make_user("410000", Role.SECURITY_AUDITOR)
    assert Unit.objects.visible_to(auditor, Cap.VIEW_RECORDS).count() == 0
    assert Unit.objects.visible_to(auditor, None).count() == len(units)


def test_out_of_scope_is_exactly_like_missing(units):
    county = make_user("410105", Role.COUNTY_OFFICER)
    with pytest.raises(OutOfScope):
        get_visible_or_404(Unit, county, pk=units["410303"].pk)
    with pytest.raises(OutOfScope):
        get_visible_or_404(Unit, county, pk=999999)
    with pytest.raises(OutOfScope):
        get_visible_or_404(Unit, county, pk="not-a-number")
    assert get_visible_or_404(Unit, county, pk=units["410105"].pk) == units["410105"]


def test_writes_pointing_elsewhere_are_refused(units):
    county = make_user("410105", Role.COUNTY_OFFICER)
    ensure_writable(county, region="410105")
    with pytest.raises(ValidationError) as info:
        ensure_writable(county, region="410122")
    assert "region" in info.value.message_dict
    with pytest.raises(ValidationError) as info:
        ensure_writable(county, unit=units["410303"])
    assert "unit" in info.value.message_dict
    with pytest.raises(ValidationError):
        ensure_writable(county, region="999999")  # a forged region id
