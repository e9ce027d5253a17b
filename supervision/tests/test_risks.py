"""Negative lists (重大执法风险隐患负面清单): scored items with owned, dated measures, reviews
on a cycle alerted through the ledger, adoption of the province's items by a city, and the bad
input the issue names refused with a reason and nothing half-saved. Also incidents' share of the
dashboards' three zeros, without counting an event twice."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from portal.accounts.models import Role, User
from portal.audit.models import AuditEvent
from portal.notifications.models import Alert
from portal.notifications.sweep import alerts_fan_out, alerts_sweep
from portal.regions.models import EnforcementDomain, Region, Unit
from supervision.models import RiskItem, RiskMeasure, RiskReview
from supervision.risks import (
    add_months,
    matrix_cells,
    risk_item_adopt,
    risk_item_create,
    risk_item_retire,
    risk_item_review,
    risk_items_visible_to,
    risk_lists_above,
    risk_measure_add,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(db):
    def make(name, code, roles):
        return User.objects.create_user(name, region_id=code, roles=roles)

    return {
        "province": make("risk_province", "410000", [Role.PROVINCE_STAFF]),
        "city": make("risk_city", "410100", [Role.CITY_STAFF]),
        "other_city": make("risk_city_b", "410300", [Role.CITY_STAFF]),
        "county": make("risk_county", "410105", [Role.COUNTY_OFFICER]),
    }


def measures(**override):
    due = timezone.localdate() + dt.timedelta(days=30)
    base = {"text": "执法全过程记录仪佩戴检查", "owner_kind": "first", "due_on": due}
    return [{**base, **override}]


def create(actor, region_code, code="FX-01", **extra):
    values = {
        "actor": actor,
        "region": Region.objects.get(code=region_code),
        "code": code,
        "title": "超限检测站现场处罚风险",
        "domain": EnforcementDomain.objects.first(),
        "description": "治超站点直接罚款、以罚代管的风险。",
        "likelihood": 4,
        "impact": 5,
        "measures": measures(),
    }
    values.update(extra)
    return risk_item_create(**values)


def test_an_item_is_scored_with_the_matrix_and_reviewed_quarterly_by_default(people):
    item = create(people["province"], "410000")
    assert item.score == 20 and item.band == RiskItem.Band.EXTREME
    assert item.review_every_months == 3
    assert item.next_review_on == add_months(timezone.localdate(), 3)
    assert AuditEvent.objects.filter(action="risk_item.create", object_id=str(item.pk)).exists()
    cells = matrix_cells([item])
    assert len(cells) == 5 and all(len(row) == 5 for row in cells)
    top = cells[0]  # impact 5
    assert [c["score"] for c in top] == [5, 10, 15, 20, 25]
    assert [c["band"] for c in top] == ["medium", "high", "high", "extreme", "extreme"]
    assert top[3]["count"] == 1 and cells[4][0]["band"] == "low"


def test_lists_at_province_city_and_county_each_scoped(people):
    create(people["province"], "410000", code="P-1")
    create(people["city"], "410100", code="C-1")
    create(people["county"], "410105", code="X-1")
    assert {i.code for i in risk_items_visible_to(people["province"])} == {"P-1", "C-1", "X-1"}
    assert {i.code for i in risk_items_visible_to(people["city"])} == {"C-1", "X-1"}
    assert {i.code for i in risk_items_visible_to(people["county"])} == {"X-1"}
    assert not risk_items_visible_to(people["other_city"]).exists()


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ({"owner_kind": ""}, "没有责任人"),
        ({"owner_kind": "user", "owner_user": None}, "没有选择具体账号"),
        ({"due_on": None}, "没有完成期限"),
        ({"text": " "}, "没有内容"),
    ],
)
def test_a_measure_without_owner_or_date_is_refused_and_nothing_saved(people, override, message):
    with pytest.raises(ValidationError, match=message):
        create(people["city"], "410100", measures=measures(**override))
    assert not RiskItem.objects.exists() and not RiskMeasure.objects.exists()
    item = create(people["city"], "410100")
    with pytest.raises(ValidationError, match=message):
        risk_measure_add(actor=people["city"], item=item, **{**measures()[0], **override})
    assert item.measures.count() == 1


def test_a_named_user_may_own_a_measure(people):
    item = create(people["city"], "410100", measures=measures(owner_kind="user", owner_user=people["city"]))
    measure = item.measures.get()
    assert measure.owner_label == "risk_city"


def test_scores_out_of_the_matrix_are_refused(people):
    with pytest.raises(ValidationError) as caught:
        create(people["city"], "410100", likelihood=6, impact=0)
    assert set(caught.value.message_dict) == {"likelihood", "impact"}


def test_a_review_moves_the_next_one_a_cycle_on_and_a_retired_item_is_not_reviewed(people):
    item = create(people["city"], "410100")
    review = risk_item_review(actor=people["city"], item=item, likelihood=3, impact=5, note="措施已落实，可能性下降。")
    item.refresh_from_db()
    assert (item.likelihood, item.score, item.last_reviewed_on) == (3, 15, timezone.localdate())
    assert review.reviewed_on == timezone.localdate() and item.version == 2
    risk_item_retire(actor=people["city"], item=item, reason="站点撤销")
    with pytest.raises(ValidationError, match="退出清单，不再复核"):
        risk_item_review(actor=people["city"], item=item, likelihood=1, impact=1, note="x")
    assert RiskReview.objects.filter(item=item).count() == 1
    actions = list(AuditEvent.objects.filter(object_id=str(item.pk)).values_list("action", flat=True))
    assert {"risk_item.create", "risk_item.review", "risk_item.retire"} <= set(actions)


def test_a_city_sees_and_adopts_the_provinces_items_once(people):
    province_item = create(people["province"], "410000", code="P-1")
    retired = create(people["province"], "410000", code="P-2")
    risk_item_retire(actor=people["province"], item=retired, reason="已不适用")
    above = list(risk_lists_above(people["city"]))
    assert [i.code for i in above] == ["P-1"] and above[0].adopted_here == 0
    adopted = risk_item_adopt(actor=people["city"], source=province_item)
    assert adopted.region_id == "410100" and adopted.adopted_from == province_item
    assert adopted.measures.count() == 1 and adopted.score == province_item.score
    assert risk_lists_above(people["city"]).get().adopted_here == 1
    with pytest.raises(ValidationError, match="已采用过"):
        risk_item_adopt(actor=people["city"], source=province_item)
    with pytest.raises(ValidationError, match="上级清单中有效"):
        risk_item_adopt(actor=people["city"], source=retired)
    assert RiskItem.objects.filter(region_id="410100").count() == 1
    # The province has nothing above it; a county sees the province's and its city's lists.
    assert not risk_lists_above(people["province"]).exists()
    assert {i.code for i in risk_lists_above(people["county"])} == {"P-1", adopted.code}


def test_a_review_due_alerts_the_lists_staff_through_the_ledger(people):
    item = create(people["city"], "410100")
    today = timezone.localdate()
    RiskItem.objects.filter(pk=item.pk).update(next_review_on=today - dt.timedelta(days=1))
    run = alerts_sweep(today=today, enqueue=False)
    alert = Alert.objects.get(run=run, step__source="risk_review")
    assert alert.subject_id == item.pk
    counts = alerts_fan_out(run_id=run.pk, enqueue=False)
    assert counts["claimed_alerts"] >= 1 and counts["deliveries"] >= 1
    assert alerts_sweep(today=today, enqueue=False).alerts == 0  # once


def test_incidents_join_the_three_zeros_and_an_event_counts_once(people):
    """An unlinked conflict incident adds one to 零执法冲突; one linked to a problem that counts as a
    conflict (执法粗暴) is counted by the problem, not again; one linked to a problem that counts
    for no goal still counts; a duty-crime incident whose problem has a counted accountability
    decision is counted by that decision."""
    from cases.figures import CONFLICT_CLASS
    from cases.models import Accountability, Category, Problem
    from portal.dashboards.services import figures_refresh
    from supervision.incidents import incident_report
    from supervision.models import IncidentClass, IncidentFigure

    unit = Unit.objects.create(name="金水区执法大队", kind="agency", region_id="410105")
    rough = Category.objects.get(code=CONFLICT_CLASS)
    rough_item = Category.objects.filter(parent=rough).first() or rough
    other = Category.objects.filter(parent__isnull=False).exclude(parent=rough).first()

    def problem(n, category):
        return Problem.objects.create(
            code=f"WT-R-{n:05d}",
            title="同一事件登记的问题",
            category=category,
            source=Problem.Source.INSPECTION,
            region_id="410105",
            unit=unit,
            domain=EnforcementDomain.objects.first(),
        )

    conflict_problem, plain_problem, crime_problem = problem(1, rough_item), problem(2, other), problem(3, other)
    Accountability.objects.create(
        problem=crime_problem,
        person_name="张某",
        post="执法队员",
        decided_by="金水区交通运输局",
        unit=unit,
        measure=Accountability.Measure.DISCIPLINE,
        decided_on=timezone.localdate(),
    )
    cls = {c.code: c for c in IncidentClass.objects.all()}
    for code, linked in (
        ("conflict", None),  # counts
        ("conflict", conflict_problem),  # the problem counts it
        ("conflict", plain_problem),  # the problem counts for no goal: the incident does
        ("opinion", None),  # counts
        ("duty_crime", crime_problem),  # the accountability decision counts it
        ("injury", None),  # no goal
    ):
        incident_report(
            actor=people["county"], title="事件", incident_class=cls[code], text="经过", unit=unit, problem=linked
        )
    figures_refresh()
    row = IncidentFigure.objects.get(dim="all", region_id="410000", unit__isnull=True)
    assert (row.conflict, row.opinion, row.duty_crime, row.open, row.reported) == (2, 1, 0, 6, 6)

    from django.test import Client

    client = Client()
    client.force_login(people["province"])
    page = client.get("/").content.decode()
    assert "突发事件信息报送" in page
