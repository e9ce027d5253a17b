"""Three-level incident reporting: limits in clock minutes from the server's receipt time,
alerted through the alert ledger's round-the-clock minute sweep (across midnight and on a
holiday), forwarding once, reports after the final one refused."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError

from portal.accounts.models import Role, User
from portal.audit.models import AuditEvent
from portal.dashboards.period import Period
from portal.notifications.delivery import deliveries_send
from portal.notifications.models import Alert, Delivery, InboxMessage
from portal.notifications.sweep import alerts_fan_out, alerts_sweep
from portal.workdays.calendar import is_working_day
from supervision.incidents import (
    incident_add_report,
    incident_forward,
    incident_report,
    incident_strip,
    incidents_filtered,
)
from supervision.models import DutyOfficer, Incident, IncidentClass, IncidentReport

pytestmark = pytest.mark.django_db
SH = zoneinfo.ZoneInfo("Asia/Shanghai")
HOLIDAY = dt.date(2026, 10, 1)  # National Day


def at(day: dt.date, hour: int, minute: int) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=SH)


@pytest.fixture
def people(db):
    def make(name, code, roles):
        return User.objects.create_user(name, region_id=code, roles=roles, email=f"{name}@example.gov.cn")

    people = {
        "county": make("inc_county", "410105", [Role.COUNTY_OFFICER]),
        "other_county": make("inc_other", "410122", [Role.COUNTY_OFFICER]),
        "city_duty": make("inc_city_duty", "410100", [Role.CITY_STAFF]),
        "city_staff": make("inc_city_staff", "410100", [Role.CITY_STAFF]),
        "province": make("inc_province", "410000", [Role.PROVINCE_STAFF]),
    }
    DutyOfficer.objects.create(region_id="410100", user=people["city_duty"])
    from portal.regions.models import Unit

    people["unit"] = Unit.objects.create(name="金水区交通运输综合行政执法大队", kind="agency", region_id="410105")
    return people


def conflict() -> IncidentClass:
    return IncidentClass.objects.get(code="conflict")


def report(people, now, **extra):
    return incident_report(
        actor=people["county"],
        title="执法人员与货车司机发生肢体冲突",
        incident_class=conflict(),
        text="G107 超限检测站，司机拒检，双方推搡，一人轻伤送医。",
        unit=people["unit"],
        now=now,
        **extra,
    )


def minute_sweep(now):
    return alerts_sweep(now=now, minutes=True, enqueue=False)


def inbox_of(user, run):
    """Fan out one sweep run and deliver its inbox messages; the user's messages."""
    counts = alerts_fan_out(run_id=run.pk, enqueue=False)
    inbox = [pk for pk, channel in counts["to_send"] if channel == "inbox"]
    if inbox:
        deliveries_send(channel="inbox", ids=inbox)
    return list(InboxMessage.objects.filter(user=user).values_list("title", flat=True))


def test_the_default_limits_and_the_minute_sweep_runs_round_the_clock():
    cls = conflict()
    assert (cls.county_to_city_minutes, cls.city_to_province_minutes) == (30, 60)
    entry = settings.CELERY_BEAT_SCHEDULE["alerts-sweep-minutes"]
    assert entry["task"] == "portal.notifications.tasks.sweep_minutes"
    assert entry["schedule"] == 60.0  # every minute, every hour, every day: no crontab hours
    assert entry["options"]["expires"] < 60


def test_a_limit_passing_at_2350_on_a_holiday_alerts_the_city_duty_officer_within_two_minutes(people):
    assert not is_working_day(HOLIDAY)
    incident = report(people, at(HOLIDAY, 23, 20))
    assert incident.city_due_at == at(HOLIDAY, 23, 50)
    # Before the limit: the minute sweep owes nothing (and is the cheap probe).
    before = minute_sweep(at(HOLIDAY, 23, 49))
    assert before.alerts == 0 and not Alert.objects.exists()
    # The sweep one minute after the limit passed: the alert, delivered to the duty officer.
    run = minute_sweep(at(HOLIDAY, 23, 51))
    assert run.alerts == 1 and run.detail["minutes"] is True
    alert = Alert.objects.get()
    assert alert.due_at == at(HOLIDAY, 23, 50) and alert.fire_on == HOLIDAY
    titles = inbox_of(people["city_duty"], run)
    assert titles == [f"突发事件超时未报市：{incident.code}「{incident.title}」（金水区，执法冲突）"]
    # A duty officer is named: the city's other staff and the county are not woken.
    assert not InboxMessage.objects.filter(user__in=[people["city_staff"], people["county"]]).exists()
    # Owed once: the next minutes' sweeps add nothing.
    assert minute_sweep(at(HOLIDAY, 23, 52)).alerts == 0
    assert Delivery.objects.filter(recipient=people["city_duty"], channel="inbox").count() == 1


