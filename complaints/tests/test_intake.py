"""Intake from every channel: routing, escalation, deadlines, idempotency, encryption at rest."""

from __future__ import annotations

import threading

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.utils import timezone

from cases.models import Category
from complaints import services
from complaints.models import Channel, Complaint
from complaints.selectors import complaints_visible_to
from portal.audit.models import AuditEvent
from portal.core import crypto
from portal.core.personal_data import personal_data_reveal
from portal.workdays.calendar import add_working_days

pytestmark = pytest.mark.django_db


def test_a_12328_work_order_is_routed_by_the_rule_table_and_its_clock_starts(submit, units):
    complaint = submit(external_id="GD20261125000001")
    today = timezone.localdate()
    assert complaint.tracking_number.startswith(f"TS{today.year}")
    assert complaint.handling_unit == units[("410105", "agency")]  # the road_transport rule
    assert complaint.handling_region_id == "410105" and not complaint.escalated
    assert complaint.status == "received"
    assert complaint.accept_deadline == add_working_days(today, 1)
    assert complaint.deadline == add_working_days(today, 15)
    assert complaint.deadline_warn_from == add_working_days(complaint.deadline, -1)
    assert complaint.routing_rule is not None


def test_without_a_rule_the_region_authority_handles_it_and_rules_apply_up_the_tree(submit, units):
    assert submit(area="urban_transit").handling_unit == units[("410105", "authority")]
    assert submit(region="410122", area="waterway").handling_unit == units[("410122", "authority")]
    from complaints.models import RoutingRule
    from complaints.routing import refdata_changed

    RoutingRule.objects.create(region_id="410100", area="maritime", unit=units[("410100", "agency")])
    refdata_changed()
    # 中牟县 has no maritime rule: the city's rule applies
    assert submit(region="410122", area="maritime").handling_unit == units[("410100", "agency")]


def test_arbitrary_fines_are_escalated_to_the_level_above_the_unit_complained_about(submit, units, people):
    fines = Category.objects.get(code="sanluan-fines")
    station = units[("410105", "station")]
    complaint = submit(area="highway", category=fines, unit=station, subject="治超站乱罚款")
    assert complaint.escalated
    assert complaint.handling_unit == units[("410100", "agency")]  # 郑州市 above 金水区
    assert complaint.handling_region_id == "410100"
    # handled by the city: the county complained about does not see it, the city and province do
    assert not complaints_visible_to(people["county"]).filter(pk=complaint.pk).exists()
    assert complaints_visible_to(people["city"]).filter(pk=complaint.pk).exists()
    assert complaints_visible_to(people["province"]).filter(pk=complaint.pk).exists()
    # a consultation in the same category is not escalated
    assert not submit(kind="consultation", category=fines, unit=station).escalated
    # a category that does not escalate
    assert not submit(category=Category.objects.get(code="cubao-attitude"), unit=station).escalated


def test_a_city_unit_complained_about_escalates_to_the_province(submit, units):
    fees = Category.objects.get(code="zhuli-fees")
    complaint = submit(category=fees, unit=units[("410100", "agency")])
    assert complaint.escalated and complaint.handling_region_id == "410000"


def test_the_same_work_order_twice_makes_one_complaint(submit):
    first = submit(external_id="GD-42")
    again = submit(external_id="GD-42", subject="重复上传")
    assert again.pk == first.pk and again.subject == first.subject
    assert Complaint.objects.filter(external_id="GD-42").count() == 1
    assert AuditEvent.objects.filter(action="complaint.submit", object_id=str(first.pk)).count() == 1
    # another client's channel may use the same number for something else
    from complaints.models import IntakeClient
    from portal.accounts.models import User

    wechat = IntakeClient.objects.create(
        user=User.objects.create_user("api_wechat", region_id="410000"), name="微信公众号", channel="wechat"
    )
    other = submit(external_id="GD-42", channel="wechat", actor=wechat.user, intake_client=wechat)
    assert other.pk != first.pk and other.channel == "wechat"


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_retries_of_one_work_order_make_one_complaint(_restore_migrated_data, units, hotline):
    from django.db import connections

    results, errors = [], []
    barrier = threading.Barrier(8)

    def post():
        try:
            barrier.wait()
            complaint, created = services.complaint_submit(
                actor=hotline.user,
                intake_client=hotline,
                channel=Channel.HOTLINE_12328,
                area="road_transport",
                subject="并发重试",
                description="同一工单并发上传",
                region="410105",
                phone="13800001234",
                external_id="GD-RACE",
            )
            results.append((complaint.pk, created))
        except Exception as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=post) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert len({pk for pk, _ in results}) == 1
    assert sum(created for _, created in results) == 1
    assert Complaint.objects.filter(external_id="GD-RACE").count() == 1


