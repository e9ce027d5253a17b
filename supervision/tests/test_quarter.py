"""The quarter rule (issue 17 §6): near the quarter's end, organisers that have held no
cross-region activity this quarter are alerted, once, through the one alert ledger."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import override_settings
from django.utils import timezone

from portal.notifications.delivery import deliveries_send
from portal.notifications.models import Alert, Delivery, InboxMessage
from portal.notifications.sweep import alerts_fan_out, alerts_sweep
from portal.workdays.calendar import add_working_days
from supervision.alerts import quarter_bounds
from supervision.models import Activity
from supervision.services import _plain
from supervision.tests.test_services import people  # noqa: F401 - fixture

pytestmark = pytest.mark.django_db


def _activity(region_id, starts_on, creator):
    year, quarter, _first, _last = quarter_bounds(starts_on)
    return Activity.objects.create(
        code=f"YD-T{region_id}-{starts_on:%m%d}",
        title="异地交叉执法监督",
        year=year,
        quarter=quarter,
        region_id=region_id,
        method=Activity.Method.UNANNOUNCED,
        starts_on=starts_on,
        ends_on=starts_on,
        created_by=creator,
    )


def _quarter_alerts(**extra):
    return Alert.objects.filter(step__source="sup_quarter", **extra)


def test_organisers_without_an_activity_held_are_alerted_n_working_days_before_the_quarter_end(people):  # noqa: F811
    year, quarter, first, last = quarter_bounds(timezone.localdate())
    fire = _plain(add_working_days(last, -10))  # the default: 10 working days before the end
    before = fire - dt.timedelta(days=1)
    # city_b (洛阳 410300) held one: its visit started before the alert day
    _activity("410300", max(first, fire - dt.timedelta(days=3)), people["province"])
    # 郑州 (410100) only planned one, starting on the quarter's last day: not held yet
    _activity("410100", last, people["province"])

    alerts_sweep(today=before, enqueue=False)
    assert not _quarter_alerts().exists()

    run = alerts_sweep(today=fire, enqueue=False)
    owed = {f"{a.subject_id:06d}" for a in _quarter_alerts(run_id=run.pk)}
    assert {"410000", "410100"} <= owed and "410300" not in owed
    assert "410105" not in owed  # counties do not organise
    assert {a.version for a in _quarter_alerts()} == {year * 4 + quarter - 1}
    assert {a.due_on for a in _quarter_alerts()} == {last}

    alerts_fan_out(run_id=run.pk, enqueue=False)
    inbox = Delivery.objects.filter(alert__step__source="sup_quarter", channel="inbox")
    who = set(inbox.values_list("recipient__username", flat=True))
    assert who == {"province", "city"}  # the organisers' staff; not city_b, nor counties, nor inspectors
    deliveries_send(channel="inbox", ids=list(inbox.values_list("pk", flat=True)))
    message = InboxMessage.objects.get(user=people["city"])
    assert "郑州" in message.title and f"第{quarter}季度尚未开展异地执法监督" in message.title
    assert "已计划未开始的 1 项" in message.body and message.link.endswith("/supervision/activities/")

    # once per organiser and quarter: later sweeps of the same quarter add nothing
    again = alerts_sweep(today=fire, enqueue=False)
    later = alerts_sweep(today=min(last, fire + dt.timedelta(days=2)), enqueue=False)
    assert again.detail["sources"]["sup_quarter"] == 0 and later.detail["sources"]["sup_quarter"] == 0


def test_an_activity_held_after_the_sweep_withdraws_the_alert_and_the_days_are_a_setting(people):  # noqa: F811
    _year, _quarter, _first, last = quarter_bounds(timezone.localdate())
    fire = _plain(add_working_days(last, -10))
    with override_settings(
        NOTIFICATIONS_SUPERVISION_QUARTER_STEPS=[
            {"step": "quarter_end", "offset": -5, "kind": "quarter", "audience": ["chain"]}
        ]
    ):
        alerts_sweep(today=fire, enqueue=False)
        assert not _quarter_alerts().exists()  # five working days before the end: not yet
        run = alerts_sweep(today=_plain(add_working_days(last, -5)), enqueue=False)
    assert _quarter_alerts(subject_id=410100).exists()
    # 郑州 starts one (today) before the message goes out: the delivery renders to nothing
    _activity("410100", timezone.localdate(), people["province"])
    alerts_fan_out(run_id=run.pk, enqueue=False)
    inbox = Delivery.objects.filter(alert__step__source="sup_quarter", channel="inbox")
    deliveries_send(channel="inbox", ids=list(inbox.values_list("pk", flat=True)))
    assert not InboxMessage.objects.filter(user=people["city"]).exists()
    assert InboxMessage.objects.filter(user=people["province"], title__contains="尚未开展").exists()