def test_across_midnight_county_late_then_city_limit_counted_from_its_own_receipt(people):
    incident = report(people, at(HOLIDAY, 23, 40))
    assert incident.city_due_at == at(HOLIDAY + dt.timedelta(days=1), 0, 10)
    assert minute_sweep(at(HOLIDAY + dt.timedelta(days=1), 0, 9)).alerts == 0
    late = minute_sweep(at(HOLIDAY + dt.timedelta(days=1), 0, 11))
    assert late.alerts == 1 and late.today == HOLIDAY + dt.timedelta(days=1)

    incident = incident_forward(actor=people["county"], incident=incident, now=at(dt.date(2026, 10, 2), 0, 20))
    assert incident.level == Incident.Level.CITY
    assert incident.city_received_at == at(dt.date(2026, 10, 2), 0, 20)
    assert incident.minutes_to_city == 40 and incident.city_late
    assert incident.province_due_at == at(dt.date(2026, 10, 2), 1, 20)

    assert minute_sweep(at(dt.date(2026, 10, 2), 1, 19)).alerts == 0
    run = minute_sweep(at(dt.date(2026, 10, 2), 1, 21))
    assert run.alerts == 1
    # No duty officer named at the province: its staff receive it.
    titles = inbox_of(people["province"], run)
    assert titles == [f"突发事件超时未报省：{incident.code}「{incident.title}」（金水区，执法冲突）"]

    incident = incident_forward(actor=people["city_duty"], incident=incident, now=at(dt.date(2026, 10, 2), 1, 30))
    assert incident.level == Incident.Level.PROVINCE and incident.minutes_to_province == 70 and incident.province_late


def test_forwarded_on_time_owes_nothing(people):
    incident = report(people, at(HOLIDAY, 10, 0))
    incident = incident_forward(actor=people["county"], incident=incident, now=at(HOLIDAY, 10, 25))
    incident = incident_forward(actor=people["city_duty"], incident=incident, now=at(HOLIDAY, 11, 0))
    assert not incident.city_late and not incident.province_late
    assert minute_sweep(at(HOLIDAY, 23, 59)).alerts == 0


def test_the_receipt_time_is_the_servers_never_the_reporters(people):
    typed = at(HOLIDAY, 8, 0)  # the reporter says it happened at 08:00
    incident = report(people, at(HOLIDAY, 9, 0), occurred_at=typed)
    assert incident.received_at == at(HOLIDAY, 9, 0)
    assert incident.city_due_at == at(HOLIDAY, 9, 30)


def test_the_limits_are_configurable_per_class(people):
    cls = conflict()
    cls.county_to_city_minutes = 10
    cls.save()
    incident = report(people, at(HOLIDAY, 9, 0))
    assert incident.city_due_at == at(HOLIDAY, 9, 10)


def test_forwarding_twice_is_refused_with_the_time_it_happened(people):
    incident = report(people, at(HOLIDAY, 9, 0))
    incident_forward(actor=people["county"], incident=incident, now=at(HOLIDAY, 9, 5))
    stale = Incident.objects.get(pk=incident.pk)
    stale.forwarded_to_city_at = None  # a second click on a page read before the first
    from portal.core.api import ConflictError

    with pytest.raises(ConflictError, match="已于 2026-10-01 09:05 报送市级"):
        incident_forward(actor=people["county"], incident=stale, now=at(HOLIDAY, 9, 6))
    incident = Incident.objects.get(pk=incident.pk)
    incident_forward(actor=people["city_duty"], incident=incident, now=at(HOLIDAY, 9, 30))
    incident = Incident.objects.get(pk=incident.pk)
    with pytest.raises(ValidationError, match="报送省级，不能重复报送"):
        incident_forward(actor=people["city_duty"], incident=incident, now=at(HOLIDAY, 9, 31))
    assert AuditEvent.objects.filter(action="incident.forward").count() == 2
    incident.refresh_from_db()
    assert incident.forwarded_to_city_at == at(HOLIDAY, 9, 5)


