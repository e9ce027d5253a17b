"""Issue 20 §2: visits and station days with the bad-input rules, the monthly check (the
reminder by a set working day before the month's end, holidays honoured; the month closed
below 2 a figure), and §4 photos that must be images."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from portal.notifications.models import Alert, Delivery
from portal.notifications.sweep import alerts_fan_out, alerts_sweep
from portal.workdays.calendar import add_working_days
from service import services
from service.models import RecordPhoto, ServiceRecord, StationDay, StationMonth, Visit, VisitIssue

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n"


def _plain(day) -> dt.date:
    return dt.date.fromordinal(day.toordinal())


def _day(world, day, leader=None):
    return services.station_day_log(
        actor=world["county"], leader=leader or world["leader"], station=world["station"], day=day
    )


# --- bad input ---------------------------------------------------------------------------------


def test_a_station_day_in_the_future_is_refused(world):
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    with pytest.raises(ValidationError) as refused:
        _day(world, tomorrow)
    assert "不能晚于今天" in refused.value.message_dict["day"][0]
    assert not StationDay.objects.exists()


def test_two_station_days_on_one_date_count_once(world, client):
    today = timezone.localdate()
    _day(world, today)
    with pytest.raises(ValidationError) as refused:
        _day(world, today)
    assert "同一天只计一次" in refused.value.message_dict["day"][0]
    assert StationDay.objects.count() == 1
    client.force_login(world["county"])
    response = client.post(
        reverse("service:station-days"),
        {"leader": world["leader"].pk, "station": world["station"].pk, "day": today.isoformat()},
    )
    assert response.status_code == 400 and "同一天只计一次" in response.content.decode()
    progress = client.get(reverse("service:station-days")).context["progress"]
    assert [row["days"] for row in progress] == [1]


def test_a_station_day_at_a_station_not_assigned_is_refused(world):
    from portal.regions.models import Unit

    other = Unit.objects.create(name="金水区第二治超站", kind=Unit.Kind.STATION, region_id="410105")
    with pytest.raises(ValidationError, match="没有联系"):
        services.station_day_log(actor=world["county"], leader=world["leader"], station=other, day=timezone.localdate())


def test_a_visit_to_an_enterprise_not_assigned_is_refused(world, client):
    from service.tests.conftest import valid_code

    other = services.enterprise_register(
        actor=world["county"],
        name="未联系公司",
        credit_code=valid_code("91410105K"),
        kind="taxi",
        size="small",
        region="410105",
    )
    with pytest.raises(ValidationError) as refused:
        services.visit_log(
            actor=world["county"],
            leader=world["leader"],
            enterprise=other,
            visited_on=timezone.localdate(),
            form="one_to_one",
        )
    assert "只能登记对所联系企业的走访" in refused.value.message_dict["enterprise"][0]
    client.force_login(world["county"])
    response = client.post(
        reverse("service:visits"),
        {
            "leader": world["leader"].pk,
            "enterprise": other.pk,
            "visited_on": timezone.localdate(),
            "form": "one_to_one",
        },
    )
    assert response.status_code == 400 and "只能登记对所联系企业的走访" in response.content.decode()
    assert not Visit.objects.exists()


def test_visit_issues_are_followed_to_resolution_or_to_a_problem(world, client):
    visit = services.visit_log(
        actor=world["county"],
        leader=world["leader"],
        enterprise=world["enterprise"],
        visited_on=timezone.localdate(),
        form="through",
        issues=["车辆年审排队时间长", "治超站称重结果有异议"],
    )
    first, second = visit.issues.order_by("id")
    with pytest.raises(ValidationError, match="解决情况"):
        services.issue_resolve(actor=world["county"], issue=first, resolution="")
    services.issue_resolve(actor=world["county"], issue=first, resolution="开通绿色通道")
    with pytest.raises(ValidationError, match="已办结"):
        services.issue_resolve(actor=world["county"], issue=first, resolution="again")
    from supervision.tests.test_services import make_problem

    problem = make_problem("410105")
    client.force_login(world["county"])
    response = client.post(reverse("service:issue-close", kwargs={"pk": second.pk}), {"problem_code": problem.code})
    assert response.status_code == 302
    assert set(VisitIssue.objects.values_list("status", flat=True)) == {"resolved", "problem"}
    assert VisitIssue.objects.get(pk=second.pk).problem == problem


def test_a_photo_that_is_not_an_image_is_refused(world, client):
    pdf = SimpleUploadedFile("rest.jpg", PDF, content_type="image/jpeg")  # the name and the claim lie
    with pytest.raises(ValidationError) as refused:
        services.record_add(
            actor=world["county"],
            kind="rest_room",
            title="金水治超站司机之家",
            region="410105",
            unit=world["station"],
            photos=[pdf],
        )
    assert "不是图片" in refused.value.message_dict["photos"][0]
    assert not ServiceRecord.objects.exists() and not RecordPhoto.objects.exists()
    client.force_login(world["county"])
    response = client.post(
        reverse("service:records"),
        {
            "kind": "rest_room",
            "title": "金水治超站司机之家",
            "region": "410105",
            "unit": world["station"].pk,
            "status": "in_use",
            "has_shower": "on",
            "photos": SimpleUploadedFile("rest.png", PNG, content_type="image/png"),
        },
    )
    assert response.status_code == 302
    record = ServiceRecord.objects.get()
    assert record.has_shower and record.photos.get().content_type == "image/png"
    photo = client.get(reverse("service:photo", kwargs={"pk": record.photos.get().pk}))
    assert photo.status_code == 200 and photo["X-Content-Type-Options"] == "nosniff"


# --- the monthly check -------------------------------------------------------------------------


def _station_alerts(**extra):
    return Alert.objects.filter(step__source="svc_station_days", **extra)


def test_the_reminder_fires_three_working_days_before_month_end_skipping_the_mid_autumn_holidays(world):
    # September 2026: the 25th-27th are holidays, the 30th a working day; three working days
    # before the end is the 24th (a weekends-only count would say the 25th)
    last = dt.date(2026, 9, 30)
    fire = _plain(add_working_days(last, -3))
    assert fire == dt.date(2026, 9, 24)
    _day(world, dt.date(2026, 9, 3))  # one day only
    services.leader_set(actor=world["province"], user=world["city"], post="副局长")  # a leader with no station
    alerts_sweep(today=fire - dt.timedelta(days=1), enqueue=False)
    assert not _station_alerts().exists()
    run = alerts_sweep(today=fire, enqueue=False)
    owed = list(_station_alerts(run_id=run.pk))
    assert [a.subject_id for a in owed] == [world["leader"].pk]
    assert owed[0].version == 2026 * 12 + 8 and owed[0].due_on == last
    alerts_fan_out(run_id=run.pk, enqueue=False)
    who = set(
        Delivery.objects.filter(alert__step__source="svc_station_days", channel="inbox").values_list(
            "recipient__username", flat=True
        )
    )
    assert who == {"svc-leader", "svc-county"}  # the leader and the staff of the leader's region
    again = alerts_sweep(today=last, enqueue=False)  # once per leader and month
    assert again.detail["sources"]["svc_station_days"] == 0


def test_a_month_ending_on_a_make_up_workday_and_two_days_stop_the_reminder(world):
    # February 2026: the 28th (a Saturday) is a make-up working day after the Spring Festival
    last = dt.date(2026, 2, 28)
    fire = _plain(add_working_days(last, -3))
    assert fire == dt.date(2026, 2, 25)
    _day(world, dt.date(2026, 2, 2))
    _day(world, dt.date(2026, 2, 3))
    alerts_sweep(today=fire, enqueue=False)
    assert not _station_alerts().exists()  # two days: nothing owed


def test_a_month_closed_below_two_is_a_figure_equal_to_its_list(world, client):
    from portal.dashboards.services import figures_refresh
    from service.models import ServiceFigure

    month = (timezone.localdate().replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    _day(world, month + dt.timedelta(days=2))
    assert services.station_months_close(month=month) == 1
    assert services.station_months_close(month=month) == 0  # closed once
    closed = StationMonth.objects.get()
    assert (closed.days, closed.below, closed.region_id) == (1, True, "410105")
    with pytest.raises(ValueError):
        services.station_months_close(month=timezone.localdate())
    figures_refresh()
    values = ServiceFigure.objects.filter(region_id="410100", unit__isnull=True, dim="all").values_list(
        "months_below", flat=True
    )
    assert sum(values) == 1
    client.force_login(world["city"])
    from portal.dashboards.period import Period

    listed = client.get(
        reverse("service:months"), {"region": "410100", "below": "yes", "month_from": Period.of().window_start}
    )
    assert listed.context["page"].paginator.count == 1
    from portal.dashboards.registry import figure_set

    assert any(n.key == "service.station_months_below" for n in figure_set("service").named)
