"""Open311 GeoReport v2: services, requests POST and GET, requests/{id}, JSON and XML."""
# ruff: noqa: S314 - the XML parsed here is the portal's own answer

from __future__ import annotations

import json
from xml.etree import ElementTree as ET

import pytest
from django.test import Client
from rest_framework.authtoken.models import Token

from complaints.models import Complaint, IntakeClient
from portal.accounts.models import User

pytestmark = pytest.mark.django_db


@pytest.fixture
def open311_key(units):
    user = User.objects.create_user("open311_app", region_id="410000")
    IntakeClient.objects.create(user=user, name="城市服务 App（Open311）", channel="open311")
    return Token.objects.create(user=user).key


def post(key, **overrides):
    data = {
        "api_key": key,
        "service_code": "road_transport",
        "jurisdiction_id": "410105",
        "lat": "34.7901",
        "long": "113.6690",
        "address_string": "郑州市金水区花园路",
        "description": "出租车司机拒载并辱骂乘客，车牌 豫A12345，我的电话 13800001234。",
        "first_name": "三",
        "last_name": "张",
        "phone": "13800001234",
    }
    data.update(overrides)
    return Client().post(f"/open311/v2/requests.{overrides.pop('format', 'json')}", data)


def test_services_in_json_and_xml():
    services = json.loads(Client().get("/open311/v2/services.json").content)
    assert {s["service_code"] for s in services} >= {"highway", "road_transport", "urban_transit"}
    assert services[0]["metadata"] is False and services[0]["type"] == "realtime"
    xml = ET.fromstring(Client().get("/open311/v2/services.xml").content)
    assert xml.tag == "services" and xml.find("service/service_code").text == "highway"


def test_post_then_follow_the_request_in_json_and_xml(open311_key, people):
    response = post(open311_key)
    assert response.status_code == 201, response.content
    created = json.loads(response.content)[0]
    number = created["service_request_id"]
    complaint = Complaint.objects.get(tracking_number=number)
    assert complaint.channel == "open311" and complaint.handling_region_id == "410105"
    assert complaint.phone == "13800001234" and complaint.latitude is not None

    detail = json.loads(Client().get(f"/open311/v2/requests/{number}.json").content)[0]
    assert detail["status"] == "open" and detail["status_notes"] == "已登记，等待承办单位受理。"
    assert detail["expected_datetime"].startswith(complaint.deadline.isoformat())
    assert detail["agency_responsible"] == complaint.handling_unit.name
    assert "13800001234" not in detail["description"] and "138****1234" in detail["description"]
    assert "豫A12345" not in detail["description"]
    text = json.dumps(detail, ensure_ascii=False)
    assert "张三" not in text and "张" not in text.replace(detail["description"], "")

    xml = ET.fromstring(Client().get(f"/open311/v2/requests/{number}.xml").content)
    assert xml.tag == "service_requests" and xml.find("request/service_request_id").text == number
    assert xml.find("request/expected_datetime").text.startswith(complaint.deadline.isoformat())

    listing = json.loads(Client().get("/open311/v2/requests.json", {"service_request_id": number}).content)
    assert [r["service_request_id"] for r in listing] == [number]
    assert json.loads(Client().get("/open311/v2/requests.json", {"status": "closed"}).content) == []

    # the loop closes: the status and the notes follow
    from complaints import services

    services.complaint_transition(actor=people["county"], complaint_id=complaint.pk, move="reject", reason="非辖属")
    detail = json.loads(Client().get(f"/open311/v2/requests/{number}.json").content)[0]
    assert detail["status"] == "closed" and detail["status_notes"] == "不予受理。"
    assert detail["expected_datetime"] is None


def test_only_open311_requests_are_public(open311_key, submit):
    other = submit()  # a 12328 work order
    assert Client().get(f"/open311/v2/requests/{other.tracking_number}.json").status_code == 404
    assert json.loads(Client().get("/open311/v2/requests.json").content) == []


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"api_key": "nope"}, 403),
        ({"service_code": "railway"}, 400),
        ({"description": ""}, 400),
        ({"description": "x" * 5001}, 400),
        ({"lat": "abc"}, 400),
        ({"lat": "NaN"}, 400),
        ({"long": "200"}, 400),
        ({"lat": "", "long": "", "address_string": ""}, 400),
        ({"jurisdiction_id": "41"}, 400),
        ({"jurisdiction_id": "999999"}, 400),
        ({"phone": "not a phone"}, 400),
        ({"description": "nul \x00 byte"}, 400),
        ({"description": "控制\x01字符"}, 400),
        ({"address_string": "花园路\ufffe"}, 400),
    ],
)
def test_bad_requests_get_spec_errors(open311_key, overrides, code):
    response = post(open311_key, **overrides)
    assert response.status_code == code, response.content
    errors = json.loads(response.content)
    assert errors[0]["code"] == code and errors[0]["description"]
    assert Complaint.objects.count() == 0


def test_errors_in_xml_and_bad_query_parameters(open311_key):
    response = post(open311_key, api_key="bad", format="xml")
    assert response.status_code == 403 and ET.fromstring(response.content).find("error/code").text == "403"
    assert Client().get("/open311/v2/requests.json", {"start_date": "yesterday"}).status_code == 400
    assert Client().get("/open311/v2/requests.json", {"status": "pending"}).status_code == 400
    assert Client().get("/open311/v2/requests.json", {"service_code": "x"}).status_code == 400
    assert Client().get("/open311/v2/requests.yaml").status_code == 404


def test_a_control_character_is_named_with_its_field_and_line_breaks_are_stored_as_lf(open311_key):
    response = post(open311_key, address_string="花园路\x0b口")
    assert response.status_code == 400
    assert json.loads(response.content)[0]["description"].startswith("address_string: 含有不可见的控制字符 U+000B")
    response = post(open311_key, description="第一行\r\n第二行")
    assert response.status_code == 201
    number = json.loads(response.content)[0]["service_request_id"]
    assert Complaint.objects.get(tracking_number=number).description == "第一行\n第二行"
