"""The enforcement case upload API: a unit's system with its token, per-row answers, whole-batch
refusals (malformed JSON 400, over 5,000 cases 413), a unit uploads only its own cases, the
push_cases command and the schema."""

from __future__ import annotations

import json

import pytest
from django.core.management import call_command
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from cases.enforcement.models import CaseUploadClient, EnforcementCase, EnforcementCaseKey
from cases.tests.enforcement import case
from portal.accounts.models import Role, User
from portal.audit.models import AuditEvent

pytestmark = pytest.mark.django_db

UPLOAD = "/api/v1/enforcement-cases/upload/"
ITEMS = "/api/v1/enforcement-cases/items/"


def test_a_batch_is_stored_and_answered_per_row(system_api, agency, items):
    response = system_api.post(
        UPLOAD, {"cases": [case("H-1"), case("H-2", violation_item="NOPE"), case("H-3")]}, format="json"
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["new"], body["updated"], body["unchanged"], body["rejected"]) == (2, 0, 0, 1)
    assert [(r["index"], r["outcome"], r["version"]) for r in body["results"]] == [
        (0, "new", 1),
        (1, "rejected", None),
        (2, "new", 1),
    ]
    assert body["results"][1]["case_number"] == "H-2" and "violation_item" in body["results"][1]["errors"]
    assert set(EnforcementCase.objects.values_list("unit_id", flat=True)) == {agency.pk}
    event = AuditEvent.objects.get(action="enforcement_case.upload")
    assert event.actor_username == "case_system_jinshui"

    again = system_api.post(UPLOAD, {"cases": [case("H-1"), case("H-3")]}, format="json").json()
    assert (again["new"], again["unchanged"]) == (0, 2)
    assert EnforcementCase.objects.count() == 2


def test_a_case_of_another_unit_is_rejected(system_api, agency, other_agency, items):
    body = system_api.post(
        UPLOAD, {"cases": [case("I-1", unit=other_agency.pk), case("I-2", region="410303")]}, format="json"
    ).json()
    assert [r["outcome"] for r in body["results"]] == ["rejected", "rejected"]
    assert "unit" in body["results"][0]["errors"] and "region" in body["results"][1]["errors"]
    assert not EnforcementCase.objects.exists()


@pytest.mark.parametrize(
    "raw",
    [b'{"cases": [', b"not json", b"", b'{"cases": {"a": 1}}', b"[1, 2]", b'{"cases": []}', b"\xff\xfe"],
)
def test_a_malformed_body_is_refused_whole_with_a_message(system_api, items, raw):
    response = system_api.generic("POST", UPLOAD, raw, content_type="application/json")
    assert response.status_code == 400 and response.json()["detail"]
    assert not EnforcementCaseKey.objects.exists()


def test_a_body_that_is_not_json_is_refused(system_api, items):
    response = system_api.post(UPLOAD, {"cases": "x"})  # multipart
    assert response.status_code == 400 and "JSON" in response.json()["detail"]


def test_more_than_5000_cases_are_refused_whole(system_api, items):
    rows = [case(f"J-{i}") for i in range(5001)]
    response = system_api.generic("POST", UPLOAD, json.dumps({"cases": rows}), content_type="application/json")
    assert response.status_code == 413 and "5000" in response.json()["detail"]
    assert not EnforcementCaseKey.objects.exists()


def test_a_full_batch_of_5000_is_taken(system_api, items):
    rows = [case(f"K-{i}") for i in range(5000)]
    response = system_api.generic("POST", UPLOAD, json.dumps({"cases": rows}), content_type="application/json")
    assert response.status_code == 200 and response.json()["new"] == 5000
    assert EnforcementCase.objects.count() == 5000


def test_an_oversized_body_is_refused_before_it_is_read(system_api, items):
    response = system_api.generic(
        "POST", UPLOAD, b"{}", content_type="application/json", CONTENT_LENGTH=str(64 * 1024 * 1024)
    )
    assert response.status_code == 413


def test_only_upload_clients_may_upload(agency, items):
    officer = User.objects.create_user("officer_up", region_id="410105", roles=[Role.COUNTY_OFFICER])
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=officer).key}")
    assert client.post(UPLOAD, {"cases": [case()]}, format="json").status_code == 404
    assert APIClient().post(UPLOAD, {"cases": [case()]}, format="json").status_code in (401, 403)
    assert not EnforcementCase.objects.exists()


def test_an_inactive_upload_client_is_refused(system_api, system, items):
    CaseUploadClient.objects.filter(user=system).update(active=False)
    assert system_api.post(UPLOAD, {"cases": [case()]}, format="json").status_code == 404


def test_the_violation_items_are_listed(system_api, items):
    body = system_api.get(ITEMS).json()
    assert [i["code"] for i in body] == ["CZ001", "YS002"] and body[1]["exempt_first_offence"] is True


def test_the_schema_states_the_rules(system_api):
    schema = APIClient().get("/api/schema/?format=json")
    if schema.status_code != 200:  # the schema may need a signed-in user
        schema = system_api.get("/api/schema/?format=json")
    operation = schema.json()["paths"][UPLOAD]["post"]
    assert "5,000" in operation["description"] and "officer_certificates" in operation["description"]
    assert {"200", "400", "413"} <= operation["responses"].keys()


def test_push_cases_sends_a_file(system, agency, items, tmp_path, live_server):
    token = Token.objects.create(user=system).key
    path = tmp_path / "cases.json"
    path.write_text(json.dumps([case("L-1"), case("L-2", violation_item="NOPE")]), encoding="utf-8")
    out = call_command_output("push_cases", str(path), "--token", token, "--url", live_server.url)
    assert "new 1" in out and "rejected 1" in out and "L-2" in out
    assert EnforcementCaseKey.objects.filter(case_number="L-1").exists()


def call_command_output(*args) -> str:
    from io import StringIO

    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()
