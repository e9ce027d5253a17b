"""The sweep: which alerts are owed on which working day, once, to whom."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db.models import F
from django.utils import timezone

from portal.notifications.calendar import fire_date, threshold
from portal.notifications.models import Alert, AlertStep, Delivery, NotificationPreference, Run
from portal.notifications.sweep import alerts_fan_out, alerts_sweep
from portal.notifications.tests.conftest import TODAY
from portal.workdays.calendar import add_working_days, is_working_day

pytestmark = pytest.mark.django_db


def wd(n: int, day: dt.date = TODAY) -> dt.date:
    found = add_working_days(day, n)
    return dt.date(found.year, found.month, found.day)


def owed(run: Run) -> dict[int, str]:
    return dict(Alert.objects.filter(run=run).values_list("subject_id", "step__name"))


def test_thresholds_agree_with_the_calendar_day_by_day():
    """The threshold trick is exact: for every deadline around today, "deadline <= threshold"
    is the same as "the step's working day has come"."""
    for today in (TODAY, dt.date(2026, 6, 19), dt.date(2026, 6, 22), dt.date(2026, 10, 8), dt.date(2026, 9, 30)):
        for offset in (-3, -1, 0, 1, 3, 7):
            limit, provisional = threshold(offset, today)
            assert not provisional
            for days in range(-40, 40):
                deadline = today + dt.timedelta(days=days)
                assert (deadline <= limit) == (fire_date(deadline, offset) <= today), (today, offset, deadline)


def test_each_problem_owes_the_latest_step_it_reached(people, make_problem):
    assert is_working_day(TODAY)
    h = people["handler"]
    cases = {
        "before3": make_problem(wd(3), handler=h),
        "before1": make_problem(wd(1), handler=h),
        "due": make_problem(TODAY, handler=h),
        "overdue": make_problem(wd(-1), handler=h),
        "city": make_problem(wd(-3), handler=h),
        "province": make_problem(wd(-7), handler=h),
        "long_overdue": make_problem(wd(-60), handler=h),
    }
    not_yet = make_problem(wd(4), handler=h)
    closed = make_problem(wd(-1), handler=h, status="closed")
    submitted = make_problem(wd(-1), handler=h, status="submitted")

    run = alerts_sweep(today=TODAY, enqueue=False)

    steps = owed(run)
    expected = {p.pk: step for step, p in cases.items()}
    expected[cases["long_overdue"].pk] = "province"
    assert steps == expected
    assert not {not_yet.pk, closed.pk, submitted.pk} & set(steps)
    kinds = dict(Alert.objects.filter(run=run).values_list("step__name", "step__kind"))
    assert kinds == {
        "before3": "reminder",
        "before1": "reminder",
        "due": "due",
        "overdue": "overdue",
        "city": "escalation",
        "province": "escalation",
    }
    assert run.outcome == "ok" and run.alerts == 7 and run.detail["sources"]["problem"] == 7


def test_a_second_sweep_owes_and_enqueues_nothing(people, make_problem, django_capture_on_commit_callbacks):
    for n in (3, 1, 0, -1, -3, -7):
        make_problem(wd(n), handler=people["handler"])
    with django_capture_on_commit_callbacks() as first_callbacks:
        first = alerts_sweep(today=TODAY)
    assert first.alerts == 6 and len(first_callbacks) == 1  # the fan-out of this run
    with django_capture_on_commit_callbacks() as second_callbacks:
        second = alerts_sweep(today=TODAY)
    assert second.alerts == 0 and second_callbacks == []
    assert Alert.objects.count() == 6


def test_the_days_move_the_steps_along_and_each_is_owed_once(people, make_problem):
    problem = make_problem(wd(3), handler=people["handler"])
    seen = []
    day = TODAY
    while day <= wd(12):
        run = alerts_sweep(today=day, enqueue=False)
        seen += [(day, step) for step in owed(run).values()]
        day += dt.timedelta(days=1)
    assert [step for _day, step in seen] == ["before3", "before1", "due", "overdue", "city", "province"]
    assert {step: day for day, step in seen} == {
        "before3": TODAY,
        "before1": wd(2),
        "due": wd(3),
        "overdue": wd(4),
        "city": wd(6),
        "province": wd(10),
    }
    assert Alert.objects.filter(subject_id=problem.pk).count() == 6


def test_the_ledger_key_is_subject_step_and_version_packed(people, make_problem):
    from django.db import IntegrityError, transaction

    problem = make_problem(TODAY, handler=people["handler"])
    run = alerts_sweep(today=TODAY, enqueue=False)
    alert = Alert.objects.select_related("step").get(run=run)
    assert alert.pk == (problem.pk << 28) | (alert.step_id << 16) | problem.deadline_version
    assert (alert.step.source, alert.step.kind, alert.step.name) == ("problem", "due", "due")
    assert alert.key == f"problem:{problem.pk}:due:due:v1"
    # Every step a source declares has its code once; later sweeps add none.
    codes = sorted(AlertStep.objects.values_list("source", "kind", "name", "id"))
    declared = {(s, k, n) for s, k, n, _id in codes}
    assert declared >= {("problem", "escalation", "province"), ("extension", "extension", "requested")}
    alerts_sweep(today=TODAY, enqueue=False)
    assert sorted(AlertStep.objects.values_list("source", "kind", "name", "id")) == codes
    # The database refuses a key that is not the packing of its parts, and parts beyond its bounds.
    with pytest.raises(IntegrityError), transaction.atomic():
        Alert.objects.create(id=alert.pk + 1, subject_id=problem.pk, step=alert.step, version=1, fire_on=TODAY)
    with pytest.raises(IntegrityError), transaction.atomic():
        Alert.objects.create(subject_id=problem.pk, step=alert.step, version=1 << 16, fire_on=TODAY)
    with pytest.raises(IntegrityError), transaction.atomic():  # the same key again: refused, not overwritten
        Alert(subject_id=problem.pk, step=alert.step, version=1, fire_on=wd(5), run=None).save()
    assert Alert.objects.get(pk=alert.pk).run_id == run.pk


def test_a_step_a_source_did_not_declare_fails_the_sweep_loudly(people, make_problem, monkeypatch):
    from cases.alerts import ProblemDeadlineSource

    make_problem(TODAY, handler=people["handler"])
    monkeypatch.setattr(ProblemDeadlineSource, "alert_keys", lambda self: [("due", "due")])
    with pytest.raises(LookupError):
        alerts_sweep(today=TODAY, enqueue=False)
    run = Run.objects.filter(kind=Run.Kind.SWEEP).latest("started_at")
    assert run.outcome == Run.Outcome.ERROR
    assert "alert source 'problem' owes ('escalation', 'province')" in run.error and "alert_keys()" in run.error
    assert not Alert.objects.exists()


def test_the_fan_out_reads_the_blocks_its_sweep_wrote_and_falls_back_to_the_run(people, make_problem):
    """A run's alerts are found in the heap blocks its sweep returned; when they are not all
    there any more (a table rewrite moved them), by run id: either way every alert is claimed."""
    from django.db import connection

    with connection.cursor() as cursor:  # no space left by earlier tests' rolled-back alerts
        cursor.execute("TRUNCATE notifications_alert CASCADE")
    for days in (0, 1, -1):
        make_problem(wd(days), handler=people["handler"])
    run = alerts_sweep(today=TODAY, enqueue=False)
    run.refresh_from_db()
    assert run.alerts == 3 and run.first_block is not None and run.last_block >= run.first_block
    counts = alerts_fan_out(run_id=run.pk, enqueue=False)
    assert (counts["located_by"], counts["claimed_alerts"]) == ("blocks", 3)

    for days in (-3, -7):
        make_problem(wd(days), handler=people["handler"])
    moved = alerts_sweep(today=TODAY, enqueue=False)
    assert moved.alerts == 2
    Run.objects.filter(pk=moved.pk).update(first_block=F("last_block") + 10, last_block=F("last_block") + 10)
    counts = alerts_fan_out(run_id=moved.pk, enqueue=False)
    assert (counts["located_by"], counts["claimed_alerts"]) == ("run", 2)
    assert Delivery.objects.filter(alert__run=moved).values("alert").distinct().count() == 2


def test_a_moved_deadline_owes_its_steps_again(people, make_problem):
    from cases.models import Problem

    problem = make_problem(TODAY, handler=people["handler"])
    alerts_sweep(today=TODAY, enqueue=False)
    Problem.objects.filter(pk=problem.pk).update(deadline=wd(1), deadline_version=2)  # an extension
    run = alerts_sweep(today=TODAY, enqueue=False)
    assert owed(run) == {problem.pk: "before1"}
    assert sorted(Alert.objects.values_list("step__name", "version")) == [("before1", 2), ("due", 1)]


def test_recipients_come_from_the_responsibility_chain_and_the_levels_above(people, make_problem):
    p = people
    reminder = make_problem(wd(1), handler=p["handler"], deputy=p["deputy"], first=p["first"])
    city = make_problem(wd(-3), handler=p["handler"])
    province = make_problem(wd(-7), deputy=p["deputy"])
    nobody_named = make_problem(TODAY)
    run = alerts_sweep(today=TODAY, enqueue=False)
    counts = alerts_fan_out(run_id=run.pk, enqueue=False)
    assert counts["claimed_alerts"] == 4 and counts["unaddressed_alerts"] == 0

    def who(problem):
        return set(
            Delivery.objects.filter(alert__subject_id=problem.pk, channel="inbox").values_list(
                "recipient__username", flat=True
            )
        )

    assert who(reminder) == {"handler", "deputy", "first"}
    assert who(city) == {"handler", "city"}  # not city_b (another city), not city_gone (inactive)
    assert who(province) == {"deputy", "city", "province"}
    # Nobody named on the problem: the county officers of its unit.
    assert who(nobody_named) == {"handler", "deputy", "first", "officer"}
    # A second fan-out of the same run claims nothing.
    assert alerts_fan_out(run_id=run.pk, enqueue=False)["claimed_alerts"] == 0


def test_channels_follow_each_persons_choice(people, make_problem, settings):
    settings.SMS_GATEWAY_URL = "http://127.0.0.1:9/sms"
    NotificationPreference.objects.create(user=people["deputy"], email=False, sms=True)
    people["first"].email = ""
    people["first"].save(update_fields=["email"])
    make_problem(TODAY, handler=people["handler"], deputy=people["deputy"], first=people["first"])
    run = alerts_sweep(today=TODAY, enqueue=False)
    alerts_fan_out(run_id=run.pk, enqueue=False)
    rows = {(d.recipient.username, d.channel): d.status for d in Delivery.objects.select_related("recipient")}
    assert rows == {
        ("handler", "inbox"): "pending",
        ("handler", "email"): "pending",  # the defaults: inbox and email
        ("deputy", "inbox"): "pending",
        ("deputy", "sms"): "pending",
        ("first", "inbox"): "pending",
        ("first", "email"): "undeliverable",  # recorded once, never retried
    }
    assert Delivery.objects.get(recipient=people["first"], channel="email").last_error


def test_many_items_due_together_become_one_digest_per_person_and_channel(people, make_problem, settings):
    settings.NOTIFICATIONS_DIGEST_THRESHOLD = 5
    for _ in range(8):
        make_problem(TODAY, handler=people["handler"])
    for _ in range(2):
        make_problem(TODAY, handler=people["deputy"])
    run = alerts_sweep(today=TODAY, enqueue=False)
    counts = alerts_fan_out(run_id=run.pk, enqueue=False)
    handler_email = Delivery.objects.filter(recipient=people["handler"], channel="email")
    digest = handler_email.get(is_digest=True)
    assert digest.status == "pending" and digest.items.count() == 8
    assert set(handler_email.filter(is_digest=False).values_list("status", flat=True)) == {"digested"}
    # The inbox keeps every item; a person under the threshold gets each email.
    assert Delivery.objects.filter(recipient=people["handler"], channel="inbox", status="pending").count() == 8
    assert set(
        Delivery.objects.filter(recipient=people["deputy"], channel="email").values_list("status", flat=True)
    ) == {"pending"}
    sent_now = {pk for pk, _channel in counts["to_send"]}
    assert digest.pk in sent_now and not sent_now & set(
        handler_email.filter(is_digest=False).values_list("pk", flat=True)
    )


def test_a_pending_extension_alerts_the_level_above(people, make_problem):
    from cases.models import ExtensionRequest

    problem = make_problem(wd(20), handler=people["handler"])
    extension = ExtensionRequest.objects.create(
        problem=problem,
        requested_by=people["handler"],
        current_deadline=problem.deadline,
        requested_deadline=problem.deadline + dt.timedelta(days=10),
        reason="需协调公安部门",
        requested_at=timezone.make_aware(dt.datetime.combine(TODAY, dt.time(9))),
    )
    run = alerts_sweep(today=TODAY, enqueue=False)
    alerts_fan_out(run_id=run.pk, enqueue=False)
    alert = Alert.objects.select_related("step").get(step__source="extension")
    assert (alert.subject_id, alert.step.name) == (extension.pk, "requested")
    assert alert.key == f"extension:{extension.pk}:extension:requested:v1"
    assert set(alert.deliveries.values_list("recipient__username", flat=True)) == {"city"}
    # Still undecided two working days later: told again; decided: nothing more.
    assert owed(alerts_sweep(today=wd(2), enqueue=False)) == {extension.pk: "waiting"}
    ExtensionRequest.objects.filter(pk=extension.pk).update(decision="refused")
    assert alerts_sweep(today=wd(4), enqueue=False).alerts == 0


def test_a_deadline_in_a_year_without_calendar_warns_the_administrators(people, make_problem):
    from portal.core.models import AdminWarning

    make_problem(dt.date(2099, 3, 2), handler=people["handler"])
    run = alerts_sweep(today=TODAY, enqueue=False)
    assert run.outcome == "ok" and run.detail["years_without_calendar"] == [2099]
    assert AdminWarning.objects.filter(key="calendar-missing-2099").exists()


def test_a_sweep_in_a_year_without_calendar_works_on_weekends_only_and_says_so(people, make_problem):
    from portal.core.models import AdminWarning

    today = dt.date(2090, 3, 6)  # a Monday, year not entered
    problem = make_problem(today, handler=people["handler"])
    run = alerts_sweep(today=today, enqueue=False)
    assert run.outcome == "ok" and run.detail["provisional"] is True
    assert owed(run) == {problem.pk: "due"}
    assert AdminWarning.objects.filter(key="calendar-missing-2090").exists()


def test_the_sweep_is_a_fixed_number_of_queries(people, make_problem, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for n in (3, 0, -3):
        make_problem(wd(n), handler=people["handler"])
    alerts_sweep(today=wd(-20), enqueue=False)  # loads the calendar snapshot once
    with CaptureQueriesContext(connection) as few:
        alerts_sweep(today=TODAY, enqueue=False)
    for _ in range(40):
        make_problem(wd(-1), handler=people["handler"])
    with CaptureQueriesContext(connection) as many:
        run = alerts_sweep(today=TODAY, enqueue=False)
    assert run.alerts == 40
    assert len(many) == len(few)
    with CaptureQueriesContext(connection) as fan_out:
        alerts_fan_out(run_id=run.pk, enqueue=False)
    # the fan-out's run row and its update, the sweep run's blocks and their count, the
    # fan-out statement, a savepoint pair
    assert len(fan_out) <= 7


def test_complaint_lights_alert_the_handling_unit_and_on_red_the_level_above(people, unit):
    """Complaints join through the same registry: yellow from each complaint's own yellow day,
    red past its deadline; a moved deadline (new version) owes its lights again."""
    from complaints import services as complaint_services
    from complaints.models import Channel, Complaint, IntakeClient, RoutingRule
    from complaints.routing import refdata_changed
    from portal.accounts.models import User

    RoutingRule.objects.create(region_id="410105", area="road_transport", unit=unit)
    refdata_changed()
    hotline = IntakeClient.objects.create(
        user=User.objects.create_user("api_12328", region_id="410000"),
        name="12328",
        channel=Channel.HOTLINE_12328,
    )
    complaint, _created = complaint_services.complaint_submit(
        actor=hotline.user,
        intake_client=hotline,
        channel=Channel.HOTLINE_12328,
        area="road_transport",
        subject="出租车拒载",
        description="花园路出租车拒载。",
        region="410105",
        phone="13800001234",
    )
    assert complaint.handling_unit_id == unit.pk
    Complaint.objects.filter(pk=complaint.pk).update(deadline=wd(2), deadline_warn_from=wd(-1))
    run = alerts_sweep(today=TODAY, enqueue=False)
    assert owed(run) == {complaint.pk: "yellow"}
    alerts_fan_out(run_id=run.pk, enqueue=False)
    told = set(Alert.objects.get(run=run).deliveries.values_list("recipient__username", flat=True))
    assert told == {"handler", "deputy", "first", "officer"}  # the handling unit's caseworkers
    Complaint.objects.filter(pk=complaint.pk).update(deadline=wd(-1), deadline_warn_from=wd(-3))
    run = alerts_sweep(today=TODAY, enqueue=False)
    assert owed(run) == {complaint.pk: "red"}
    alerts_fan_out(run_id=run.pk, enqueue=False)
    told = set(Alert.objects.get(run=run).deliveries.values_list("recipient__username", flat=True))
    assert told == {"handler", "deputy", "first", "officer", "city"}  # and the level above
    from portal.notifications.delivery import deliveries_send
    from portal.notifications.models import InboxMessage

    inbox = list(Delivery.objects.filter(alert__run=run, channel="inbox").values_list("pk", flat=True))
    assert deliveries_send(channel="inbox", ids=inbox) == {"sent": 5}
    message = InboxMessage.objects.get(user=people["city"])
    assert complaint.tracking_number in message.title and "红灯" in message.title and message.level == "danger"
    assert alerts_sweep(today=TODAY, enqueue=False).alerts == 0
    Complaint.objects.filter(pk=complaint.pk).update(deadline=wd(5), deadline_warn_from=TODAY, deadline_version=2)
    assert owed(alerts_sweep(today=TODAY, enqueue=False)) == {complaint.pk: "yellow"}
