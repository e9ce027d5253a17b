"""Issue 20 §5 (§12): joint meetings and consultations, each decision tracked to done against
its deadline, with alerts through the ledger."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from portal.notifications.models import Alert, Delivery
from portal.notifications.sweep import alerts_fan_out, alerts_sweep
from portal.workdays.calendar import add_working_days
from service import services
from service.models import Decision, Meeting

pytestmark = pytest.mark.django_db


def _plain(day) -> dt.date:
    return dt.date.fromordinal(day.toordinal())


def _meeting(people, deadline, held_on=None):
    return services.meeting_record(
        actor=people["city"],
        kind="joint",
        subject="治超联合执法联席会议",
        held_on=held_on or dt.date(2026, 9, 1),
        departments="公安交警、交通运输、市场监管",
        region="410100",
        decisions=[("统一治超站点称重标准", "郑州市交通运输综合执法支队", deadline)],
    )


def test_decisions_need_text_owner_and_a_deadline_not_before_the_meeting(people):
    with pytest.raises(ValidationError, match="责任部门"):
        services.meeting_record(
            actor=people["city"],
            kind="joint",
            subject="x",
            held_on=dt.date(2026, 9, 1),
            departments="a",
            region="410100",
            decisions=[("事项", "", dt.date(2026, 9, 30))],
        )
    with pytest.raises(ValidationError, match="早于会议日期"):
        _meeting(people, dt.date(2026, 8, 1))
    with pytest.raises(ValidationError, match="不能晚于今天"):
        _meeting(people, None or dt.date(2030, 1, 1), held_on=timezone.localdate() + dt.timedelta(days=1))
    assert not Meeting.objects.exists()


def test_a_decision_is_alerted_before_and_after_its_deadline_until_done(people, client):
    deadline = dt.date(2026, 9, 30)
    meeting = _meeting(people, deadline)
    decision = meeting.decisions.get()
    before = _plain(add_working_days(deadline, -2))
    run = alerts_sweep(today=before - dt.timedelta(days=1), enqueue=False)
    assert not Alert.objects.filter(step__source="svc_decision").exists()
    run = alerts_sweep(today=before, enqueue=False)
    alert = Alert.objects.get(step__source="svc_decision", run_id=run.pk)
    assert alert.subject_id == decision.pk and alert.step.name == "before2"
    alerts_fan_out(run_id=run.pk, enqueue=False)
    recipients = set(
        Delivery.objects.filter(alert=alert, channel="inbox").values_list("recipient__username", flat=True)
    )
    assert recipients == {"svc-city"}  # the staff of the meeting's region
    overdue_day = _plain(add_working_days(deadline, 1))  # 2026-10-01..07 are holidays
    assert overdue_day == dt.date(2026, 10, 8)
    alerts_sweep(today=overdue_day - dt.timedelta(days=1), enqueue=False)
    assert not Alert.objects.filter(step__source="svc_decision", step__name="overdue").exists()
    alerts_sweep(today=overdue_day, enqueue=False)
    assert Alert.objects.filter(step__source="svc_decision", step__name="overdue").count() == 1
    client.force_login(people["city"])
    page = client.get(reverse("service:meeting", kwargs={"pk": meeting.pk}))
    assert "统一治超站点称重标准" in page.content.decode()
    response = client.post(reverse("service:decision-done", kwargs={"pk": decision.pk}), {"note": ""})
    assert response.status_code == 302 and Decision.objects.get().status == "open"
    client.post(reverse("service:decision-done", kwargs={"pk": decision.pk}), {"note": "已印发统一标准"})
    assert Decision.objects.get().status == "done"
    with pytest.raises(ValidationError, match="已落实"):
        services.decision_done(actor=people["city"], decision=decision, note="again")
    later = alerts_sweep(today=overdue_day + dt.timedelta(days=5), enqueue=False)
    assert later.detail["sources"]["svc_decision"] == 0


def test_the_outsider_cannot_see_the_meeting(people, client):
    meeting = _meeting(people, dt.date(2026, 9, 30))
    client.force_login(people["outsider"])
    assert client.get(reverse("service:meeting", kwargs={"pk": meeting.pk})).status_code == 404
    assert client.get(reverse("service:meetings")).context["page"].paginator.count == 0
