"""Problem clues in the case data (issue 19): every rule raises a clue for a case that breaks it
and none for one just inside its threshold; a case is judged by the exemption list and
benchmarks in force on its decision date; clues are accepted once (a second answer 409) or
dismissed with a reason. Clues are computed on upload (the upload service calls the engine)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.http import Http404

from cases.enforcement import clue_services, clues, services
from cases.enforcement.clue_models import Clue, ClueRule, DiscretionBenchmark, ExemptionItem
from cases.enforcement.models import EnforcementCaseKey
from cases.models import Category, Problem, ProblemLink
from cases.tests.enforcement import case
from portal.accounts.models import Role, User
from portal.audit.models import AuditEvent
from portal.core.api import ConflictError
from portal.regions.models import EnforcementDomain

pytestmark = pytest.mark.django_db

SEQ = iter(range(1, 100_000))


def row(**overrides):
    return case(f"金交执罚〔2026〕{next(SEQ)}号", **overrides)


@pytest.fixture(autouse=True)
def _tasks_run_here():
    """The upload hands its clues to a task after commit; here the task runs in the test."""
    from portal.celery import app

    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = False


def upload(system, agency, *rows):
    from django.test import TestCase

    with TestCase.captureOnCommitCallbacks(execute=True) as callbacks:
        results = services.case_upload_batch(actor=system, unit=agency, rows=list(rows))
    assert len(callbacks) == 1  # the clue task, once per upload
    assert all(r.outcome in ("new", "updated") for r in results), [r.errors for r in results]
    numbers = [r.case_number for r in results]
    keys = dict(
        EnforcementCaseKey.objects.filter(unit=agency, case_number__in=numbers).values_list("case_number", "id")
    )
    return [keys[n] for n in numbers]


def flagged(code: str) -> set[int]:
    """The case keys of the clues of one rule."""
    return {k for keys in Clue.objects.filter(rule__code=code).values_list("case_keys", flat=True) for k in keys}


def exemption(item, start="2020-01-01", end=None, **extra):
    return ExemptionItem.objects.create(
        violation_item=item,
        name=item.name,
        conditions=["first_offence", "corrected"],
        effective_from=start,
        effective_to=end,
        **extra,
    )


def set_params(code, **params):
    ClueRule.objects.filter(code=code).update(params={**clues.defaults(clues.RULES[code]), **params})


@pytest.fixture(autouse=True)
def rules(db):
    return clues.clue_rules_ensure()


# --- the per-case rules --------------------------------------------------------------------------


def test_fine_on_a_listed_first_offence_is_a_clue_and_a_repeat_offence_is_not(system, agency, items):
    exemption(items["YS002"])
    (first,) = upload(system, agency, row(violation_item="YS002", decided_on="2026-03-02"))
    # the same party again within the 365-day first-offence window: not a first offence
    _earlier, later = upload(
        system,
        agency,
        row(
            violation_item="YS002",
            penalty_type="warning",
            penalty_amount=None,
            party_id_number="410105199001010011",
            decided_on="2026-01-02",
            filed_on="2026-01-01",
        ),
        row(violation_item="YS002", party_id_number="410105199001010011", decided_on="2026-03-02"),
    )
    assert flagged("fine_when_exempt") == {first} and later not in flagged("fine_when_exempt")
    clue = Clue.objects.get(rule__code="fine_when_exempt")
    assert clue.figures["window_days"] == 365 and Decimal(str(clue.figures["amount"])) == Decimal("500")
    assert clue.unit == agency and clue.region_id == "410105" and clue.status == "open"


def test_exemption_outside_the_list_is_a_clue_and_a_listed_one_is_not(system, agency, items):
    exemption(items["YS002"])
    unlisted, _listed = upload(
        system,
        agency,
        row(violation_item="CZ001", penalty_type="none", penalty_amount=None, discretion="exempt"),
        row(violation_item="YS002", penalty_type="none", penalty_amount=None, discretion="exempt"),
    )
    assert flagged("exempt_unlisted") == {unlisted}


def test_a_case_decided_before_a_list_change_is_judged_by_the_old_version(system, agency, items):
    # YS002 was on the list until 2026-01-01; CZ001 joined it on that day
    exemption(items["YS002"], "2020-01-01", "2026-01-01")
    exemption(items["CZ001"], "2026-01-01")
    exempt = {"penalty_type": "none", "penalty_amount": None, "discretion": "exempt"}
    _old_ys, new_ys, old_cz, _new_cz = upload(
        system,
        agency,
        row(violation_item="YS002", filed_on="2025-12-30", decided_on="2025-12-31", party_id_number="A1", **exempt),
        row(violation_item="YS002", filed_on="2026-01-01", decided_on="2026-01-01", party_id_number="A2", **exempt),
        row(violation_item="CZ001", filed_on="2025-12-30", decided_on="2025-12-31", party_id_number="A3", **exempt),
        row(violation_item="CZ001", filed_on="2026-01-01", decided_on="2026-01-01", party_id_number="A4", **exempt),
    )
    assert flagged("exempt_unlisted") == {new_ys, old_cz}
    fined_old, fined_new = upload(
        system,
        agency,
        row(violation_item="YS002", filed_on="2025-12-30", decided_on="2025-12-31", party_id_number="B1"),
        row(violation_item="YS002", filed_on="2026-01-01", decided_on="2026-01-01", party_id_number="B2"),
    )
    assert fined_old in flagged("fine_when_exempt") and fined_new not in flagged("fine_when_exempt")


def test_the_same_party_exempted_again_within_the_window_is_a_clue(system, agency, items):
    exemption(items["YS002"])
    exempt = {"violation_item": "YS002", "penalty_type": "none", "penalty_amount": None, "discretion": "exempt"}
    # 2026-03-02 minus 365 days is 2025-03-02: inside the window; 2025-03-01 is just outside
    inside_first, inside_again = upload(
        system,
        agency,
        row(party_id_number="P1", filed_on="2025-03-02", decided_on="2025-03-02", **exempt),
        row(party_id_number="P1", filed_on="2026-03-02", decided_on="2026-03-02", **exempt),
    )
    upload(
        system,
        agency,
        row(party_id_number="P2", filed_on="2025-03-01", decided_on="2025-03-01", **exempt),
        row(party_id_number="P2", filed_on="2026-03-02", decided_on="2026-03-02", **exempt),
    )
    clue = Clue.objects.get(rule__code="exempt_repeat")
    assert clue.case_keys == [inside_again, inside_first] and clue.figures["earlier"] == [inside_first]


def test_a_fine_outside_the_benchmark_in_force_is_a_clue(system, agency, items):
    DiscretionBenchmark.objects.create(
        violation_item=items["CZ001"], level="general", min_amount=200, max_amount=1000, effective_from="2025-01-01"
    )
    above, _at_max, _at_min, below = upload(
        system,
        agency,
        row(penalty_amount="1000.01"),
        row(penalty_amount="1000.00"),
        row(penalty_amount="200.00"),
        row(penalty_amount="199.99"),
    )
    assert flagged("outside_benchmark") == {above, below}
    set_params("outside_benchmark", tolerance=0.01)
    Clue.objects.all().delete()
    clues.clues_check()
    assert flagged("outside_benchmark") == set()


def test_fewer_than_two_officers_is_a_clue(system, agency, items):
    one, two = upload(system, agency, row(), row())
    # the upload refuses such a row; a case stored before that check (or by a bulk load) has it
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE cases_enforcementcase SET officer_certificates = ARRAY['41010001', ' 41010001 '] WHERE key_id = %s",
            [one],
        )
    clues.clues_check(keys=[one, two])
    assert flagged("few_officers") == {one}


def test_a_decision_past_its_time_limit_is_a_clue(system, agency, items):
    late, _on_time, pending = upload(
        system,
        agency,
        row(filed_on="2026-01-01", decided_on="2026-04-02"),  # 91 days
        row(filed_on="2026-01-01", decided_on="2026-04-01"),  # 90 days
        row(filed_on="2026-01-01", decided_on=None, status="filed", penalty_type="none", penalty_amount=None),
    )
    assert flagged("decision_overdue") == {late, pending}


def test_direct_fines_at_overload_stations_and_capture_penalties_are_clues(system, agency, items):
    station_fine, _station_warning, capture_fine, _capture_none = upload(
        system,
        agency,
        row(mode="overload_station"),
        row(mode="overload_station", penalty_type="warning", penalty_amount=None),
        row(mode="non_site"),
        row(mode="non_site", penalty_type="none", penalty_amount=None, discretion="mitigated"),
    )
    assert flagged("station_fine") == {station_fine}
    assert flagged("capture_penalty") == {capture_fine}


# --- the comparing rules -------------------------------------------------------------------------


def _month_fines(month: dt.date, count: int, tail: bool = True):
    """``count`` fines decided in the last days of ``month`` (or on the 10th)."""
    last = (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)
    day = last - dt.timedelta(days=2) if tail else month.replace(day=10)
    return [
        row(
            filed_on=day.isoformat(),
            decided_on=day.isoformat(),
            party_id_number=f"M{month:%Y%m}{i}",
            plate=f"豫B{month:%m}{i:03d}",
        )
        for i in range(count)
    ]


@pytest.mark.parametrize(("march", "raised"), [(13, True), (12, False)])
def test_fines_bunching_at_month_end_far_above_the_units_baseline(system, agency, items, march, raised):
    months = [dt.date(2025, m, 1) for m in range(9, 13)] + [dt.date(2026, 1, 1), dt.date(2026, 2, 1)]
    baseline = [r for m in months for r in _month_fines(m, 4)] + _month_fines(dt.date(2026, 2, 1), 3, tail=False)
    upload(system, agency, *baseline)
    assert not Clue.objects.filter(rule__code="period_end_bunching").exists()  # no month stood out
    keys = upload(system, agency, *_month_fines(dt.date(2026, 3, 1), march))
    found = Clue.objects.filter(rule__code="period_end_bunching")
    # the baseline: 4 month-end fines a month over six months; 3 × 4 = 12 is the threshold
    assert found.exists() is raised
    if raised:
        clue = found.get()
        assert clue.key == f"u{agency.pk}:2026-03" and clue.figures["tail"] == 13
        assert clue.figures["baseline"] == 4 and clue.figures["quarter_end"] is True
        assert sorted(clue.case_keys) == sorted(keys)


def test_a_unit_without_history_raises_no_bunching_clue(system, agency, items):
    upload(system, agency, *_month_fines(dt.date(2026, 3, 1), 40))
    assert not Clue.objects.filter(rule__code="period_end_bunching").exists()


@pytest.mark.parametrize(("last_day", "raised"), [("2026-04-01", True), ("2026-04-02", False)])
def test_one_officer_fining_the_same_plate_repeatedly(system, agency, items, last_day, raised):
    # 2026-01-01 .. 2026-04-01 is 90 days: three fines in the window; a day later only two
    officers = {"officer_certificates": ["41019999", "41010002"], "plate": "豫C77777"}
    keys = upload(
        system,
        agency,
        row(filed_on="2026-01-01", decided_on="2026-01-01", party_id_number="Q1", **officers),
        row(filed_on="2026-02-10", decided_on="2026-02-10", party_id_number="Q2", **officers),
        row(filed_on=last_day, decided_on=last_day, party_id_number="Q3", **officers),
    )
    found = Clue.objects.filter(rule__code="officer_same_plate")
    # both officers were on all three cases: one clue per officer
    assert found.count() == (2 if raised else 0)
    if raised:
        assert {tuple(c.case_keys) for c in found} == {tuple(keys)}
        assert {c.figures["officer"] for c in found} == {"41019999", "41010002"}


def test_a_rule_switched_off_raises_nothing_and_a_rescan_is_idempotent(system, agency, items):
    ClueRule.objects.filter(code="station_fine").update(enabled=False)
    upload(system, agency, row(mode="overload_station"))
    assert not Clue.objects.filter(rule__code="station_fine").exists()
    ClueRule.objects.filter(code="station_fine").update(enabled=True)
    first = clues.clues_check()
    again = clues.clues_check()
    assert first.found["station_fine"] == 1 and again.found["station_fine"] == 0
    assert Clue.objects.filter(rule__code="station_fine").count() == 1


# --- thresholds, versions, bad input ---------------------------------------------------------


def test_a_threshold_that_is_not_a_number_is_refused_and_nothing_saved(rules):
    admin = User.objects.create_user("prov_admin", region_id="410000", roles=[Role.PROVINCE_ADMIN])
    rule = rules["officer_same_plate"]
    with pytest.raises(ValidationError) as caught:
        clue_services.clue_rule_update(
            actor=admin, rule=rule, enabled=True, params={"window_days": "九十", "min_count": 3}
        )
    assert "须为数字" in str(caught.value)
    with pytest.raises(ValidationError, match="整数"):
        clue_services.clue_rule_update(actor=admin, rule=rule, enabled=True, params={"window_days": 1.5})
    with pytest.raises(ValidationError, match="之间"):
        clue_services.clue_rule_update(actor=admin, rule=rule, enabled=True, params={"min_count": 1})
    rule.refresh_from_db()
    assert rule.params == clues.defaults(clues.RULES["officer_same_plate"]) and rule.version == 1
    updated = clue_services.clue_rule_update(actor=admin, rule=rule, enabled=False, params={"window_days": "30"})
    assert updated.params == {"window_days": 30, "min_count": 3} and not updated.enabled and updated.version == 2
    assert AuditEvent.objects.filter(action="clue_rule.change").count() == 1


def test_benchmark_min_above_max_and_overlapping_versions_are_refused(items):
    admin = User.objects.create_user("prov_admin", region_id="410000", roles=[Role.PROVINCE_ADMIN])

    def bench(lo, hi, start, end=None, level="general"):
        return DiscretionBenchmark(
            violation_item=items["CZ001"],
            level=level,
            min_amount=lo,
            max_amount=hi,
            effective_from=start,
            effective_to=end,
        )

    with pytest.raises(ValidationError, match="低于下限"):
        clue_services.benchmark_save(actor=admin, benchmark=bench(Decimal(500), Decimal(100), dt.date(2025, 1, 1)))
    clue_services.benchmark_save(
        actor=admin, benchmark=bench(Decimal(100), Decimal(500), dt.date(2025, 1, 1), dt.date(2026, 1, 1))
    )
    with pytest.raises(ValidationError, match="时间重叠"):
        clue_services.benchmark_save(actor=admin, benchmark=bench(Decimal(100), Decimal(800), dt.date(2025, 6, 1)))
    # the next version from the day the old one ends, and another level at the same time, are fine
    clue_services.benchmark_save(actor=admin, benchmark=bench(Decimal(100), Decimal(800), dt.date(2026, 1, 1)))
    clue_services.benchmark_save(
        actor=admin, benchmark=bench(Decimal(10), Decimal(80), dt.date(2025, 6, 1), level="lighter")
    )
    assert DiscretionBenchmark.objects.count() == 3


def test_overlapping_exemption_versions_are_refused_also_by_the_database(items):
    admin = User.objects.create_user("prov_admin", region_id="410000", roles=[Role.PROVINCE_ADMIN])
    item = items["YS002"]

    def version(start, end=None):
        return ExemptionItem(violation_item=item, name=item.name, effective_from=start, effective_to=end)

    clue_services.exemption_item_save(actor=admin, item=version(dt.date(2024, 1, 1)))
    with pytest.raises(ValidationError, match="时间重叠"):
        clue_services.exemption_item_save(actor=admin, item=version(dt.date(2025, 1, 1), dt.date(2025, 6, 1)))
    with pytest.raises(ValidationError, match="晚于生效日期"):
        clue_services.exemption_item_save(actor=admin, item=version(dt.date(2025, 1, 1), dt.date(2025, 1, 1)))
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        ExemptionItem.objects.create(violation_item=item, name="x", effective_from=dt.date(2030, 1, 1))
    assert ExemptionItem.objects.count() == 1


# --- accepting and dismissing --------------------------------------------------------------------


@pytest.fixture
def people(db):
    def make(name, code, role):
        return User.objects.create_user(name, region_id=code, roles=[role])

    return {
        "county": make("clue_county", "410105", Role.COUNTY_OFFICER),
        "city": make("clue_city", "410100", Role.CITY_STAFF),
        "city_b": make("clue_city_b", "410300", Role.CITY_STAFF),
        "province": make("clue_province", "410000", Role.PROVINCE_STAFF),
    }


@pytest.fixture
def clue(system, agency, items):
    upload(system, agency, row(mode="overload_station"))
    return Clue.objects.get(rule__code="station_fine")


def accept(actor, clue, **extra):
    return clue_services.clue_accept(
        actor=actor,
        clue_id=clue.pk,
        category=Category.objects.get(code="lyj-directfine"),
        domain=EnforcementDomain.objects.get(code="highway"),
        **extra,
    )


def test_a_city_accepts_a_clue_into_the_problem_list_once(people, clue):
    accepted = accept(people["city"], clue)
    problem = accepted.problem
    assert accepted.status == "accepted" and problem.source == Problem.Source.DATA_ANALYSIS
    assert problem.unit == clue.unit and problem.region_id == "410105"
    links = set(ProblemLink.objects.filter(problem=problem).values_list("object_type", "object_id"))
    assert ("cases.clue", str(clue.pk)) in links
    assert ("cases.enforcementcasekey", str(clue.case_keys[0])) in links
    with pytest.raises(ConflictError, match=problem.code):
        accept(people["province"], clue)
    assert Problem.objects.filter(source="data").count() == 1
    assert AuditEvent.objects.filter(action="clue.accept").count() == 1
    # found again by a rescan: it stays accepted
    clues.clues_check()
    clue.refresh_from_db()
    assert clue.status == "accepted"


def test_a_stale_version_is_a_conflict_and_nothing_is_written(people, clue):
    with pytest.raises(ConflictError):
        accept(people["city"], clue, expected_version=clue.version + 1)
    assert not Problem.objects.exists()


def test_dismissing_needs_a_reason_and_the_right_level(people, clue):
    with pytest.raises(ValidationError, match="排除理由"):
        clue_services.clue_dismiss(actor=people["city"], clue_id=clue.pk, note="  ")
    with pytest.raises(PermissionDenied):
        clue_services.clue_dismiss(actor=people["county"], clue_id=clue.pk, note="不是问题")
    with pytest.raises(Http404):  # another city: out of scope answers like missing
        clue_services.clue_dismiss(actor=people["city_b"], clue_id=clue.pk, note="不是问题")
    dismissed = clue_services.clue_dismiss(actor=people["province"], clue_id=clue.pk, note="检测站依法移交，非现场罚款")
    assert dismissed.status == "dismissed" and dismissed.note.startswith("检测站")
    with pytest.raises(ConflictError):
        accept(people["city"], clue)


def test_the_nightly_task_rescans_and_records_its_run(system, agency, items):
    from cases.enforcement.clue_models import ClueRun
    from cases.schedule import BEAT_SCHEDULE
    from cases.tasks import cases_enforcement_clues_nightly

    assert BEAT_SCHEDULE["cases-enforcement-clues-nightly"]["task"] == "cases.tasks.cases_enforcement_clues_nightly"
    upload(system, agency, row(mode="overload_station"))
    Clue.objects.all().delete()
    found = cases_enforcement_clues_nightly()
    assert found["station_fine"] == 1
    run = ClueRun.objects.filter(kind="nightly").get()
    assert run.found["station_fine"] == 1 and set(run.seconds) == set(clues.RULES)
