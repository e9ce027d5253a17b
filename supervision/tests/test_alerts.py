import pytest
from django.utils import timezone

from portal.notifications.models import Alert, Delivery
from portal.notifications.sweep import alerts_fan_out, alerts_sweep
from portal.workdays.calendar import add_working_days
from supervision import services
from supervision.models import SupervisionItem
from supervision.tests.test_services import list_item, make_problem, people  # noqa: F401 - fixtures

pytestmark = pytest.mark.django_db


def test_report_dates_deadline_and_acceptance_join_the_alert_ledger(people):  # noqa: F811
    inspector = people["inspector"]
    item = list_item(people["province"], [make_problem()], team=[inspector], deadline_days=5, report_every_days=2)
    today = timezone.localdate()
    # on the report date: the report source owes its "due" step to the county and the team
    run = alerts_sweep(today=services._plain(add_working_days(today, 2)), enqueue=False)
    alerts_fan_out(run_id=run.pk, enqueue=False)
    sources = set(Alert.objects.filter(subject_id=item.pk).values_list("step__source", flat=True))
    assert "sup_report" in sources
    who = set(
        Delivery.objects.filter(
            alert__subject_id=item.pk, alert__step__source="sup_report", channel="inbox"
        ).values_list("recipient__username", flat=True)
    )
    assert {"county", "inspector"} <= who and "county_b" not in who
    # past the deadline: the deadline source escalates to the city and the province
    late = services._plain(add_working_days(item.deadline, 5))
    run = alerts_sweep(today=late, enqueue=False)
    alerts_fan_out(run_id=run.pk, enqueue=False)
    steps = set(
        Alert.objects.filter(subject_id=item.pk, step__source="sup_deadline").values_list("step__name", flat=True)
    )
    assert "province" in steps
    # the rectification report: the acceptance date is owed to the team
    services.item_transition(actor=people["county"], item_id=item.pk, move="start")
    item = services.item_transition(actor=people["county"], item_id=item.pk, move="report", text="整改完成")
    assert item.acceptance_due is not None
    run = alerts_sweep(today=item.acceptance_due, enqueue=False)
    alerts_fan_out(run_id=run.pk, enqueue=False)
    assert Alert.objects.filter(subject_id=item.pk, step__source="sup_acceptance").exists()
    assert SupervisionItem.objects.get(pk=item.pk).status == "reported"