def test_phone_and_id_number_are_encrypted_at_rest_and_searchable_by_keyed_hash(submit, people):
    complaint = submit(phone="+86 138-0000-5678", id_number="11010519491231002X")
    complaint.refresh_from_db()
    assert complaint.phone == "13800005678" and complaint.id_number == "11010519491231002X"
    with connection.cursor() as cursor:
        cursor.execute("SELECT phone, id_number, phone_hash FROM complaints_complaint WHERE id = %s", [complaint.pk])
        phone_blob, id_blob, phone_hash = cursor.fetchone()
    assert b"13800005678" not in bytes(phone_blob) and b"1101051949" not in bytes(id_blob)
    assert phone_hash == crypto.search_hash("13800005678", kind="phone")
    assert Complaint.objects.filter(phone_hash=crypto.search_hash("13800005678", kind="phone")).get() == complaint
    # the same number encrypts differently each time (fresh nonce)
    assert crypto.encrypt("13800005678", kind="phone") != crypto.encrypt("13800005678", kind="phone")
    # a ciphertext moved into the other column does not decrypt
    with pytest.raises(Exception):  # noqa: B017 - cryptography's InvalidTag
        crypto.decrypt(bytes(phone_blob), kind="id_number")
    # the encrypted field refuses lookups that could never match
    from django.core.exceptions import FieldError

    with pytest.raises(FieldError):
        Complaint.objects.filter(phone="13800005678").exists()


def test_reveal_decrypts_for_a_user_with_the_right_and_is_audited(submit, people):
    complaint = submit(phone="13800005678")
    value = personal_data_reveal(
        actor=people["county"], model_label="complaints.complaint", pk=str(complaint.pk), field="phone"
    )
    assert value == "13800005678"
    event = AuditEvent.objects.filter(action="personal_data.reveal").latest("seq")
    assert event.object_id == str(complaint.pk) and event.changes == {"field": "phone"}
    from portal.accounts.scoping import OutOfScope

    with pytest.raises(OutOfScope):  # another city's officer
        personal_data_reveal(
            actor=people["county_b"], model_label="complaints.complaint", pk=str(complaint.pk), field="phone"
        )


def test_the_audit_trail_never_holds_the_personal_data(submit):
    complaint = submit(phone="13800005678", id_number="11010519491231002X", complainant_name="李四", plate="豫A88888")
    event = AuditEvent.objects.get(action="complaint.submit", object_id=str(complaint.pk))
    text = str(event.changes)
    for secret in ("13800005678", "11010519491231002X", "李四", "豫A88888"):
        assert secret not in text
    assert sorted(event.changes["personal_data"][1]) == ["complainant_name", "id_number", "phone", "plate"]


def test_who_may_submit_through_which_channel(units, people, hotline):
    base = {"area": "highway", "subject": "s", "description": "d", "region": "410105"}
    with pytest.raises(PermissionDenied):  # the public only through the web form
        services.complaint_submit(actor=None, channel="12328", **base)
    with pytest.raises(PermissionDenied):  # an auditor cannot record complaints
        services.complaint_submit(actor=people["auditor"], channel="operator", **base)
    with pytest.raises(ValidationError):  # a county officer only in the county
        services.complaint_submit(actor=people["county"], channel="operator", **{**base, "region": "410303"})
    with pytest.raises(PermissionDenied):  # a client only with its own channel
        services.complaint_submit(actor=hotline.user, intake_client=hotline, channel="wechat", **base)
    complaint, created = services.complaint_submit(actor=people["county"], channel="operator", **base)
    assert created and complaint.created_by == people["county"]
    with pytest.raises(ValidationError) as error:
        services.complaint_submit(actor=people["province"], channel="operator", **{**base, "region": "999999"})
    assert "region" in error.value.message_dict
