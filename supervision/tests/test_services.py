import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from cases.models import Accountability, Category, Problem
from cases.services import next_problem_codes
from portal.accounts.models import Role, User
from portal.accounts.scoping import OutOfScope
from portal.audit.models import AuditEvent
from portal.core.api import ConflictError
from portal.regions.models import EnforcementDomain, Unit
from portal.workdays.calendar import add_working_days
from supervision import services
from supervision.models import AcceptanceVisit, Referral, SupervisionEvidence, SupervisionItem
from supervision.tests.matrix import PNG

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
        "inspector": make("inspector", "410000", Role.INSPECTOR),
        "inspector_b": make("inspector_b", "410300", Role.INSPECTOR),
    }


def make_problem(code="410105", **extra):
    unit, _ = Unit.objects.get_or_create(name=f"{code} 执法大队", region_id=code, defaults={"kind": Unit.Kind.STATION})
    return Problem.objects.create(
        code=next_problem_codes(1)[0],
        title="治超站点直接罚款",
        category=Category.objects.filter(parent__isnull=False).order_by("pk").first(),
        source=Problem.Source.PUBLIC_OPINION,
        region_id=code,
        unit=unit,
        domain=EnforcementDomain.objects.order_by("pk").first(),
        **extra,
    )


def list_item(actor, problems=(), team=(), **extra):
    return services.item_list(
        actor=actor,
        title="金水区治超站点乱罚款问题",
        problem_list="治超站点直接罚款",
        measures_list="停止直接罚款，清退违规收费",
        rectification_responsibility="金水区交通运输局局长",
        supervision_responsibility="省厅执法监督处",
        problems=[p.pk for p in problems],
        team=team,
        **extra,
    )


def png(name="photo.png"):
    return SimpleUploadedFile(name, PNG, content_type="image/png")


def test_listing_takes_the_problems_region_and_counts_working_days(people):
    problem = make_problem()
    item = list_item(people["province"], [problem], team=[people["inspector"]], deadline_days=20, report_every_days=5)
    today = timezone.localdate()
    assert item.level == "province" and item.region_id == "410105" and item.status == "listed"
    assert item.deadline == add_working_days(today, 20)
    assert item.next_report_due == add_working_days(today, 5)
    assert item.code.startswith(f"DB{today.year}-")
    assert list(item.problems.all()) == [problem]
    assert AuditEvent.objects.filter(action="supervision.list", object_id=str(item.pk)).count() == 1


def test_common_region_of_problems_in_two_counties_is_their_city(people):
    item = list_item(people["city"], [make_problem("410105"), make_problem("410122")])
    assert item.region_id == "410100" and item.level == "city"


def test_each_county_an_item_covers_sees_it_and_no_other(people):
    item = list_item(people["city"], [make_problem("410105"), make_problem("410122")])
    zhongmou = User.objects.create_user("zhongmou", region_id="410122", roles=[Role.COUNTY_OFFICER])
    for reader in (people["county"], zhongmou, people["city"], people["province"]):
        assert list(SupervisionItem.objects.visible_to(reader)) == [item], reader.username
    assert not SupervisionItem.objects.visible_to(people["county_b"]).exists()
    assert not SupervisionItem.objects.visible_to(people["city_b"]).exists()
    services.item_transition(actor=people["county"], item_id=item.pk, move="start")  # the county acts on it
    item.refresh_from_db()
    assert item.status == "rectifying"


def test_listing_a_problem_out_of_scope_is_404_and_writes_nothing(people):
    foreign = make_problem("410303")
    with pytest.raises(OutOfScope):
        list_item(people["city"], [foreign])
    assert not SupervisionItem.objects.exists()


def test_a_county_cannot_list(people):
    with pytest.raises(PermissionDenied):
        list_item(people["county"], [make_problem()])


def test_team_must_hold_the_inspection_capability_and_see_the_item(people):
    with pytest.raises(ValidationError) as err:
        list_item(people["province"], [make_problem()], team=[people["county"]])
    assert "team" in err.value.message_dict
    with pytest.raises(ValidationError):  # an inspector of another city cannot see the item
        list_item(people["province"], [make_problem()], team=[people["inspector_b"]])
    assert not SupervisionItem.objects.exists()


