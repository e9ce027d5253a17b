import io

import pytest
from django.core.management import call_command

from supervision.models import Referral, StationLog, SupervisionItem

pytestmark = pytest.mark.django_db


def test_demo_seed_has_items_in_every_state_reached_by_the_demo_logins():
    out = io.StringIO()
    call_command("seed_demo", scale="small", stdout=out)
    items = SupervisionItem.objects.filter(candidate_key__startswith="demo:")
    assert set(items.values_list("status", flat=True)) == set(SupervisionItem.Status.values)
    assert items.filter(failed_acceptances=1, status="rectifying").exists()
    assert items.filter(level="city").exists() and StationLog.objects.exists() and Referral.objects.exists()
    assert all(item.team.filter(username="jiandu").exists() for item in items)
    assert set(items.values_list("region_id", flat=True)) <= {"410105", "410122", "410100"}


def test_demo_seed_has_a_negative_list_per_level_and_an_incident_on_time_and_one_late():
    from supervision.models import Incident, RiskItem

    call_command("seed_demo", scale="small", stdout=io.StringIO())
    assert set(RiskItem.objects.values_list("region_id", flat=True)) == {"410000", "410100", "410105"}
    assert RiskItem.objects.filter(region_id="410100", adopted_from__region_id="410000").exists()
    assert all(item.measures.exists() for item in RiskItem.objects.all())
    incidents = list(Incident.objects.all())
    assert len(incidents) == 2
    on_time = [i for i in incidents if not i.city_late and not i.province_late]
    late = [i for i in incidents if i.city_late and i.province_late]
    assert len(on_time) == 1 and on_time[0].status == "closed"
    assert len(late) == 1 and late[0].status == "open"
    call_command("seed_demo", scale="small", stdout=io.StringIO())  # re-running adds nothing
    assert Incident.objects.count() == 2
