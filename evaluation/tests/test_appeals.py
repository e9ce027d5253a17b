"""Feedback, appeal and publication (point 5): results reach each entity's inbox through the
alert ledger; an entity appeals one indicator with evidence within the window; the province
decides; an upheld appeal re-scores only that indicator (audited); publication waits."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from evaluation import services
from evaluation.models import Appeal, EnteredValue, EntityScore, Indicator, IndicatorScore, IndicatorSystem
from portal.accounts.models import Role, User
from portal.audit.models import AuditEvent
from portal.core.api import ConflictError
from portal.notifications.delivery import deliveries_send
from portal.notifications.models import Delivery, InboxMessage
from portal.notifications.sweep import alerts_fan_out, alerts_sweep

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n% evidence\n"
COUNTY, OTHER = "410105", "410122"


def pdf(name="证明.pdf"):
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


@pytest.fixture
def world():
    province = User.objects.create(username="ap-prov", region_id="410000", roles=[Role.PROVINCE_STAFF])
    county = User.objects.create(username="ap-county", region_id=COUNTY, roles=[Role.COUNTY_OFFICER])
    other = User.objects.create(username="ap-other", region_id=OTHER, roles=[Role.COUNTY_OFFICER])
    system = IndicatorSystem.objects.create(year=2031)
    common = {"system": system, "rule": "entered", "target": 100, "zero_at": 0}
    a1 = Indicator.objects.create(code="A1", name="执法培训", dimension="onsite", level="county", weight=60, **common)
    a2 = Indicator.objects.create(code="A2", name="案卷评查", dimension="daily", level="county", weight=40, **common)
    Indicator.objects.create(code="C1", name="市级统筹", dimension="daily", level="city", weight=100, **common)
    period = services.period_open(actor=province, system=system, kind="year")
    value = EnteredValue(period=period, indicator=a1, region_id=COUNTY, value=50, entered_by=province)
    value.evidence.save("e.pdf", ContentFile(PDF), save=False)
    value.save()
    period = services.period_close(actor=province, period_id=period.pk)
    return {"province": province, "county": county, "other": other, "period": period, "a1": a1, "a2": a2}


def score_of(period, code):
    return EntityScore.objects.get(period=period, region_id=code)


def test_results_go_to_each_entity_inbox_through_the_ledger(world):
    today = timezone.localdate()
    run = alerts_sweep(today=today, enqueue=False)
    alerts_fan_out(run_id=run.pk, enqueue=False)
    deliveries = Delivery.objects.filter(alert__step__source="eval_result", channel="inbox")
    assert set(deliveries.values_list("recipient__username", flat=True)) >= {"ap-county", "ap-other"}
    assert "ap-prov" not in set(deliveries.values_list("recipient__username", flat=True))
    deliveries_send(channel="inbox", ids=list(deliveries.values_list("pk", flat=True)))
    message = InboxMessage.objects.get(user=world["county"])
    score = score_of(world["period"], COUNTY)
    assert str(score.total) in message.title and str(world["period"].appeal_until) in message.body
    assert message.link == reverse("evaluation:entity", args=[score.pk])
    # a second sweep owes nothing more
    again = alerts_sweep(today=today, enqueue=False)
    assert again.detail["sources"]["eval_result"] == 0


def test_upheld_appeal_rescores_only_the_appealed_indicator_and_is_audited(world):
    period, county = world["period"], world["county"]
    score = score_of(period, COUNTY)
    assert score.total == Decimal("70.00")  # 60 × 0.5 + 40 (no data: full marks)
    before = {
        (row.entity_id, row.indicator_id): (row.value, row.points)
        for row in IndicatorScore.objects.filter(entity__period=period)
    }
    totals = dict(EntityScore.objects.filter(period=period).values_list("region_id", "total"))
    appeal = services.appeal_file(
        actor=county, score_id=score.pk, indicator_id=world["a1"].pk, reason="培训记录漏报", evidence=pdf()
    )
    with pytest.raises(ConflictError):
        services.period_publish(actor=world["province"], period_id=period.pk)
    services.appeal_decide(
        actor=world["province"], appeal_id=appeal.pk, move="uphold", decision="补充材料属实", new_value="90"
    )
    after = {
        (row.entity_id, row.indicator_id): (row.value, row.points)
        for row in IndicatorScore.objects.filter(entity__period=period)
    }
    moved = {key for key in before if before[key] != after[key]}
    assert moved == {(score.pk, world["a1"].pk)}
    assert after[(score.pk, world["a1"].pk)] == (90.0, Decimal("54.00"))
    new_totals = dict(EntityScore.objects.filter(period=period).values_list("region_id", "total"))
    assert {code for code in totals if totals[code] != new_totals[code]} == {COUNTY}
    score.refresh_from_db()
    assert score.total == Decimal("94.00") and score.dimensions["onsite"] == "54.00"
    event = AuditEvent.objects.get(action="evaluation.appeal_uphold")
    assert event.changes["rescore"]["total"] == ["70.00", "94.00"]
    # the decision reaches the entity's inbox; then the period can be published
    run = alerts_sweep(today=timezone.localdate(), enqueue=False)
    alerts_fan_out(run_id=run.pk, enqueue=False)
    assert Delivery.objects.filter(
        alert__step__source="eval_appeal", alert__subject_id=appeal.pk, recipient=county, channel="inbox"
    ).exists()
    assert services.period_publish(actor=world["province"], period_id=period.pk).status == "published"


def test_rejected_appeal_needs_reasons_and_moves_nothing(world):
    score = score_of(world["period"], COUNTY)
    appeal = services.appeal_file(
        actor=world["county"], score_id=score.pk, indicator_id=world["a2"].pk, reason="理由", evidence=pdf()
    )
    with pytest.raises(ValidationError):
        services.appeal_decide(actor=world["province"], appeal_id=appeal.pk, move="reject", decision="  ")
    with pytest.raises(ValidationError):
        services.appeal_decide(actor=world["province"], appeal_id=appeal.pk, move="uphold", decision="是", new_value="")
    services.appeal_decide(actor=world["province"], appeal_id=appeal.pk, move="reject", decision="材料不足")
    with pytest.raises(ConflictError):
        services.appeal_decide(actor=world["province"], appeal_id=appeal.pk, move="uphold", decision="x", new_value=1)
    score.refresh_from_db()
    assert score.total == Decimal("70.00") and Appeal.objects.get(pk=appeal.pk).status == "rejected"


def test_appeal_after_the_window_is_refused_and_nothing_saved(world):
    period = world["period"]
    score = score_of(period, COUNTY)
    late = period.appeal_until + dt.timedelta(days=1)
    with pytest.raises(ValidationError) as exc:
        services.appeal_file(
            actor=world["county"],
            score_id=score.pk,
            indicator_id=world["a1"].pk,
            reason="晚了",
            evidence=pdf(),
            today=late,
        )
    assert str(period.appeal_until) in exc.value.messages[0]
    assert not Appeal.objects.exists()
    # bad evidence and an indicator of someone else's level: named, nothing saved
    with pytest.raises(ValidationError) as exc:
        services.appeal_file(
            actor=world["county"],
            score_id=score.pk,
            indicator_id="x",
            reason="理由",
            evidence=SimpleUploadedFile("a.exe", b"MZ\x90\x00binary"),
        )
    assert set(exc.value.message_dict) == {"indicator", "evidence"}
    assert not Appeal.objects.exists()


def test_appeal_pages_are_scoped(world):
    period = world["period"]
    score = score_of(period, COUNTY)
    county, other = Client(), Client()
    county.force_login(world["county"])
    other.force_login(world["other"])
    page = county.get(reverse("evaluation:entity", args=[score.pk]))
    assert 'id="eval-appeal-form"' in page.content.decode()
    response = county.post(
        reverse("evaluation:appeal-file", args=[score.pk]),
        {"indicator": world["a1"].pk, "reason": "培训记录漏报", "evidence": pdf()},
    )
    appeal = Appeal.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("evaluation:appeal", args=[appeal.pk])
    # another county: 404 like a missing appeal, its list does not show it, it cannot appeal for us
    assert other.get(reverse("evaluation:appeal", args=[appeal.pk])).status_code == 404
    assert other.get(reverse("evaluation:appeal-evidence", args=[appeal.pk])).status_code == 404
    assert "培训记录漏报" not in other.get(reverse("evaluation:appeals")).content.decode()
    assert other.post(reverse("evaluation:appeal-file", args=[score.pk]), {}).status_code == 404
    assert "培训记录漏报" in county.get(reverse("evaluation:appeals")).content.decode()
    assert county.get(reverse("evaluation:appeal-evidence", args=[appeal.pk])).status_code == 200
    # the county cannot decide; the province does, from the appeal page
    assert county.post(reverse("evaluation:appeal-decide", args=[appeal.pk]), {"move": "reject"}).status_code == 404
    province = Client()
    province.force_login(world["province"])
    assert 'id="eval-decide-form"' in province.get(reverse("evaluation:appeal", args=[appeal.pk])).content.decode()
    province.post(
        reverse("evaluation:appeal-decide", args=[appeal.pk]), {"move": "uphold", "decision": "属实", "new_value": "1"}
    )
    assert Appeal.objects.get().status == "upheld"
