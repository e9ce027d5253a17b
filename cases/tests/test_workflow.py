import datetime as dt
import threading

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.utils import timezone

from cases import services
from cases.models import (
    Category,
    DeadlineRule,
    Evidence,
    ExtensionRequest,
    Problem,
    TransitionRequirement,
    Verification,
)
from cases.requirements import RequirementsUnmet
from cases.tests.rectify import png, rectify, verify
from portal.accounts.models import Role, User
from portal.accounts.scoping import OutOfScope
from portal.audit.models import AuditEvent
from portal.core.api import ConflictError
from portal.regions.models import EnforcementDomain, Unit
from portal.workdays.calendar import add_working_days

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def people():
    def make(name, code, role):
        return User.objects.create_user(name, region_id=code, roles=[role])

    return {
        "county": make("county", "410105", Role.COUNTY_OFFICER),
        "county_b": make("county_b", "410303", Role.COUNTY_OFFICER),
        "city": make("city", "410100", Role.CITY_STAFF),
        "city_b": make("city_b", "410300", Role.CITY_STAFF),
        "province": make("province", "410000", Role.PROVINCE_STAFF),
    }


@pytest.fixture
def unit():
    return Unit.objects.create(name="金水区交通运输综合行政执法大队", kind="agency", region_id="410105")


def register(actor, unit, **extra):
    return services.problem_register(
        actor=actor,
        title="治超站点直接罚款",
        category=Category.objects.get(code="lyj-directfine"),
        source=Problem.Source.COMPLAINT,
        region=unit.region,
        unit=unit,
        domain=EnforcementDomain.objects.get(code="highway"),
        **extra,
    )


def test_categories_are_seeded_from_the_design():
    assert Category.objects.filter(group="campaign2023", parent__isnull=True).count() == 5
    assert Category.objects.filter(group="campaign2023", parent__isnull=False).count() == 18
    assert Category.objects.filter(parent__code="babuzhun").count() == 8
    assert Category.objects.filter(parent__code="liuyanjin").count() == 6
    assert Category.objects.get(code="sanluan-fines").escalate_complaints
    assert Category.objects.get(code="bbz-drinking").is_discipline_breach


def test_the_whole_journey_register_to_close(people, unit):
    county, city = people["county"], people["city"]
    problem = register(county, unit)
    assert problem.code.startswith(f"WT{timezone.localdate().year}-") and problem.status == "registered"
    problem = services.problem_transition(actor=city, problem_id=problem.pk, move="assign")
    # the default deadline: the severity rule's working days on the calendar
    assert problem.deadline == add_working_days(timezone.localdate(), 20)
    problem = services.problem_transition(actor=county, problem_id=problem.pk, move="start")
    rectify(county, problem)
    problem = services.problem_transition(actor=county, problem_id=problem.pk, move="submit")
    with pytest.raises(PermissionDenied):  # the county cannot verify its own work
        services.problem_transition(actor=county, problem_id=problem.pk, move="verify_pass")
    new_deadline = timezone.localdate() + dt.timedelta(days=10)
    problem = services.problem_transition(
        actor=city, problem_id=problem.pk, move="verify_fail", reason="证据不足", new_deadline=new_deadline
    )
    assert (problem.status, problem.deadline, problem.deadline_version) == ("rectifying", new_deadline, 2)
    services.problem_transition(actor=county, problem_id=problem.pk, move="submit")
    record = verify(city, problem, method=Verification.Method.DESK)
    problem = services.problem_transition(actor=city, problem_id=problem.pk, move="verify_pass")
    assert problem.status == "closed" and problem.closed_at is not None
    record.refresh_from_db()
    assert (record.result, record.method, record.concluded_at is not None) == ("passed", "desk", True)
    actions = list(
        AuditEvent.objects.filter(object_id=str(problem.pk), object_type="cases.problem")
        .order_by("seq")
        .values_list("action", flat=True)
    )
    assert actions == [
        "problem.register",
        "problem.assign",
        "problem.start",
        "problem.plan_set",
        "problem.milestone_done",
        "problem.progress",
        "problem.submit",
        "problem.verify_fail",
        "problem.submit",
        "problem.verification_record",
        "problem.verify_pass",
    ]
    problem = services.problem_transition(
        actor=city,
        problem_id=problem.pk,
        move="reopen",
        reason="群众再次投诉",
        new_deadline=new_deadline + dt.timedelta(days=5),
    )
    assert problem.status == "rectifying" and problem.closed_at is None


