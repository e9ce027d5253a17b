"""The summary tables hold exactly what the records say: every figure of every scope equals
the same aggregate computed straight from the records, and the definitions hold at their
edges (overdue from the day after the deadline, on time on the deadline, the three zeros)."""

from __future__ import annotations

from collections import Counter

import pytest
from django.db.models import Sum

from cases import figures
from cases.figures import Dim, ProblemFigures
from cases.models import Accountability, Problem, ProblemFigure
from complaints import figures as complaint_figures
from complaints.models import Complaint, ComplaintFigure
from portal.dashboards import selectors
from portal.dashboards.models import Snapshot, figure_fields
from portal.dashboards.period import Period
from portal.dashboards.services import figures_refresh
from portal.dashboards.tests.conftest import complaint, days, problem, today
from portal.regions.models import Region

pytestmark = pytest.mark.django_db


def _live(user, scope):
    """The scope's figures computed from the records with the definitions of figures.py."""
    period = Period.of()
    conflict_id = figures.conflict_class_id()
    problems = Problem.objects.visible_to(user).filter(scope.problem_q())
    complaints = Complaint.objects.visible_to(user)
    accountability = Accountability.objects.visible_to(user).filter(decided_on__gte=period.window_start)
    if scope.unit is not None:
        complaints = complaints.filter(handling_unit=scope.unit)
        accountability = accountability.filter(unit=scope.unit)
    elif not scope.root:
        subtree = Region.objects.filter(path__startswith=scope.region.path).values("code")
        complaints = complaints.filter(handling_region__in=subtree)
        accountability = accountability.filter(problem__region__in=subtree)
    p = problems.aggregate(**figures.problem_measures(period, conflict_id))
    p.update(accountability.aggregate(**figures.accountability_measures()))
    c = complaints.aggregate(**complaint_figures.complaint_measures(period, conflict_id))
    by_class = {
        row["klass"]: row
        for row in problems.annotate(klass=figures.category_class())
        .values("klass")
        .annotate(**figures.problem_breakdown_measures(period))
    }
    by_domain = {
        row["domain_id"]: row
        for row in problems.values("domain_id").annotate(**figures.problem_breakdown_measures(period))
    }
    return p, c, by_class, by_domain


def _scopes(people, units):
    return [
        (people["province"], selectors.scope_own(people["province"])),
        (people["province"], selectors.scope_region(people["province"], "410100")),
        (people["province"], selectors.scope_region(people["province"], "410300")),
        (people["city"], selectors.scope_own(people["city"])),
        (people["city"], selectors.scope_region(people["city"], "410105")),
        (people["county"], selectors.scope_own(people["county"])),
        (people["county"], selectors.scope_unit(people["county"], units["a_station"].pk)),
        (people["province"], selectors.scope_unit(people["province"], units["province"].pk)),
    ]


def test_every_figure_of_every_scope_equals_the_records(world, people, units):
    for user, scope in _scopes(people, units):
        shown = selectors.dashboard(user, scope)
        live_p, live_c, by_class, by_domain = _live(user, scope)
        rows = ProblemFigure.objects.visible_to(user).filter(scope.figure_q())
        stored_p = Counter()
        for row in rows.filter(dim__in=[Dim.ALL, Dim.MEASURE]).values(*figure_fields(ProblemFigure)):
            stored_p.update(row)
        stored_c = Counter()
        for row in ComplaintFigure.objects.visible_to(user).filter(scope.figure_q(), dim=Dim.ALL).values():
            stored_c.update({k: row[k] for k in figure_fields(ComplaintFigure)})
        assert {k: stored_p[k] for k in live_p} == live_p, scope.key
        assert {k: stored_c[k] for k in live_c} == live_c, scope.key
        assert {row["name"]: row["open"].value for row in shown.card("problems-categories").data["rows"]} == {
            name: by_class[pk]["open"] for pk, name in _names("cases.Category", by_class) if by_class[pk]["total"]
        }, scope.key
        assert {
            row["name"]: (row["total"].value, row["overdue"].value)
            for row in shown.card("problems-domains").data["rows"]
        } == {
            name: (by_domain[pk]["total"], by_domain[pk]["overdue"])
            for pk, name in _names("regions.EnforcementDomain", by_domain)
        }, scope.key


def _names(label, rows):
    from django.apps import apps

    return apps.get_model(label).objects.filter(pk__in=[pk for pk in rows if pk]).values_list("pk", "name")


def test_the_province_in_figures(world, people):
    d = selectors.dashboard(people["province"], selectors.scope_own(people["province"]))
    kpi = {k.label: k.num.value for k in d.section("problems").kpis + d.section("complaints").kpis}
    # open: 15 problems minus the 4 closed ones; overdue: deadline before today, open
    assert kpi["在办问题"] == 11
    assert kpi["逾期未整改"] == Problem.objects.overdue().count() == 5
    assert kpi["重点问题逾期"] == 1
    assert kpi["按期整改率"] == pytest.approx(2 / 3)  # closed in the window: on time, late, on time
    # complaints received in the window (the one from 500 days ago is not), red lights, escalated
    assert kpi["受理诉求"] == 9
    assert kpi["投诉举报"] == 7
    assert kpi["提级办理"] == 2
    assert kpi["超期未办结"] == 2
    assert kpi["限时办结率"] == pytest.approx(2 / 3)  # closed in time: 2 of 3
    assert kpi["回访满意率"] == pytest.approx(3 / 4)  # satisfied or basic: 3 of 4 called back
    zeros = {k.label: k.num.value for k in d.zeros}
    # duty crimes: the discipline measure and the serious talk (the old one is outside the window)
    assert zeros["零职务犯罪"] == 2
    # conflicts: 执法粗暴 problems not raised from complaints (a_overdue, b_overdue) + 3 complaints
    # + the 3 conflict incidents of the window (linked to nothing that counts already)
    assert zeros["零执法冲突"] == 2 + 3 + 3
    # negative opinion: the media problem and the public-opinion one
    assert zeros["零负面舆情"] == 2
    problem_months = d.card("problems-trend").data["months"]
    months = {m["month"]: m for m in d.card("complaints-trend").data["months"]}
    this_month = today().replace(day=1)
    assert len(problem_months) == 12 and problem_months[-1]["month"] == this_month
    assert (
        sum(m["found"].value for m in problem_months)
        == Problem.objects.filter(found_on__gte=d.period.window_start).count()
    )
    assert sum(m["closed"].value for m in problem_months) == 3
    assert (
        months[this_month]["received"].value
        == Complaint.objects.filter(received_at__gte=Period.aware(this_month)).count()
    )
    assert {row["name"]: row["count"].value for row in d.card("accountability").data["rows"]} == {
        "党纪政务处分": 1,
        "诫勉谈话": 2,
        "通报批评": 1,
    }


