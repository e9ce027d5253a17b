import datetime as dt
import threading

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.utils import timezone

from cases import services
from cases.models import Category, DeadlineRule, Evidence, ExtensionRequest, Problem
from portal.accounts.models import Role, User
from portal.accounts.scoping import OutOfScope
from portal.audit.models import AuditEvent
from portal.core.api import ConflictError
from portal.regions.models import EnforcementDomain, Unit
from portal.workdays.calendar import add_working_days

pytestmark = pytest.mark.django_db


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
    for actor, move in ((county, "start"), (county, "submit")):
        problem = services.problem_transition(actor=actor, problem_id=problem.pk, move=move)
    with pytest.raises(PermissionDenied):  # the county cannot verify its own work
        services.problem_transition(actor=county, problem_id=problem.pk, move="verify_pass")
    new_deadline = timezone.localdate() + dt.timedelta(days=10)
    problem = services.problem_transition(
        actor=city, problem_id=problem.pk, move="verify_fail", reason="证据不足", new_deadline=new_deadline
    )
    assert (problem.status, problem.deadline, problem.deadline_version) == ("rectifying", new_deadline, 2)
    services.problem_transition(actor=county, problem_id=problem.pk, move="submit")
    problem = services.problem_transition(actor=city, problem_id=problem.pk, move="verify_pass")
    assert problem.status == "closed" and problem.closed_at is not None
    actions = list(
        AuditEvent.objects.filter(object_id=str(problem.pk)).order_by("seq").values_list("action", flat=True)
    )
    assert actions == [
        "problem.register",
        "problem.assign",
        "problem.start",
        "problem.submit",
        "problem.verify_fail",
        "problem.submit",
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
    for actor, move in ((people["city"], "assign"), (people["county"], "start"), (people["county"], "submit")):
        services.problem_transition(actor=actor, problem_id=problem.pk, move=move)
    with pytest.raises(PermissionDenied):
        services.problem_transition(actor=people["city"], problem_id=problem.pk, move="verify_pass")
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