def test_the_whole_flow_with_a_failed_then_passed_acceptance(people):
    county, inspector = people["county"], people["inspector"]
    item = list_item(people["province"], [make_problem()], team=[inspector])
    item = services.item_transition(actor=county, item_id=item.pk, move="start")
    services.progress_report(actor=county, item=item, text="已停止直接罚款", files=[png()])
    item.refresh_from_db()
    assert item.report_seq == 1 and SupervisionEvidence.objects.filter(item=item).count() == 1
    item = services.item_transition(actor=county, item_id=item.pk, move="report", text="整改完成")
    assert item.status == "reported"
    with pytest.raises(PermissionDenied):  # the county cannot accept its own work
        services.item_transition(
            actor=county,
            item_id=item.pk,
            move="accept_pass",
            text="ok",
            visited_on=timezone.localdate(),
            members=[county],
        )
    today = timezone.localdate()
    item = services.item_transition(
        actor=inspector, item_id=item.pk, move="accept_fail", text="台账不全", visited_on=today, members=[inspector]
    )
    assert (item.status, item.failed_acceptances) == ("rectifying", 1)
    assert item.next_report_due == add_working_days(today, item.report_every_days)
    item = services.item_transition(actor=county, item_id=item.pk, move="report", text="补齐台账")
    item = services.item_transition(
        actor=inspector,
        item_id=item.pk,
        move="accept_pass",
        text="现场核实已整改",
        visited_on=today,
        members=[inspector],
        files=[png("visit.png")],
        handling_result="已清退违规罚款，责任人已处理。",
    )
    assert item.status == "delisted" and item.delisted_at is not None and item.delisted_on_time
    assert list(AcceptanceVisit.objects.filter(item=item).values_list("result", flat=True)) == ["failed", "passed"]
    actions = list(
        AuditEvent.objects.filter(object_id=str(item.pk), action__startswith="supervision.").values_list(
            "action", flat=True
        )
    )
    assert actions.count("supervision.report") == 2 and "supervision.accept_pass" in actions


def test_progress_report_after_delisting_is_refused(people):
    inspector = people["inspector"]
    item = list_item(people["province"], [make_problem()], team=[inspector])
    for move in ("start", "report"):
        item = services.item_transition(actor=people["county"], item_id=item.pk, move=move, text="x")
    item = services.item_transition(
        actor=inspector,
        item_id=item.pk,
        move="accept_pass",
        text="ok",
        visited_on=timezone.localdate(),
        members=[inspector],
    )
    with pytest.raises(ValidationError) as err:
        services.progress_report(actor=people["county"], item=item, text="还想报送", files=[png()])
    assert "已摘牌" in str(err.value)
    assert not SupervisionEvidence.objects.exists()


def test_stale_copy_is_a_conflict_and_the_second_acceptance_writes_nothing(people):
    inspector = people["inspector"]
    item = list_item(people["province"], [make_problem()], team=[inspector])
    for move in ("start", "report"):
        item = services.item_transition(actor=people["county"], item_id=item.pk, move=move, text="x")
    seen = item.version
    services.item_transition(
        actor=inspector,
        item_id=item.pk,
        move="accept_pass",
        text="ok",
        visited_on=timezone.localdate(),
        members=[inspector],
        expected_version=seen,
    )
    with pytest.raises(ConflictError):
        services.item_transition(
            actor=people["province"],
            item_id=item.pk,
            move="accept_fail",
            text="no",
            visited_on=timezone.localdate(),
            members=[inspector],
            expected_version=seen,
        )
    assert AcceptanceVisit.objects.filter(item=item).count() == 1


def test_out_of_scope_item_is_404(people):
    item = list_item(people["province"], [make_problem()])
    with pytest.raises(OutOfScope):
        services.item_transition(actor=people["county_b"], item_id=item.pk, move="start")
    with pytest.raises(OutOfScope):
        services.progress_report(actor=people["county_b"], item=item, text="x")


def test_bad_evidence_file_writes_nothing(people):
    item = list_item(people["province"], [make_problem()])
    services.item_transition(actor=people["county"], item_id=item.pk, move="start")
    bad = SimpleUploadedFile("x.exe", b"MZ\x90\x00", content_type="application/octet-stream")
    with pytest.raises(ValidationError):
        services.progress_report(actor=people["county"], item=item, text="进展", files=[bad])
    item.refresh_from_db()
    assert item.report_seq == 0 and not item.reports.exists()