def test_places_add_up_to_the_scope(world, people):
    d = selectors.dashboard(people["province"], selectors.scope_own(people["province"]))
    places = {p.key: p for p in d.places}
    assert set(places) >= {"410100", "410300", "410000"} and len(places) == 19  # 17 + 济源 + own level
    province = ProblemFigure.objects.filter(
        region_id="410000", unit__isnull=True, dim__in=[Dim.ALL, Dim.MEASURE]
    ).aggregate(**{name: Sum(name) for name in ProblemFigures.place_fields})
    for name, total in province.items():
        assert sum(p.figures["problems"][name] for p in d.places) == total, name
    assert places["410000"].own_level and places["410000"].figures["problems"]["open"] == 1
    assert places["410100"].figures["problems"]["overdue"] == 4 and places["410300"].figures["problems"]["overdue"] == 1
    assert places["410100"].units == 4 and places["410300"].units == 1
    # the counties' rankings: 金水区 has the most overdue problems
    most_overdue = d.county_rankings[0]["rows"]
    assert most_overdue[0].key == "410105" and most_overdue[0].nums["overdue"].value == 2


def test_overdue_starts_the_day_after_the_deadline(db, units):
    problem(units["a"], deadline=today())
    problem(units["a"], deadline=days(-1))
    problem(units["a"], status=Problem.Status.CLOSED, deadline=days(-1), closed_on=days(0), found_on=days(-9))
    problem(units["a"], status=Problem.Status.CLOSED, deadline=days(-1), closed_on=days(-1), found_on=days(-9))
    figures_refresh()
    row = ProblemFigure.objects.get(dim=Dim.ALL, unit=units["a"])
    assert (row.open, row.overdue, row.closed, row.closed_on_time) == (2, 1, 2, 1)


def test_a_complaint_is_overdue_when_its_light_is_red(db, units):
    from complaints.selectors import RED, with_lights

    complaint(units["a"], deadline=today())  # due today: yellow
    complaint(units["a"], deadline=days(-1))  # red
    complaint(units["a"], status=Complaint.Status.RECEIVED, accept_deadline=days(-1))  # red: not accepted
    complaint(units["a"], status=Complaint.Status.REPLIED, deadline=days(-3))  # answered: the clock stopped
    figures_refresh()
    row = ComplaintFigure.objects.get(dim=Dim.ALL, unit=units["a"])
    assert row.overdue == with_lights(Complaint.objects.all()).filter(light=RED).count() == 2


def test_refreshing_again_gives_the_same_figures_and_a_new_time(world):
    first = Snapshot.objects.get()
    fields = figure_fields(ProblemFigure)
    before = list(ProblemFigure.objects.values_list(*fields).order_by(*fields))
    second = figures_refresh()
    after = list(ProblemFigure.objects.values_list(*fields).order_by(*fields))
    assert before == after and second.computed_at >= first.computed_at
    assert Snapshot.objects.count() == 1


def test_subtree_rows_sum_the_unit_rows(world):
    for model, fields in (
        (ProblemFigure, figure_fields(ProblemFigure)),
        (ComplaintFigure, figure_fields(ComplaintFigure)),
    ):
        units_ = Counter()
        for row in model.objects.filter(unit__isnull=False).values(*fields):
            units_.update(row)
        province = Counter()
        for row in model.objects.filter(unit__isnull=True, region_id="410000").values(*fields):
            province.update(row)
        assert +units_ == +province


def test_the_complaint_figures_agree_with_the_complaint_statistics(world, people):
    """The complaint app's own statistics (complaints.selectors) count the same."""
    from complaints.selectors import complaint_statistics

    period = Period.of()
    stats = complaint_statistics(people["city"], date_from=period.window_start)["totals"]
    d = selectors.dashboard(people["city"], selectors.scope_own(people["city"]))
    kpi = {k.label: k.num for k in d.section("complaints").kpis}
    assert kpi["受理诉求"].value == stats["total"]
    assert kpi["投诉举报"].value == stats["complaints"]
    assert kpi["提级办理"].value == stats["escalated"]
    assert kpi["限时办结率"].value == (stats["closed_on_time"] / stats["closed"] if stats["closed"] else None)


def test_records_outside_the_scope_are_not_counted(world, people):
    d = selectors.dashboard(people["city_b"], selectors.scope_own(people["city_b"]))
    kpi = {k.label: k.num.value for k in d.section("problems").kpis}
    assert kpi["在办问题"] == Problem.objects.filter(region__path__startswith="410000/410300/").open().count() == 1
    assert {p.key for p in d.places} == set(
        Region.objects.filter(parent_id="410300").values_list("code", flat=True)
    ) | {"410300"}
