"""Issue 20 §2: a leadership member (Role.LEADER, capability LOG_OWN_SERVICE) logs its OWN
station days and enterprise visits on /service/mine/, only at the stations and enterprises
assigned to it, never for another leader; staff with EDIT_RECORDS keep logging on behalf."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from portal.accounts.capabilities import Cap, has_cap
from portal.audit.models import AuditEvent
from portal.regions.models import Unit
from service import services
from service.models import StationDay, Visit, VisitIssue

pytestmark = pytest.mark.django_db


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def other(world):
    """Leader B in 西工区 with its own station, and a 金水区 station nobody assigned."""
    station_b = Unit.objects.create(name="西工区治超站", kind=Unit.Kind.STATION, region_id="410303")
    services.leader_set(actor=world["outsider"], user=world["leader_b"], post="西工区交通运输局局长")
    services.assignment_add(actor=world["outsider"], leader=world["leader_b"], station=station_b)
    loose = Unit.objects.create(name="金水区北站", kind=Unit.Kind.STATION, region_id="410105")
    return {"station_b": station_b, "loose": loose}


def test_the_leader_role_has_the_capability_and_staff_keep_theirs(world):
    assert has_cap(world["leader"], Cap.LOG_OWN_SERVICE) and not has_cap(world["leader"], Cap.EDIT_RECORDS)
    assert not has_cap(world["county"], Cap.LOG_OWN_SERVICE) and has_cap(world["county"], Cap.EDIT_RECORDS)


def test_a_leader_logs_its_own_station_day_and_visit(world, django_assert_max_num_queries):
    leader, yesterday = world["leader"], timezone.localdate() - dt.timedelta(days=1)
    client = signed_in(leader)
    page = client.get(reverse("service:mine"))
    body = page.content.decode()
    assert page.status_code == 200 and world["station"].name in body and world["enterprise"].name in body
    assert 'href="/service/mine/"' in body  # in the main navigation for a leader
    response = client.post(
        reverse("service:mine"),
        {"what": "day", "station": world["station"].pk, "day": yesterday.isoformat(), "public_opinions": "排队久"},
    )
    assert response.status_code == 302
    day = StationDay.objects.get()
    assert (day.leader, day.created_by, day.station, day.day) == (leader, leader, world["station"], yesterday)
    response = client.post(
        reverse("service:mine"),
        {
            "what": "visit",
            "enterprise": world["enterprise"].pk,
            "visited_on": yesterday.isoformat(),
            "form": Visit.Form.choices[0][0],
            "issues": "停车难\n办证慢",
        },
    )
    assert response.status_code == 302
    visit = Visit.objects.get()
    assert (visit.leader, visit.created_by, visit.enterprise) == (leader, leader, world["enterprise"])
    assert VisitIssue.objects.filter(visit=visit).count() == 2
    assert set(AuditEvent.objects.filter(actor=leader).values_list("action", flat=True)) >= {
        "service.station_day",
        "service.visit_log",
    }
    with django_assert_max_num_queries(13):  # the same with one record or twenty (lists capped at 20)
        body = client.get(reverse("service:mine")).content.decode()
    assert "停车难" in body and "排队久" in body and 'id="my-month"' in body


def test_never_for_another_leader(world, other):
    leader, yesterday = world["leader"], timezone.localdate() - dt.timedelta(days=1)
    with pytest.raises(PermissionDenied):
        services.station_day_log(actor=leader, leader=world["leader_b"], station=other["station_b"], day=yesterday)
    with pytest.raises(PermissionDenied):
        services.visit_log(
            actor=leader, leader=world["leader_b"], enterprise=world["enterprise"], visited_on=yesterday, form="one"
        )
    client = signed_in(leader)
    # another leader's station is no choice of the form; a leader posted along is ignored
    response = client.post(
        reverse("service:mine"),
        {"what": "day", "leader": world["leader_b"].pk, "station": other["station_b"].pk, "day": yesterday},
    )
    assert response.status_code == 400 and not StationDay.objects.exists()
    response = client.post(
        reverse("service:mine"),
        {"what": "day", "leader": world["leader_b"].pk, "station": world["station"].pk, "day": yesterday},
    )
    assert response.status_code == 302
    assert StationDay.objects.get().leader == leader  # its own, whatever was posted
    # leader B's page shows nothing of leader A's
    body = signed_in(world["leader_b"]).get(reverse("service:mine")).content.decode()
    assert world["station"].name not in body and other["station_b"].name in body


def test_only_within_its_assignments_and_bad_input_refused(world, other):
    leader, today = world["leader"], timezone.localdate()
    client = signed_in(leader)
    # a station in its region but not assigned to it
    response = client.post(reverse("service:mine"), {"what": "day", "station": other["loose"].pk, "day": today})
    assert response.status_code == 400 and not StationDay.objects.exists()
    with pytest.raises(Exception, match="请先分配驻点站所"):
        services.station_day_log(actor=leader, leader=leader, station=other["loose"], day=today)
    # a future date: the service's message on the page
    response = client.post(
        reverse("service:mine"),
        {"what": "day", "station": world["station"].pk, "day": (today + dt.timedelta(days=1)).isoformat()},
    )
    assert response.status_code == 400 and "驻点日期不能晚于今天" in response.content.decode()
    # two days on one date count once
    assert client.post(reverse("service:mine"), {"what": "day", "station": world["station"].pk, "day": today})
    response = client.post(reverse("service:mine"), {"what": "day", "station": world["station"].pk, "day": today})
    assert response.status_code == 400 and "同一天只计一次" in response.content.decode()
    assert StationDay.objects.count() == 1
    # a visit to an enterprise not assigned to it
    from service.tests.conftest import valid_code

    stranger = services.enterprise_register(
        actor=world["county"],
        name="郑州金水客运有限公司",
        credit_code=valid_code("91410105MA44R2J2X"),
        kind="passenger",
        size="small",
        region="410105",
    )
    with pytest.raises(Exception, match="只能登记对所联系企业的走访"):
        services.visit_log(actor=leader, leader=leader, enterprise=stranger, visited_on=today, form="one")
    response = client.post(
        reverse("service:mine"),
        {"what": "visit", "enterprise": stranger.pk, "visited_on": today, "form": Visit.Form.choices[0][0]},
    )
    assert response.status_code == 400 and not Visit.objects.exists()


def test_staff_keep_logging_on_behalf_and_the_pages_stay_apart(world):
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    county = signed_in(world["county"])
    response = county.post(
        reverse("service:station-days"),
        {"leader": world["leader"].pk, "station": world["station"].pk, "day": yesterday.isoformat()},
    )
    assert response.status_code == 302
    day = StationDay.objects.get()
    assert (day.leader, day.created_by) == (world["leader"], world["county"])
    assert county.get(reverse("service:mine")).status_code == 404  # staff have no page of their own
    leader = signed_in(world["leader"])
    assert leader.get(reverse("service:station-days")).status_code == 404  # nor leaders the registers
    assert leader.get(reverse("service:visits")).status_code == 404
    assert world["station"].name in leader.get(reverse("service:mine")).content.decode()
    assert Client().get(reverse("service:mine")).status_code == 302  # anonymous: the login page


def test_the_reminder_link_takes_each_recipient_where_it_may_act(world):
    url = reverse("service:station-days-go")
    assert signed_in(world["leader"]).get(url)["Location"] == reverse("service:mine")
    assert signed_in(world["county"]).get(url)["Location"] == reverse("service:station-days")
