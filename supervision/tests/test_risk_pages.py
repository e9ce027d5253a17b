"""The 风险预警 pages: the landing page is the negative list (no more "正在建设中"), its tabs,
scoped lists with pinned query counts, adoption from the list above, the item page's forms, and
the incident pages (report, forward, follow-up, refusals shown with their reason)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from portal.accounts.models import Role, User
from portal.regions.models import EnforcementDomain, Region, Unit
from supervision.incidents import incident_report
from supervision.models import Incident, IncidentClass, IncidentReport, RiskItem
from supervision.risks import risk_item_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(db):
    def make(name, code, roles):
        return User.objects.create_user(name, region_id=code, roles=roles)

    return {
        "province": make("rp_province", "410000", [Role.PROVINCE_STAFF]),
        "city": make("rp_city", "410100", [Role.CITY_STAFF]),
        "county": make("rp_county", "410105", [Role.COUNTY_OFFICER]),
        "other": make("rp_other", "410303", [Role.COUNTY_OFFICER]),
    }


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def make_items(actor, code, n):
    for k in range(n):
        risk_item_create(
            actor=actor,
            region=Region.objects.get(code=code),
            code=f"FX-{code}-{k}",
            title=f"风险事项 {code}-{k}",
            domain=EnforcementDomain.objects.first(),
            description="描述",
            likelihood=1 + k % 5,
            impact=5 - k % 5,
            measures=[
                {"text": "措施一", "owner_kind": "first", "due_on": timezone.localdate()},
                {"text": "措施二", "owner_kind": "user", "owner_user": actor, "due_on": timezone.localdate()},
            ],
        )


def test_the_risks_tab_is_the_negative_list_with_its_tabs(people):
    make_items(people["city"], "410100", 2)
    page = client_for(people["city"]).get(reverse("supervision:risks"))
    body = page.content.decode()
    assert page.status_code == 200
    assert "本模块正在建设中" not in body
    assert "重大执法风险隐患负面清单" in body and 'id="risk-matrix"' in body
    assert "负面清单" in body and "突发事件" in body and reverse("supervision:incidents") in body
    assert "风险事项 410100-0" in body


@pytest.mark.parametrize("n", [3, 12])
def test_the_list_page_query_count_does_not_grow_with_the_items(people, n, django_assert_num_queries):
    make_items(people["city"], "410100", n)
    client = client_for(people["city"])
    client.get(reverse("supervision:risks"))  # warm the session and caches
    # the same number for 3 and 12 items: page count, items, measures with owners, the matrix counts
    with django_assert_num_queries(11):
        response = client.get(reverse("supervision:risks"))
    assert response.status_code == 200


@pytest.mark.parametrize("n", [2, 10])
def test_the_incident_list_query_count_does_not_grow(people, n, django_assert_num_queries):
    unit = Unit.objects.create(name="金水区执法大队", kind="agency", region_id="410105")
    for _k in range(n):
        incident_report(
            actor=people["county"],
            title="冲突",
            incident_class=IncidentClass.objects.get(code="conflict"),
            text="经过",
            unit=unit,
        )
    client = client_for(people["city"])
    client.get(reverse("supervision:incidents"))
    with django_assert_num_queries(10):
        response = client.get(reverse("supervision:incidents"))
    assert response.status_code == 200 and 'id="incident-strip"' in response.content.decode()


def test_a_city_adopts_a_province_item_from_the_page(people):
    make_items(people["province"], "410000", 1)
    source = RiskItem.objects.get(region_id="410000")
    client = client_for(people["city"])
    page = client.get(reverse("supervision:risks-above")).content.decode()
    assert source.title in page and "采用到本级" in page
    response = client.post(reverse("supervision:risks-above"), {"source": source.pk})
    adopted = RiskItem.objects.get(region_id="410100")
    assert response.status_code == 302 and response["Location"] == reverse("supervision:risk-item", args=[adopted.pk])
    again = client.post(reverse("supervision:risks-above"), {"source": source.pk}, follow=True)
    assert "已采用过" in again.content.decode()
    assert RiskItem.objects.filter(region_id="410100").count() == 1


def test_the_new_item_form_refuses_a_measure_without_a_date(people):
    client = client_for(people["city"])
    data = {
        "code": "FX-9",
        "title": "新风险",
        "domain": EnforcementDomain.objects.first().pk,
        "description": "描述",
        "likelihood": 3,
        "impact": 4,
        "review_every_months": 3,
        "m1_text": "措施",
        "m1_owner": "deputy",
    }
    response = client.post(reverse("supervision:risk-new"), data)
    assert response.status_code == 200 and "没有完成期限" in response.content.decode()
    assert not RiskItem.objects.exists()
    data["m1_due"] = "2027-01-31"
    response = client.post(reverse("supervision:risk-new"), data)
    item = RiskItem.objects.get()
    assert response.status_code == 302 and item.measures.get().owner_kind == "deputy"
    page = client.get(reverse("supervision:risk-item", args=[item.pk])).content.decode()
    assert "risk_item.create" in page and 'id="review-form"' in page


def test_review_and_retire_from_the_item_page_then_review_refused(people):
    make_items(people["city"], "410100", 1)
    item = RiskItem.objects.get()
    client = client_for(people["city"])
    url = reverse("supervision:risk-item", args=[item.pk])
    client.post(url, {"action": "review", "likelihood": 2, "impact": 2, "note": "已整改"})
    client.post(url, {"action": "retire", "reason": "不再适用"})
    item.refresh_from_db()
    assert item.status == "retired" and item.reviews.count() == 1
    page = client.get(url).content.decode()
    assert 'id="review-form"' not in page  # a retired item offers no review


def test_a_measure_is_marked_done_once_from_the_item_page_and_bad_dates_are_refused(people):
    from portal.audit.models import AuditEvent
    from supervision.models import RiskMeasure

    make_items(people["city"], "410100", 1)
    item = RiskItem.objects.get()
    measure = RiskMeasure.objects.filter(item=item).order_by("pk").first()
    client = client_for(people["city"])
    url = reverse("supervision:risk-item", args=[item.pk])
    assert f'id="done-{measure.pk}"' in client.get(url).content.decode()
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    page = client.post(url, {"action": "done", "measure_id": measure.pk, "done_on": tomorrow}).content.decode()
    assert "完成日期不能晚于今天" in page
    measure.refresh_from_db()
    assert measure.done_on is None
    other = RiskMeasure.objects.exclude(item=item).first()  # none: another item's id reads as unknown
    page = client.post(url, {"action": "done", "measure_id": (other.pk if other else 10**9), "done_on": tomorrow})
    assert "该事项没有这项防范措施" in page.content.decode()

    today = timezone.localdate()
    response = client.post(url, {"action": "done", "measure_id": measure.pk, "done_on": today})
    assert response.status_code == 302
    measure.refresh_from_db()
    assert measure.done_on == today
    assert AuditEvent.objects.filter(action="risk_measure.done", object_id=str(item.pk)).count() == 1
    again = client.post(url, {"action": "done", "measure_id": measure.pk, "done_on": today}).content.decode()
    assert "这项措施已记录完成" in again
    assert AuditEvent.objects.filter(action="risk_measure.done").count() == 1
    page = client.get(url).content.decode()
    assert f'id="done-{measure.pk}"' not in page and f"{today:%Y-%m-%d} 完成" in page
    # A reader of another region may not mark it (out of scope answers like missing).
    assert client_for(people["other"]).post(url, {"action": "done", "measure_id": measure.pk}).status_code == 404


def test_out_of_scope_item_and_incident_answer_like_missing(people):
    make_items(people["city"], "410100", 1)
    item = RiskItem.objects.get()
    client = client_for(people["other"])
    assert client.get(reverse("supervision:risk-item", args=[item.pk])).status_code == 404
    assert client.get(reverse("supervision:incident", args=[987654])).status_code == 404


def test_an_incident_journey_through_the_pages(people):
    Unit.objects.create(name="金水区执法大队", kind="agency", region_id="410105")
    county = client_for(people["county"])
    unit = Unit.objects.get(region_id="410105", name="金水区执法大队")
    response = county.post(
        reverse("supervision:incident-new"),
        {
            "title": "执法冲突",
            "incident_class": IncidentClass.objects.get(code="conflict").pk,
            "unit": unit.pk,
            "text": "经过",
            "occurred_at": "2020-01-01T08:00",
        },
    )
    incident = Incident.objects.get()
    assert response.status_code == 302
    assert abs(incident.received_at - timezone.now()) < dt.timedelta(minutes=1)  # never the typed time
    url = reverse("supervision:incident", args=[incident.pk])
    assert "报送市级" in county.get(url).content.decode()
    county.post(url, {"action": "forward"})
    again = county.post(url, {"action": "forward"}, follow=True).content.decode()
    assert "报省由市级账号办理" in again  # forwarded to the city already: the next step is the city's
    city = client_for(people["city"])
    assert "报送省级" in city.get(url).content.decode()
    city.post(url, {"action": "forward"})
    incident.refresh_from_db()
    assert incident.level == "province"
    twice = city.post(url, {"action": "forward"}, follow=True).content.decode()
    assert "不能重复报送" in twice
    city.post(url, {"action": "report", "kind": "final", "text": "处置完毕"})
    late = city.post(url, {"action": "report", "kind": "follow_up", "text": "补充"}, follow=True)
    assert late.status_code == 200 and "不能再续报或终报" in late.content.decode()
    assert IncidentReport.objects.filter(incident=incident).count() == 2
    assert not IncidentReport.objects.filter(kind="follow_up").exists()