def test_second_failed_acceptance_proposes_a_referral_and_sending_records_accountability(people):
    inspector, county, province = people["inspector"], people["county"], people["province"]
    problem = make_problem()
    item = list_item(province, [problem], team=[inspector])
    item = services.item_transition(actor=county, item_id=item.pk, move="start")
    for _round in range(2):
        item = services.item_transition(actor=county, item_id=item.pk, move="report", text="x")
        item = services.item_transition(
            actor=inspector,
            item_id=item.pk,
            move="accept_fail",
            text="无效",
            visited_on=timezone.localdate(),
            members=[inspector],
        )
    referral = Referral.objects.get(item=item)
    assert (referral.reason, referral.status) == ("second_failure", "proposed")
    with pytest.raises(PermissionDenied):
        services.referral_send(
            actor=inspector,
            item=item,
            referral_id=referral.pk,
            recipient="金水区委、区政府",
            problem_id=problem.pk,
            unit=problem.unit,
            person_name="张三",
            post="大队长",
            measure="criticism",
            decided_by="区纪委",
            decided_on=timezone.localdate(),
        )
    referral = services.referral_send(
        actor=province,
        item=item,
        referral_id=referral.pk,
        recipient="金水区委、区政府",
        problem_id=problem.pk,
        unit=problem.unit,
        person_name="张三",
        post="大队长",
        measure="criticism",
        decided_by="区纪委",
        decided_on=timezone.localdate(),
    )
    assert referral.status == "sent" and referral.accountability.problem == problem
    assert Accountability.objects.filter(problem=problem).count() == 1
    with pytest.raises(ConflictError):
        services.referral_send(
            actor=province,
            item=item,
            referral_id=referral.pk,
            recipient="x",
            problem_id=problem.pk,
            unit=problem.unit,
            person_name="张三",
            post="大队长",
            measure="criticism",
            decided_by="区纪委",
            decided_on=timezone.localdate(),
        )


def test_deadline_passed_by_m_working_days_proposes_once(people, settings):
    settings.SUPERVISION_REFERRAL_AFTER_DAYS = 3
    item = list_item(people["province"], [make_problem()], deadline_days=5)
    late = services._plain(add_working_days(item.deadline, 4))
    early = services._plain(add_working_days(item.deadline, 2))
    assert services.referrals_propose_overdue(today=early) == 0
    assert services.referrals_propose_overdue(today=late) == 1
    assert services.referrals_propose_overdue(today=late + dt.timedelta(days=7)) == 0
    assert Referral.objects.get(item=item).reason == "deadline_passed"


def test_stationing_needs_a_serious_item_and_logs_once_per_day(people):
    inspector = people["inspector"]
    plain = list_item(people["province"], [make_problem()], team=[inspector])
    today = timezone.localdate()
    with pytest.raises(ValidationError):
        services.stationing_start(actor=inspector, item=plain, starts_on=today, ends_on=today, place="金水区")
    item = list_item(people["province"], [make_problem()], team=[inspector], serious=True)
    stationing = services.stationing_start(
        actor=inspector,
        item=item,
        starts_on=today - dt.timedelta(days=2),
        ends_on=today + dt.timedelta(days=5),
        place="金水区",
    )
    services.station_log(actor=inspector, item=item, stationing_id=stationing.pk, day=today, text="走访执法站")
    with pytest.raises(ValidationError):
        services.station_log(actor=inspector, item=item, stationing_id=stationing.pk, day=today, text="again")
    with pytest.raises(PermissionDenied):
        services.station_log(actor=people["county"], item=item, stationing_id=stationing.pk, day=today, text="x")


@pytest.mark.django_db(transaction=True)
def test_two_acceptances_racing_exactly_one_is_recorded(people):
    import threading

    from django.db import connection

    inspector, province = people["inspector"], people["province"]
    item = list_item(province, [make_problem()], team=[inspector])
    for move in ("start", "report"):
        item = services.item_transition(actor=people["county"], item_id=item.pk, move=move, text="x")
    seen, outcomes = item.version, []
    barrier = threading.Barrier(2)

    def accept(actor, move):
        try:
            barrier.wait()
            services.item_transition(
                actor=actor,
                item_id=item.pk,
                move=move,
                text="现场验收",
                visited_on=timezone.localdate(),
                members=[inspector],
                expected_version=seen,
            )
            outcomes.append("ok")
        except ConflictError:
            outcomes.append("conflict")
        finally:
            connection.close()

    threads = [
        threading.Thread(target=accept, args=(inspector, "accept_pass")),
        threading.Thread(target=accept, args=(province, "accept_fail")),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["conflict", "ok"]
    assert AcceptanceVisit.objects.filter(item=item).count() == 1
    assert AuditEvent.objects.filter(object_id=str(item.pk), action__startswith="supervision.accept").count() == 1


def test_the_beat_task_proposes_referrals_and_is_scheduled(people, settings):
    from django.conf import settings as django_settings

    from supervision.tasks import referrals_propose_overdue

    item = list_item(
        people["province"], [make_problem()], deadline_days=1, listed_on=timezone.localdate() - dt.timedelta(days=60)
    )
    assert referrals_propose_overdue() == 1
    assert Referral.objects.get(item=item).reason == "deadline_passed"
    entry = django_settings.CELERY_BEAT_SCHEDULE["supervision-referrals-propose"]
    assert entry["task"] == "supervision.tasks.referrals_propose_overdue"
