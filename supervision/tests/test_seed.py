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
