"""The 12328 sync: a batch of work orders with every guarantee of a single one (stored, routed,
deadlines set, audited, idempotent per external id, one answer per item)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from complaints import services, similarity
from complaints.models import Channel, Complaint
from complaints.tests.test_api import INTAKE, api_for, work_order
from portal.audit.models import AuditEvent

pytestmark = pytest.mark.django_db

BATCH = "/api/v1/complaints/intake/batch/"


@pytest.fixture
def hotline_api(hotline):
    from rest_framework.authtoken.models import Token

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=hotline.user).key}")
    return client


def orders(n, prefix="GD2026B", **overrides):
    return [work_order(external_id=f"{prefix}{i:05d}", **overrides) for i in range(n)]


def test_a_batch_answers_each_work_order_in_order(hotline_api, units):
    earlier = hotline_api.post(INTAKE, work_order(external_id="GD-EARLIER"), format="json").json()
    batch = [
        work_order(external_id="GD-1"),
        work_order(external_id="GD-2", region="999999"),  # no such region
        work_order(external_id="GD-1", subject="同一工单重复"),  # repeated within the batch
        work_order(external_id="GD-EARLIER"),  # sent before
        work_order(external_id="GD-3", area="highway"),
        work_order(external_id="GD-4", description="控制\x01字符"),
        work_order(external_id=""),  # 12328 work orders need their number
    ]
    response = hotline_api.post(BATCH, {"work_orders": batch}, format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["created"], body["existing"], body["rejected"]) == (2, 2, 3)
    outcomes = [(r["index"], r["outcome"]) for r in body["results"]]
    assert outcomes == [
        (0, "created"),
        (1, "rejected"),
        (2, "existing"),
        (3, "existing"),
        (4, "created"),
        (5, "rejected"),
        (6, "rejected"),
    ]
    results = body["results"]
    assert "region" in results[1]["errors"] and "U+0001" in results[5]["errors"]["description"][0]
    assert "external_id" in results[6]["errors"]
    assert results[2]["complaint"]["id"] == results[0]["complaint"]["id"]
    assert results[3]["complaint"]["id"] == earlier["id"] and results[3]["complaint"]["created"] is False

    first = Complaint.objects.get(external_id="GD-1")
    assert first.channel == "12328" and first.handling_unit_id == units[("410105", "agency")].pk
    assert first.deadline and first.accept_deadline and first.phone == "13912345678" and first.phone_hash
    assert first.id_number_hash and first.plate == "豫AD12345" and first.received_at and first.updated_at
    assert first.bigrams == similarity.bigrams(first.subject, first.description) and first.status == "received"
    assert results[0]["complaint"]["tracking_number"] == first.tracking_number
    assert results[0]["complaint"]["deadline"] == first.deadline.isoformat()
    assert Complaint.objects.get(external_id="GD-3").handling_unit_id == units[("410105", "station")].pk
    assert Complaint.objects.count() == 3
    events = AuditEvent.objects.filter(action="complaint.submit")
    assert events.count() == 3 and {e.object_id for e in events} >= {str(first.pk)}


def test_the_same_batch_twice_changes_nothing(hotline_api, units):
    sent = {"work_orders": orders(20)}
    assert hotline_api.post(BATCH, sent, format="json").json()["created"] == 20
    again = hotline_api.post(BATCH, sent, format="json").json()
    assert (again["created"], again["existing"], again["rejected"]) == (0, 20, 0)
    assert Complaint.objects.count() == 20 and AuditEvent.objects.filter(action="complaint.submit").count() == 20


@pytest.mark.parametrize(
    "body",
    [
        {"work_orders": []},
        {"work_orders": "不是列表"},
        {"work_orders": [1, 2]},
        {"orders": []},
        {"work_orders": [work_order()] * 501},
    ],
    ids=["empty", "not-a-list", "not-objects", "wrong-key", "too-many"],
)
def test_a_malformed_or_oversized_body_is_refused_whole(hotline_api, units, body):
    response = hotline_api.post(BATCH, body, format="json")
    assert response.status_code == 400 and "work_orders" in response.json()
    assert not Complaint.objects.exists()


def test_only_intake_clients_send_batches(people, units):
    assert api_for(people["city"]).post(BATCH, {"work_orders": orders(1)}, format="json").status_code in (401, 404)
    assert APIClient().post(BATCH, {"work_orders": orders(1)}, format="json").status_code == 401
    assert not Complaint.objects.exists()


def test_a_batch_costs_the_same_queries_whatever_its_size(hotline, units):
    def queries_for(n, prefix):
        items = [{k: v for k, v in o.items() if k != "category"} for o in orders(n, prefix)]
        with CaptureQueriesContext(connection) as captured:
            results = services.complaint_submit_many(actor=hotline.user, intake_client=hotline, items=items)
        assert [r.outcome for r in results] == ["created"] * n
        return len(captured)

    queries_for(1, "WARM")  # reference data and the calendar, read once per process
    # the stored ids, tracking numbers, the complaints' INSERT, the audit events' INSERT (and the
    # transaction's own statements): the same for 5 as for 200 work orders
    assert queries_for(5, "A") == queries_for(200, "B") == 6


def test_a_full_batch_finds_its_stored_ids_through_the_unique_index():
    """500 external ids (the batch's maximum) still reach the partial unique index on
    (channel, external_id): with sequential scans switched off, the plan names the index (it
    could not without the index's own condition repeated, since PostgreSQL proves a partial
    index's predicate from IN lists of at most 100 values)."""
    query = services.stored_with_external_ids(Channel.HOTLINE_12328, [f"GD{i:05d}" for i in range(500)])
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        plan = query.explain()
    assert "complaint_external_id_unique" in plan
