"""The complaint API: token intake (idempotent), per-field 400s, masking, scoping, workflow."""

from __future__ import annotations

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from complaints.models import Complaint

pytestmark = pytest.mark.django_db

INTAKE = "/api/v1/complaints/intake/"


@pytest.fixture
def hotline_api(hotline):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=hotline.user).key}")
    return client


def api_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def work_order(**overrides):
    body = {
        "external_id": "GD202611250001",
        "kind": "complaint",
        "area": "road_transport",
        "subject": "网约车绕路多收费",
        "description": "乘客反映网约车司机绕路，多收费用 30 元。",
        "region": "410105",
        "complainant_name": "王五",
        "phone": "13912345678",
        "id_number": "11010519491231002X",
        "plate": "豫A·D12345",
    }
    body.update(overrides)
    return body


def test_a_work_order_posted_twice_gives_201_then_200_with_the_same_complaint(hotline_api, units):
    first = hotline_api.post(INTAKE, work_order(), format="json")
    assert first.status_code == 201, first.content
    again = hotline_api.post(INTAKE, work_order(subject="重试"), format="json")
    assert again.status_code == 200
    assert again.json()["id"] == first.json()["id"] and again.json()["created"] is False
    assert Complaint.objects.count() == 1
    complaint = Complaint.objects.get()
    assert complaint.channel == "12328" and complaint.intake_client.user.username == "api_12328"


def test_12328_work_orders_need_their_number(hotline_api, units):
    response = hotline_api.post(INTAKE, work_order(external_id=""), format="json")
    assert response.status_code == 400 and "external_id" in response.json()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("subject", "长" * 201),
        ("description", "x" * 5001),
        ("region", "41010"),
        ("region", "abcdef"),
        ("phone", "12ab"),
        ("id_number", "110105194912310021"),  # wrong check digit
        ("plate", "ABC"),
        ("area", "railway"),
        ("kind", "gossip"),
        ("latitude", "91"),
        ("unit", -3),
        ("received_at", "2001-01-01T00:00:00Z"),
        ("incident_on", "1899-01-01"),
        ("category", "no-such-category"),
        ("subject", "nul\x00byte"),
        ("external_id", "x" * 65),
    ],
)
def test_malformed_or_oversized_fields_get_400_naming_the_field(hotline_api, units, field, value):
    response = hotline_api.post(INTAKE, work_order(**{field: value}), format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()
    assert Complaint.objects.count() == 0


def test_a_region_without_units_is_a_400_not_a_crash(hotline_api, units):
    response = hotline_api.post(INTAKE, work_order(region="419001"), format="json")  # 济源: no units
    # 济源 hangs under the province: the province's authority takes it
    assert response.status_code == 201


def test_not_json_and_not_an_object_are_400(hotline_api, units):
    assert hotline_api.post(INTAKE, "[1, 2]", content_type="application/json").status_code == 400
    assert hotline_api.post(INTAKE, "{not json", content_type="application/json").status_code == 400


def test_only_clients_and_staff_may_post(units, people):
    assert APIClient().post(INTAKE, work_order(), format="json").status_code == 401
    assert api_for(people["auditor"]).post(INTAKE, work_order(), format="json").status_code == 404
    staff = api_for(people["county"]).post(INTAKE, work_order(external_id="", channel="letter"), format="json")
    assert staff.status_code == 201 and Complaint.objects.get().channel == "letter"


def test_lists_and_details_mask_personal_data_and_stay_in_scope(hotline_api, units, people):
    hotline_api.post(INTAKE, work_order(), format="json")
    complaint = Complaint.objects.get()
    listing = api_for(people["county"]).get("/api/v1/complaints/").json()
    row = listing["results"][0]
    assert row["complainant_name"] == "王*" and row["plate"] == "豫A·****45"
    detail = api_for(people["county"]).get(f"/api/v1/complaints/{complaint.pk}/").json()
    assert detail["phone"] == "139****5678" and detail["id_number"] == "1101**********002X"
    assert "13912345678" not in str(detail)
    assert api_for(people["county_b"]).get(f"/api/v1/complaints/{complaint.pk}/").status_code == 404
    assert api_for(people["county_b"]).get("/api/v1/complaints/").json()["count"] == 0
    # search by phone goes through the keyed hash
    found = api_for(people["city"]).get("/api/v1/complaints/", {"q": "139-1234-5678"}).json()
    assert found["count"] == 1


def test_the_loop_through_the_api(hotline_api, units, people):
    hotline_api.post(INTAKE, work_order(), format="json")
    complaint = Complaint.objects.get()
    county = api_for(people["county"])
    url = f"/api/v1/complaints/{complaint.pk}/"
    moves = county.get(url + "transitions/").json()
    assert [m["name"] for m in moves["moves"]][:1] == ["accept"]
    assert (
        county.post(url + "transitions/", {"move": "accept", "expected_version": 1}, format="json").status_code == 200
    )
    stale = county.post(url + "transitions/", {"move": "reply", "expected_version": 1, "reason": "x"}, format="json")
    assert stale.status_code == 409
    no_text = county.post(url + "transitions/", {"move": "reply"}, format="json")
    assert no_text.status_code == 400 and "reason" in no_text.json()
    replied = county.post(
        url + "transitions/", {"move": "reply", "reason": "已约谈司机并退还多收费用。"}, format="json"
    )
    assert replied.json()["status"] == "replied"
    called = county.post(url + "callbacks/", {"satisfaction": "satisfied", "note": "满意"}, format="json")
    assert called.json()["status"] == "called_back"
    closed = county.post(url + "transitions/", {"move": "close"}, format="json")
    assert closed.json()["status"] == "closed" and closed.json()["close_kind"] == "callback"
    timeline = county.get(url + "timeline/").json()
    titles = [entry["title"] for entry in timeline]
    assert titles[0] == "登记" and "办结" in titles and any(t.startswith("答复") for t in titles)


def test_statistics(hotline_api, units, people):
    hotline_api.post(INTAKE, work_order(), format="json")
    stats = api_for(people["city"]).get("/api/v1/complaints/statistics/").json()
    assert stats["totals"]["total"] == 1 and stats["by_month"][0]["total"] == 1
    assert api_for(people["auditor"]).get("/api/v1/complaints/statistics/").status_code == 404
    # the benchmark's trivial endpoint is no route of the portal
    assert APIClient().get("/api/v1/complaints/ping/").status_code == 404