def test_key_problems_are_verified_by_the_province(people, unit):
    problem = register(people["county"], unit, is_key=True)
    for actor, move in ((people["city"], "assign"), (people["county"], "start")):
        services.problem_transition(actor=actor, problem_id=problem.pk, move=move)
    rectify(people["county"], problem)
    services.problem_transition(actor=people["county"], problem_id=problem.pk, move="submit")
    with pytest.raises(PermissionDenied):
        services.problem_transition(actor=people["city"], problem_id=problem.pk, move="verify_pass")
    with pytest.raises(PermissionDenied):
        verify(people["city"], problem)
    verify(people["province"], problem)
    assert (
        services.problem_transition(actor=people["province"], problem_id=problem.pk, move="verify_pass").status
        == "closed"
    )


def test_overdue_is_derived_never_set(people, unit):
    problem = register(people["county"], unit)
    services.problem_transition(actor=people["city"], problem_id=problem.pk, move="assign")
    Problem.objects.filter(pk=problem.pk).update(deadline=timezone.localdate() - dt.timedelta(days=1))
    assert Problem.objects.overdue().filter(pk=problem.pk).exists()
    assert Problem.objects.with_overdue().get(pk=problem.pk).is_overdue is True
    Problem.objects.filter(pk=problem.pk).update(status="closed", closed_at=timezone.now())
    assert not Problem.objects.overdue().filter(pk=problem.pk).exists()


def test_out_of_scope_and_wrong_moves(people, unit):
    problem = register(people["county"], unit)
    with pytest.raises(OutOfScope):
        services.problem_transition(actor=people["county_b"], problem_id=problem.pk, move="assign")
    with pytest.raises(OutOfScope):
        services.problem_transition(actor=people["city_b"], problem_id=problem.pk, move="assign")
    with pytest.raises(ConflictError):  # not a move from "registered"
        services.problem_transition(actor=people["county"], problem_id=problem.pk, move="submit")
    with pytest.raises(ValidationError):
        services.problem_transition(actor=people["county"], problem_id=problem.pk, move="fly")
    with pytest.raises(ValidationError):  # registering into another county
        register(people["county_b"], unit)
    assert Problem.objects.count() == 1


def test_a_stale_version_gets_a_conflict(people, unit):
    problem = register(people["county"], unit)
    services.problem_transition(actor=people["city"], problem_id=problem.pk, move="assign", expected_version=1)
    with pytest.raises(ConflictError):
        services.problem_transition(actor=people["province"], problem_id=problem.pk, move="assign", expected_version=1)


