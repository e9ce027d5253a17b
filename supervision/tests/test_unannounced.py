"""Unannounced means unannounced (issue 17 §4, 四不两直): before ``starts_on`` the target unit's
accounts and accounts of the target region (and regions between it and the organiser; the
organiser's region and those above it excepted) get the 404
of a missing object on every activity route, and the activity is absent from lists and counts;
once the visit starts they see it. Routes come from the resolver, as in the authorization
matrix, so a new activity route joins automatically."""

from __future__ import annotations

import pytest
from django.test import Client

from portal.accounts.models import Role, User
from supervision import activities
from supervision.models import Activity, ActivityTarget, Finding, InspectionRecord
from supervision.tests import factories as f
from tests.test_authorization_matrix import MISSING_PK, all_routes, normalise, rule_of, url_for

pytestmark = pytest.mark.django_db
MODELS = (Activity, ActivityTarget, Finding, InspectionRecord)


def _objects(activity):
    target = activity.targets.get()
    record = InspectionRecord.objects.filter(target=target).first()
    return {
        Activity: activity,
        ActivityTarget: target,
        InspectionRecord: record,
        Finding: Finding.objects.filter(activity=activity).first(),
    }


def _routes():
    out = []
    for route in all_routes():
        rule = rule_of(route)
        if rule not in (None, "admin") and getattr(rule, "model", None) in MODELS:
            out.append((route, rule.model))
    return out


def _client(user):
    client = Client()
    client.force_login(user)
    return client


def test_embargo_before_the_start_and_visible_after(settings):
    city = f.user("city_org", "410300", Role.CITY_STAFF)
    province = f.user("prov_staff", "410000")
    f.pool(city, ["410302", "410300"])
    unit = f.unit("410303", name="洛阳某县执法站")
    act = f.activity(city, title="EMBARGO 异地执法监督")
    activities.target_add(actor=city, activity=act, unit=unit)
    hidden_from = {
        "unit account": User.objects.create_user(
            "unit_acc", region_id="410303", unit=unit, roles=[Role.COUNTY_OFFICER]
        ),
        "target county": User.objects.create_user("county_acc", region_id="410303", roles=[Role.COUNTY_OFFICER]),
    }
    organiser_peer = User.objects.create_user("city_peer", region_id="410300", roles=[Role.CITY_STAFF])
    routes = _routes()
    assert {r.name for r, _m in routes} >= {"supervision:activity", "supervision:visit", "supervision:activities"}

    def check(visible: bool):
        objects = _objects(act)
        for who, user in hidden_from.items():
            client = _client(user)
            assert (Activity.objects.visible_to(user).filter(pk=act.pk).count() == 1) is visible, who
            assert (ActivityTarget.objects.visible_to(user).filter(activity=act).exists()) is visible, who
            for route, model in routes:
                is_detail = "pk" in route.kwargs
                if not is_detail:
                    body = client.get(url_for(route)).content.decode()
                    assert ("EMBARGO" in body) is visible, (who, route.name)
                    continue
                obj = objects.get(model)
                if obj is None:
                    continue
                missing_url = url_for(route, MISSING_PK)
                missing = client.get(missing_url)
                url = url_for(route, obj.pk)
                response = client.get(url)
                if visible:
                    assert response.status_code in (200, 405), (who, route.name, response.status_code)
                else:
                    assert response.status_code == 404, (who, route.name)
                    same = normalise(response.content, url) == normalise(missing.content, missing_url)
                    assert same, (who, route.name)
        # the organiser's own region, and the province above it, always see it
        assert Activity.objects.visible_to(organiser_peer).filter(pk=act.pk).exists()
        assert Activity.objects.visible_to(province).filter(pk=act.pk).exists()

    check(visible=False)
    f.drawn_team(city, act, size=2)
    check(visible=False)
    act = f.start_now(act)
    check(visible=True)