def test_only_the_county_forwards_to_the_city(people):
    incident = report(people, at(HOLIDAY, 9, 0))
    with pytest.raises(ValidationError, match="报市由事发县"):
        incident_forward(actor=people["city_duty"], incident=incident)
    assert Incident.objects.get(pk=incident.pk).forwarded_to_city_at is None


def test_incidents_start_at_a_county(people):
    with pytest.raises(ValidationError, match="县级首报"):
        incident_report(
            actor=people["city_duty"], title="x", incident_class=conflict(), text="y", now=at(HOLIDAY, 9, 0)
        )
    with pytest.raises(ValidationError, match="涉事单位"):
        incident_report(actor=people["county"], title="x", incident_class=conflict(), text="y", now=at(HOLIDAY, 9, 0))
    assert not Incident.objects.exists()


def test_follow_up_after_the_final_report_is_refused_and_nothing_is_saved(people):
    incident = report(people, at(HOLIDAY, 9, 0))
    incident_add_report(actor=people["county"], incident=incident, kind="follow_up", text="伤者已出院。")
    incident_add_report(actor=people["county"], incident=incident, kind="final", text="处置完毕，已约谈相关人员。")
    incident.refresh_from_db()
    assert incident.status == Incident.Status.CLOSED and incident.closed_at is not None
    with pytest.raises(ValidationError, match="终报，不能再续报"):
        incident_add_report(actor=people["county"], incident=incident, kind="follow_up", text="补充")
    assert list(IncidentReport.objects.filter(incident=incident).values_list("kind", flat=True)) == [
        "initial",
        "follow_up",
        "final",
    ]
    # A closed incident owes no forwarding alert, and cannot be forwarded.
    assert minute_sweep(at(HOLIDAY, 23, 0)).alerts == 0
    with pytest.raises(ValidationError, match="已终报"):
        incident_forward(actor=people["county"], incident=incident)


def test_the_strip_counts_open_incidents_and_missed_limits_in_scope(people):
    now = at(HOLIDAY, 12, 0)
    report(people, at(HOLIDAY, 9, 0))  # not forwarded, limit passed at 09:30: missed
    on_time = report(people, at(HOLIDAY, 11, 50))
    incident_forward(actor=people["county"], incident=on_time, now=at(HOLIDAY, 11, 55))
    since = Period.of(HOLIDAY).window_start
    assert incident_strip(people["city_staff"], now=now) == {
        "open": 2,
        "missed": 1,
        "missed_open": 1,
        "received_from": since,
    }
    assert incident_strip(people["other_county"], now=now) == {
        "open": 0,
        "missed": 0,
        "missed_open": 0,
        "received_from": since,
    }
    # each number is its list: the list's filters select the same incidents
    for params, expected in (({"status": "open"}, 2), ({"missed": "yes", "received_from": since.isoformat()}, 1)):
        assert incidents_filtered(people["city_staff"], params, now=now)[0].count() == expected
        assert incidents_filtered(people["other_county"], params, now=now)[0].count() == 0


def test_the_minute_sweep_with_nothing_due_is_a_few_queries(people, django_assert_max_num_queries):
    """1,440 runs a day: with open incidents none of whose limits passed, the minute sweep is a
    handful of statements (run row, step codes, lock, the two index probes, bookkeeping),
    whatever the number of incidents."""
    for minute in range(5):
        report(people, at(HOLIDAY, 9, minute))
    minute_sweep(at(HOLIDAY, 9, 10))  # registers the step codes once
    with django_assert_max_num_queries(14):
        run = minute_sweep(at(HOLIDAY, 9, 20))
    assert run.alerts == 0


def test_incident_classes_are_configurable_in_the_admin():
    from django.contrib.admin.sites import site

    assert IncidentClass in site._registry