@pytest.mark.django_db(transaction=True)
def test_two_people_moving_at_once_exactly_one_succeeds(people, unit):
    problem = register(people["county"], unit)
    outcomes = []
    barrier = threading.Barrier(2)

    def move(actor):
        try:
            barrier.wait()
            services.problem_transition(actor=actor, problem_id=problem.pk, move="assign", expected_version=1)
            outcomes.append("ok")
        except ConflictError:
            outcomes.append("conflict")
        finally:
            connection.close()

    threads = [threading.Thread(target=move, args=(people[n],)) for n in ("city", "province")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["conflict", "ok"]
    assert AuditEvent.objects.filter(action="problem.assign").count() == 1


def test_deadline_rules_are_configurable(people, unit):
    DeadlineRule.objects.create(category=Category.objects.get(code="liuyanjin"), severity="general", working_days=5)
    problem = register(people["county"], unit)
    problem = services.problem_transition(actor=people["city"], problem_id=problem.pk, move="assign")
    assert problem.deadline == add_working_days(timezone.localdate(), 5)


def test_extension_approved_by_the_level_above_moves_the_deadline(people, unit):
    problem = register(people["county"], unit)
    problem = services.problem_transition(actor=people["city"], problem_id=problem.pk, move="assign")
    later = problem.deadline + dt.timedelta(days=7)
    extension = services.extension_request(
        actor=people["county"], problem=problem, requested_deadline=later, reason="需协调公安部门"
    )
    with pytest.raises(PermissionDenied):
        services.extension_decide(actor=people["county"], extension_id=extension.pk, approve=True)
    services.extension_decide(actor=people["city"], extension_id=extension.pk, approve=True, note="同意")
    problem.refresh_from_db()
    assert problem.deadline == later and problem.deadline_version == 2
    assert ExtensionRequest.objects.get(pk=extension.pk).decision == "approved"
    assert AuditEvent.objects.filter(action__startswith="problem.extension").count() == 2


def test_evidence_type_is_checked_by_content(people, unit, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    problem = register(people["county"], unit)
    png = SimpleUploadedFile("photo.png", b"\x89PNG\r\n\x1a\n" + b"0" * 100, content_type="image/png")
    fake = SimpleUploadedFile("report.pdf", b"MZ\x90\x00 not a pdf", content_type="application/pdf")
    with pytest.raises(ValidationError, match="类型不受支持"):
        services.progress_log(actor=people["county"], problem=problem, note="已整改", files=[png, fake])
    assert not Evidence.objects.exists()  # nothing written when one file is bad
    png.seek(0)
    entry = services.progress_log(actor=people["county"], problem=problem, note="已整改", files=[png])
    evidence = entry.files.get()
    assert evidence.content_type == "image/png" and evidence.size == 108
    assert str(tmp_path) in evidence.file.path


def test_disclosure_refuses_personal_data(people, unit):
    problem = register(people["county"], unit)
    Problem.objects.filter(pk=problem.pk).update(
        status="closed", closed_at=timezone.now(), deadline=timezone.localdate()
    )
    with pytest.raises(ValidationError, match="个人信息"):
        services.disclosure_publish(
            actor=people["city"], problem=problem, title="处理结果", summary="投诉人13812341234反映的问题已查实"
        )
    disclosure = services.disclosure_publish(
        actor=people["city"], problem=problem, title="处理结果", summary="经查属实，对相关责任人予以通报批评。"
    )
    assert disclosure.pk


# --- what a move needs (§6): the rules as data ----------------------------------------------------


def _rectifying(people, unit, **extra):
    problem = register(people["county"], unit, **extra)
    services.problem_transition(actor=people["city"], problem_id=problem.pk, move="assign")
    return services.problem_transition(actor=people["county"], problem_id=problem.pk, move="start")


def _codes(excinfo) -> list[str]:
    return [item["code"] for item in excinfo.value.as_list()]


def test_submit_needs_a_plan_milestones_settled_and_evidenced_progress(people, unit):
    county = people["county"]
    problem = _rectifying(people, unit)
    with pytest.raises(RequirementsUnmet) as refused:
        services.problem_transition(actor=county, problem_id=problem.pk, move="submit")
    assert _codes(refused) == ["plan_measures", "plan_route_map", "plan_milestones", "progress_evidence"]
    assert all(item["message"] and item["link"].startswith(f"/cases/{problem.pk}/") for item in refused.value.as_list())
    problem.refresh_from_db()
    assert problem.status == "rectifying" and problem.version == 3  # nothing moved
    assert not AuditEvent.objects.filter(action="problem.submit", object_id=str(problem.pk)).exists()

    services.plan_set(
        actor=county,
        problem=problem,
        measures="整改措施",
        route_map="路线图",
        milestones=[("排查", timezone.localdate()), ("复查", timezone.localdate() + dt.timedelta(days=5))],
    )
    services.progress_log(actor=county, problem=problem, note="只有文字，没有佐证")
    with pytest.raises(RequirementsUnmet) as refused:
        services.problem_transition(actor=county, problem_id=problem.pk, move="submit")
    assert _codes(refused) == ["milestones_settled", "milestones_settled", "progress_evidence"]

    first, second = problem.plan.milestones.order_by("due_on")
    services.milestone_done(actor=county, problem=problem, milestone_id=first.pk)
    services.milestone_explain(actor=county, problem=problem, milestone_id=second.pk, explanation="与排查合并完成")
    services.progress_log(actor=county, problem=problem, note="整改到位", files=[png()])
    assert services.problem_transition(actor=county, problem_id=problem.pk, move="submit").status == "submitted"


def test_closing_needs_a_verification_record_and_key_or_grave_problems_an_onsite_one(people, unit):
    county, city, province = people["county"], people["city"], people["province"]
    problem = _rectifying(people, unit, severity=Problem.Severity.GRAVE)
    rectify(county, problem)
    services.problem_transition(actor=county, problem_id=problem.pk, move="submit")
    with pytest.raises(RequirementsUnmet) as refused:
        services.problem_transition(actor=city, problem_id=problem.pk, move="verify_pass")
    assert _codes(refused) == ["verification_record", "verification_evidence", "verification_onsite"]
    services.verification_record(
        actor=city,
        problem=problem,
        method=Verification.Method.DESK,
        verified_on=timezone.localdate(),
        verifiers="王芳",
        findings="材料齐全",
    )
    with pytest.raises(RequirementsUnmet) as refused:
        services.problem_transition(actor=city, problem_id=problem.pk, move="verify_pass")
    assert _codes(refused) == ["verification_evidence", "verification_onsite"]
    verify(city, problem, method=Verification.Method.ONSITE)
    assert services.problem_transition(actor=city, problem_id=problem.pk, move="verify_pass").status == "closed"
    assert set(problem.verifications.values_list("result", flat=True)) == {"passed"}

    # A key problem of general severity: on site too, and by the province.
    key = _rectifying(people, unit, is_key=True)
    rectify(county, key)
    services.problem_transition(actor=county, problem_id=key.pk, move="submit")
    verify(province, key, method=Verification.Method.UNANNOUNCED)
    with pytest.raises(RequirementsUnmet) as refused:
        services.problem_transition(actor=province, problem_id=key.pk, move="verify_pass")
    assert _codes(refused) == ["verification_onsite"]


def test_a_failed_verification_concludes_the_round_and_the_next_round_needs_its_own(people, unit):
    county, city = people["county"], people["city"]
    problem = _rectifying(people, unit)
    rectify(county, problem)
    services.problem_transition(actor=county, problem_id=problem.pk, move="submit")
    first = verify(city, problem, method=Verification.Method.UNANNOUNCED)
    services.problem_transition(
        actor=city,
        problem_id=problem.pk,
        move="verify_fail",
        reason="暗访发现仍有违规",
        new_deadline=timezone.localdate() + dt.timedelta(days=7),
    )
    first.refresh_from_db()
    assert first.result == "failed" and first.note == "暗访发现仍有违规"
    services.problem_transition(actor=county, problem_id=problem.pk, move="submit")
    with pytest.raises(RequirementsUnmet):
        services.problem_transition(actor=city, problem_id=problem.pk, move="verify_pass")


def test_verification_records_are_checked_and_only_for_submitted_problems(people, unit):
    problem = _rectifying(people, unit)
    with pytest.raises(ValidationError):  # not submitted yet
        verify(people["city"], problem)
    rectify(people["county"], problem)
    services.problem_transition(actor=people["county"], problem_id=problem.pk, move="submit")
    with pytest.raises(OutOfScope):  # the county does not verify its own work
        verify(people["county"], problem)
    with pytest.raises(ValidationError) as bad:
        services.verification_record(
            actor=people["city"],
            problem=problem,
            method="phone",
            verified_on=timezone.localdate() + dt.timedelta(days=1),
            verifiers=" ",
            findings="",
        )
    assert set(bad.value.message_dict) == {"method", "verified_on", "verifiers", "findings"}
    assert not problem.verifications.exists()


def test_the_rules_are_data_an_administrator_tunes_per_severity(people, unit):
    county = people["county"]
    # A minor problem may need less: no route map and no evidence for general severity.
    TransitionRequirement.objects.filter(
        move="submit", severity=Problem.Severity.GENERAL, check_code__in=["plan_route_map", "progress_evidence"]
    ).update(active=False)
    general = _rectifying(people, unit)
    serious = _rectifying(people, unit, severity=Problem.Severity.SERIOUS)
    for problem in (general, serious):
        services.plan_set(actor=county, problem=problem, measures="措施", milestones=[("排查", timezone.localdate())])
        services.milestone_done(actor=county, problem=problem, milestone_id=problem.plan.milestones.get().pk)
    assert services.problem_transition(actor=county, problem_id=general.pk, move="submit").status == "submitted"
    with pytest.raises(RequirementsUnmet) as refused:
        services.problem_transition(actor=county, problem_id=serious.pk, move="submit")
    assert _codes(refused) == ["plan_route_map", "progress_evidence"]
