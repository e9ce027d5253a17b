"""The problem pages: scoping on every page, the list's filters and query budget, registering,
the detail page and its action forms, evidence download, "my rectifications" and the public
disclosure pages."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from cases import services
from cases.models import Category, Evidence, ExtensionRequest, Problem
from cases.tests.matrix import PNG
from cases.tests.rectify import rectify, verify
from portal.accounts.models import Role, User
from portal.audit.models import AuditEvent
from portal.regions.models import EnforcementDomain, Unit

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
TODAY = timezone.localdate


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def people():
    def make(name, code, role, **extra):
        return User.objects.create_user(name, region_id=code, roles=[role], **extra)

    return {
        "county": make("county", "410105", Role.COUNTY_OFFICER, first_name="李县"),
        "county_b": make("county_b", "410303", Role.COUNTY_OFFICER),
        "city": make("city", "410100", Role.CITY_STAFF, first_name="王市"),
        "city_b": make("city_b", "410300", Role.CITY_STAFF),
        "province": make("province", "410000", Role.PROVINCE_STAFF),
        "inspector": make("inspector", "410105", Role.INSPECTOR),
    }


@pytest.fixture
def units():
    return {
        "a": Unit.objects.create(name="金水区交通运输综合行政执法大队", kind="agency", region_id="410105"),
        "a2": Unit.objects.create(name="中牟县治超站", kind="station", region_id="410122"),
        "b": Unit.objects.create(name="老城区交通运输执法大队", kind="agency", region_id="410303"),
    }


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def register(actor, unit, title="治超站点直接罚款", category="lyj-directfine", **extra):
    return services.problem_register(
        actor=actor,
        title=title,
        category=Category.objects.get(code=category),
        source=Problem.Source.COMPLAINT,
        region=unit.region,
        unit=unit,
        domain=EnforcementDomain.objects.get(code="highway"),
        **extra,
    )


def move(actor, problem, name, **extra):
    return services.problem_transition(actor=actor, problem_id=problem.pk, move=name, **extra)


def text(response) -> str:
    return response.content.decode()


# --- the list ------------------------------------------------------------------------------------


def test_the_list_shows_each_user_their_subtree_only(people, units):
    mine = register(people["county"], units["a"], title="金水区问题")
    theirs = register(people["county_b"], units["b"], title="老城区问题")
    county = text(client_for(people["county"]).get(reverse("cases:index")))
    assert mine.code in county and "金水区问题" in county
    assert theirs.code not in county and "老城区问题" not in county
    city = text(client_for(people["city"]).get(reverse("cases:index")))
    assert mine.code in city and theirs.code not in city
    province = text(client_for(people["province"]).get(reverse("cases:index")))
    assert mine.code in province and theirs.code in province
    # A row shows code, title, region, unit, category and status.
    assert all(part in county for part in ("金水区", units["a"].name, "治超站点直接罚款", "已登记"))


def test_the_list_filters(people, units):
    county, city = people["county"], people["city"]
    plain = register(county, units["a"], title="收费不规范")
    key = register(county, units["a"], title="重点问题甲", is_key=True, category="zhuli-fines")
    zhongmou = register(city, units["a2"], title="中牟县的问题")
    late = register(county, units["a"], title="逾期未整改")
    move(city, late, "assign")
    Problem.objects.filter(pk=late.pk).update(deadline=TODAY() - dt.timedelta(days=3))
    move(city, plain, "assign")
    client = client_for(city)

    def codes(**params):
        body = text(client.get(reverse("cases:index"), params))
        return {p.code for p in (plain, key, zhongmou, late) if p.code in body}

    assert codes() == {plain.code, key.code, zhongmou.code, late.code}
    assert codes(region="410122") == {zhongmou.code}
    assert codes(region="410100") == {plain.code, key.code, zhongmou.code, late.code}  # the city and below
    assert codes(status="assigned") == {plain.code, late.code}
    assert codes(category=str(Category.objects.get(code="zhuli").pk)) == {key.code}  # a class includes its items
    assert codes(category=str(Category.objects.get(code="zhuli-fines").pk)) == {key.code}
    assert codes(overdue="yes") == {late.code}
    assert codes(overdue="no") == {plain.code, key.code, zhongmou.code}
    assert codes(is_key="true") == {key.code}
    assert codes(q="重点") == {key.code}
    assert codes(q=zhongmou.code) == {zhongmou.code}
    plain.refresh_from_db()
    assert codes(deadline_from=plain.deadline.isoformat(), deadline_to=plain.deadline.isoformat()) == {plain.code}
    assert codes(deadline_to=(TODAY() - dt.timedelta(days=1)).isoformat()) == {late.code}
    # The overdue badge on the overdue row.
    body = text(client.get(reverse("cases:index"), {"overdue": "yes"}))
    assert "逾期" in body and "case-row-overdue" in body


def test_a_filter_outside_the_subtree_leaks_nothing(people, units):
    theirs = register(people["county_b"], units["b"])
    mine = register(people["county"], units["a"])
    client = client_for(people["county"])
    body = text(client.get(reverse("cases:index"), {"region": "410303"}))
    assert theirs.code not in body and mine.code not in body and "没有符合条件的问题" in body
    body = text(client.get(reverse("cases:index"), {"region": "410000"}))  # above the subtree: still the subtree
    assert theirs.code not in body and mine.code in body
    body = text(client.get(reverse("cases:index"), {"region": "x' OR 1=1", "category": "abc"}))
    assert "部分筛选条件无效" in body and theirs.code not in body and mine.code in body


def test_htmx_refreshes_only_the_results(people, units):
    problem = register(people["county"], units["a"])
    response = client_for(people["county"]).get(
        reverse("cases:index"), {"q": problem.code}, headers={"HX-Request": "true"}
    )
    body = text(response)
    assert response.status_code == 200 and problem.code in body
    assert "<html" not in body and 'id="problem-filters"' not in body
    # The full page carries the filter form wired to htmx, and the ledger links only once they exist.
    page = text(client_for(people["county"]).get(reverse("cases:index")))
    assert 'hx-get="/cases/"' in page and 'hx-target="#problem-results"' in page


def _bulk_problems(unit, count, *, start=0):
    category = Category.objects.get(code="lyj-directfine")
    domain = EnforcementDomain.objects.get(code="highway")
    codes = services.next_problem_codes(count)
    Problem.objects.bulk_create(
        [
            Problem(
                code=codes[i],
                title=f"批量问题 {start + i}",
                category=category,
                source=Problem.Source.INSPECTION,
                region=unit.region,
                unit=unit,
                domain=domain,
                status=Problem.Status.RECTIFYING if i % 2 else Problem.Status.REGISTERED,
                deadline=TODAY() + dt.timedelta(days=i - count // 2) if i % 2 else None,
            )
            for i in range(count)
        ]
    )


# The list page, whatever the data and the filters: the session, the user, the region choices
# (which also read the user's own region for scoping), the category choices, the COUNT, the
# page's rows, the unread-inbox badge, and the session save (an UPDATE between the test
# transaction's SAVEPOINT and RELEASE: 8 statements outside tests).
LIST_QUERIES = 10


def test_the_list_page_uses_a_fixed_number_of_queries(people, units, django_assert_num_queries):
    client = client_for(people["city"])
    url = reverse("cases:index")
    filtered = {
        "region": "410105",
        "category": str(Category.objects.get(code="liuyanjin").pk),
        "status": "rectifying",
        "overdue": "no",
        "q": "批量",
        "is_key": "false",
        "deadline_from": "2000-01-01",
        "o": "deadline",
    }
    _bulk_problems(units["a"], 3)
    with django_assert_num_queries(LIST_QUERIES):
        assert client.get(url).status_code == 200
    with django_assert_num_queries(LIST_QUERIES):
        assert "批量问题" in text(client.get(url, filtered))
    _bulk_problems(units["a"], 150, start=3)
    _bulk_problems(units["a2"], 50, start=153)
    with django_assert_num_queries(LIST_QUERIES):
        body = text(client.get(url, {"page": "3"}))
    assert "第 3 / 11 页" in body
    with django_assert_num_queries(LIST_QUERIES):
        assert "批量问题" in text(client.get(url, filtered))
    # The htmx partial: no choices and no navigation bar, but the user's region for scoping.
    with django_assert_num_queries(LIST_QUERIES - 2):
        assert "批量问题" in text(client.get(url, filtered, headers={"HX-Request": "true"}))
    assert LIST_QUERIES <= 10


# --- registering -----------------------------------------------------------------------------------


def _form(where, **extra):
    return {
        "title": "执法人员态度冷硬",
        "description": "群众反映执法人员推诿刁难。",
        "category": Category.objects.get(code="cubao-attitude").pk,
        "source": Problem.Source.COMPLAINT,
        "severity": Problem.Severity.SERIOUS,
        "region": where.region_id,
        "unit": where.pk,
        "domain": EnforcementDomain.objects.get(code="highway").pk,
        "first_responsible": "张局长",
        "found_on": TODAY().isoformat(),
        **extra,
    }


def test_a_county_officer_registers_a_problem(people, units):
    client = client_for(people["county"])
    page = text(client.get(reverse("cases:register")))
    assert units["a"].name in page and units["b"].name not in page and units["a2"].name not in page
    assert 'value="410105"' in page and 'value="410303"' not in page and 'value="410100"' not in page
    response = client.post(reverse("cases:register"), _form(units["a"]))
    problem = Problem.objects.get(title="执法人员态度冷硬")
    assert response.status_code == 302 and response["Location"] == reverse("cases:detail", kwargs={"pk": problem.pk})
    assert (problem.registered_by, problem.region_id, problem.severity) == (people["county"], "410105", "serious")
    assert AuditEvent.objects.filter(action="problem.register", object_id=str(problem.pk)).exists()


def test_out_of_scope_ids_in_the_register_form_are_refused_with_a_clear_error(people, units):
    client = client_for(people["county"])
    for data in (
        _form(units["a"], unit=units["b"].pk),  # another county's unit
        _form(units["a"], region="410303"),  # another county
        _form(units["a"], unit=987654321),  # missing: the same answer
    ):
        response = client.post(reverse("cases:register"), data)
        assert response.status_code == 200
        assert "所选区划或单位不在您的管辖范围内" in text(response)
    assert not Problem.objects.exists()


def test_registering_needs_the_edit_capability(people):
    assert client_for(people["inspector"]).get(reverse("cases:register")).status_code == 404
    assert Client().get(reverse("cases:register")).status_code == 302


def test_unit_options_follow_the_region_within_the_subtree(people, units):
    client = client_for(people["city"])
    body = text(client.get(reverse("cases:unit-options"), {"region": "410122"}))
    assert units["a2"].name in body and units["a"].name not in body
    assert units["b"].name not in text(client.get(reverse("cases:unit-options"), {"region": "410303"}))


# --- one problem ----------------------------------------------------------------------------------


@pytest.fixture
def full_problem(people, units):
    """A problem through its whole life: plan, progress with evidence, an approved extension, a
    failed and a passed verification, accountability and a published result."""
    county, city = people["county"], people["city"]
    problem = register(county, units["a"], first_responsible="张局长")
    move(city, problem, "assign")
    move(county, problem, "start")
    services.plan_set(
        actor=county,
        problem=problem,
        measures="撤销直接罚款点位，开展警示教育",
        route_map="先撤点位，再教育，后复查",
        milestones=[("完成自查", TODAY() + dt.timedelta(days=5))],
    )
    services.milestone_done(actor=county, problem=problem, milestone_id=problem.plan.milestones.get().pk)
    services.progress_log(
        actor=county,
        problem=problem,
        note="已撤销点位",
        files=[SimpleUploadedFile("现场照片.png", PNG, content_type="image/png")],
    )
    problem.refresh_from_db()
    extension = services.extension_request(
        actor=county,
        problem=problem,
        requested_deadline=problem.deadline + dt.timedelta(days=10),
        reason="需要补充材料",
    )
    services.extension_decide(actor=city, extension_id=extension.pk, approve=True, note="同意")
    move(county, problem, "submit")
    services.verification_record(
        actor=city,
        problem=problem,
        method="desk",
        verified_on=TODAY(),
        verifiers="王芳",
        findings="书面材料不全",
    )
    move(city, problem, "verify_fail", reason="佐证不足", new_deadline=TODAY() + dt.timedelta(days=15))
    move(county, problem, "submit")
    verify(city, problem, method="onsite")
    move(city, problem, "verify_pass")
    services.accountability_record(
        actor=city,
        problem=problem,
        unit=units["a"],
        person_name="赵某",
        post="执法队员",
        measure="talk",
        decided_by="金水区交通运输局",
        decided_on=TODAY(),
        discipline_breach=True,
    )
    services.disclosure_publish(
        actor=city, problem=problem, title="金水区治超点违规罚款问题处理结果", summary="已整改销号。"
    )
    problem.refresh_from_db()
    return problem


def test_the_detail_page_shows_the_whole_file(people, full_problem):
    body = text(client_for(people["city"]).get(reverse("cases:detail", kwargs={"pk": full_problem.pk})))
    for part in (
        full_problem.code,
        "撤销直接罚款点位",  # the plan
        "完成自查",  # a milestone
        "已撤销点位",  # progress
        "现场照片.png",  # evidence
        "佐证不足",  # the failed verification
        "书面材料不全",  # its findings
        "通过，予以销号",  # the passed one
        "实地核查",  # its method
        "核查照片.png",  # and evidence
        "需要补充材料",  # the extension
        "已批准",
        "赵某",  # accountability
        "诫勉谈话",
        "金水区治超点违规罚款问题处理结果",  # the disclosure
        "张局长",
        # the timeline: audit events with readable labels and changes
        "登记问题",
        "交办",
        "核查未通过，退回整改",
        "审批延期申请",
        "整改中 → 待核查",
        "重新打开",  # the move the city may make on a closed problem
    ):
        assert part in body, part
    for evidence in Evidence.objects.filter(problem=full_problem):
        assert reverse("cases:evidence-download", kwargs={"pk": evidence.pk}) in body
    assert 'id="closed-unverified"' not in body


def test_the_detail_page_costs_the_same_whatever_the_history(people, units, django_assert_max_num_queries):
    problem = register(people["county"], units["a"])
    move(people["city"], problem, "assign")
    client = client_for(people["city"])
    url = reverse("cases:detail", kwargs={"pk": problem.pk})

    def log(count):
        for n in range(count):
            services.progress_log(
                actor=people["county"],
                problem=problem,
                note=f"进展 {n}",
                files=[SimpleUploadedFile(f"照片{n}.png", PNG), SimpleUploadedFile(f"报告{n}.pdf", PDF)],
            )

    log(1)
    with django_assert_max_num_queries(40) as small:
        client.get(url)
    log(6)
    with django_assert_max_num_queries(40) as large:
        assert "报告5.pdf" in text(client.get(url))
    assert len(large) == len(small)


def test_the_detail_page_offers_only_the_allowed_moves(people, units):
    problem = register(people["county"], units["a"])
    move(people["city"], problem, "assign")
    move(people["county"], problem, "start")
    rectify(people["county"], problem)
    move(people["county"], problem, "submit")
    verify(people["city"], problem)
    url = reverse("cases:detail", kwargs={"pk": problem.pk})
    county = text(client_for(people["county"]).get(url))
    city = text(client_for(people["city"]).get(url))
    assert 'data-move="verify_pass"' not in county and 'data-move="verify_pass"' in city
    problem.refresh_from_db()
    assert 'data-move="verify_fail"' in city and f'name="expected_version" value="{problem.version}"' in city


def test_another_countys_problem_answers_like_a_missing_one(people, full_problem):
    client = client_for(people["county_b"])
    evidence = Evidence.objects.get(problem=full_problem, progress__isnull=False)
    routes = [
        ("cases:detail", full_problem.pk),
        ("cases:transition", full_problem.pk),
        ("cases:progress", full_problem.pk),
        ("cases:plan", full_problem.pk),
        ("cases:archive", full_problem.pk),
        ("cases:evidence-download", evidence.pk),
    ]
    for name, pk in routes:
        missing = client.get(reverse(name, kwargs={"pk": 987654321}))
        response = client.get(reverse(name, kwargs={"pk": pk}))
        assert response.status_code == missing.status_code == 404, name
    version = full_problem.version
    response = client.post(
        reverse("cases:transition", kwargs={"pk": full_problem.pk}),
        {"move": "reopen", "expected_version": version, "reason": "x", "new_deadline": "2099-01-01"},
    )
    assert response.status_code == 404
    full_problem.refresh_from_db()
    assert (full_problem.status, full_problem.version) == ("closed", version)


def test_a_transition_through_the_page(people, units):
    problem = register(people["county"], units["a"])
    client = client_for(people["city"])
    url = reverse("cases:transition", kwargs={"pk": problem.pk})
    assert "交办" in text(client.get(url))
    response = client.post(url, {"move": "assign", "expected_version": problem.version})
    assert response.status_code == 302 and response["Location"] == reverse("cases:detail", kwargs={"pk": problem.pk})
    problem.refresh_from_db()
    assert problem.status == "assigned" and problem.deadline is not None


def test_a_stale_version_answers_409_and_shows_the_fresh_state(people, units):
    problem = register(people["county"], units["a"])
    seen = problem.version
    move(people["city"], problem, "assign")  # someone else moves it first
    client = client_for(people["county"])
    url = reverse("cases:transition", kwargs={"pk": problem.pk})
    response = client.post(url, {"move": "assign", "expected_version": seen})
    assert response.status_code == 409
    body = text(response)
    assert "该问题已被他人处理" in body and "已交办" in body  # the detail page, fresh
    # With htmx: 409, and the page reloads (the message waits in the session).
    response = client.post(url, {"move": "start", "expected_version": seen}, headers={"HX-Request": "true"})
    assert response.status_code == 409 and response["HX-Refresh"] == "true"
    assert "该问题已被他人处理" in text(client.get(reverse("cases:detail", kwargs={"pk": problem.pk})))
    problem.refresh_from_db()
    assert problem.status == "assigned"


def test_a_move_needing_a_reason_says_so_and_changes_nothing(people, units):
    problem = register(people["county"], units["a"])
    move(people["city"], problem, "assign")
    move(people["county"], problem, "start")
    rectify(people["county"], problem)
    problem = move(people["county"], problem, "submit")
    verify(people["city"], problem)
    client = client_for(people["city"])
    url = reverse("cases:transition", kwargs={"pk": problem.pk})
    response = client.post(url, {"move": "verify_fail", "expected_version": problem.version})
    assert response.status_code == 200 and "请填写理由" in text(response)
    htmx = client.post(
        url, {"move": "verify_fail", "expected_version": problem.version}, headers={"HX-Request": "true"}
    )
    assert "请填写理由" in text(htmx) and "<html" not in text(htmx)
    problem.refresh_from_db()
    assert problem.status == "submitted"
    response = client.post(
        url, {"move": "verify_pass", "expected_version": problem.version}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 200 and response["HX-Redirect"] == reverse("cases:detail", kwargs={"pk": problem.pk})


def test_progress_with_several_evidence_files(people, units):
    problem = register(people["county"], units["a"])
    move(people["city"], problem, "assign")
    client = client_for(people["county"])
    url = reverse("cases:progress", kwargs={"pk": problem.pk})
    response = client.post(
        url,
        {
            "note": "已完成整改",
            "files": [
                SimpleUploadedFile("照片.png", PNG, content_type="image/png"),
                SimpleUploadedFile("整改报告.pdf", PDF, content_type="application/pdf"),
            ],
        },
    )
    assert response.status_code == 302
    assert sorted(Evidence.objects.filter(problem=problem).values_list("content_type", flat=True)) == [
        "application/pdf",
        "image/png",
    ]
    # A file whose content is not what it claims: a clear error, nothing written.
    response = client.post(
        url,
        {
            "note": "再次报送",
            "files": [SimpleUploadedFile("伪装.png", b"MZ\x90\x00 not a png", content_type="image/png")],
        },
    )
    assert response.status_code == 200 and "类型不受支持" in text(response)
    assert problem.progress.count() == 1 and Evidence.objects.filter(problem=problem).count() == 2


def test_evidence_is_served_only_to_those_who_see_the_problem(people, full_problem):
    evidence = Evidence.objects.get(problem=full_problem, progress__isnull=False)
    url = reverse("cases:evidence-download", kwargs={"pk": evidence.pk})
    for who in ("county", "city", "province"):
        response = client_for(people[who]).get(url)
        assert response.status_code == 200, who
        assert b"".join(response.streaming_content) == PNG
        assert response["Content-Type"] == "image/png"
        assert response["Content-Disposition"].startswith("attachment;")
        assert "filename*=utf-8''%E7%8E%B0%E5%9C%BA%E7%85%A7%E7%89%87.png" in response["Content-Disposition"]
        assert response["X-Content-Type-Options"] == "nosniff"
    for who in ("county_b", "city_b"):
        assert client_for(people[who]).get(url).status_code == 404
    assert (
        client_for(people["county"]).get(reverse("cases:evidence-download", kwargs={"pk": 987654321})).status_code
        == 404
    )
    assert Client().get(url).status_code == 302
    # Files are not reachable under any media URL.
    assert Client().get("/media/" + evidence.file.name).status_code == 404


def test_plan_extension_and_decision_through_the_pages(people, units):
    problem = register(people["county"], units["a"])
    problem = move(people["city"], problem, "assign")
    county, city = client_for(people["county"]), client_for(people["city"])
    response = county.post(
        reverse("cases:plan", kwargs={"pk": problem.pk}),
        {
            "measures": "全面排查",
            "route_map": "",
            "ms-TOTAL_FORMS": "2",
            "ms-INITIAL_FORMS": "0",
            "ms-0-title": "排查完毕",
            "ms-0-due_on": (TODAY() + dt.timedelta(days=3)).isoformat(),
            "ms-1-title": "",
            "ms-1-due_on": "",
        },
    )
    assert response.status_code == 302
    assert [m.title for m in problem.plan.milestones.all()] == ["排查完毕"]
    new_deadline = problem.deadline + dt.timedelta(days=7)
    response = county.post(
        reverse("cases:extension-request", kwargs={"pk": problem.pk}),
        {"requested_deadline": new_deadline.isoformat(), "reason": "涉及多个部门"},
    )
    assert response.status_code == 302
    extension = ExtensionRequest.objects.get(problem=problem)
    # The county cannot decide (the level above does).
    assert county.get(reverse("cases:extension-decide", kwargs={"pk": problem.pk})).status_code == 404
    detail = text(city.get(reverse("cases:detail", kwargs={"pk": problem.pk})))
    assert "涉及多个部门" in detail and 'id="decide-form"' in detail
    response = city.post(
        reverse("cases:extension-decide", kwargs={"pk": problem.pk}),
        {"extension": extension.pk, "decision": "approve", "note": "同意"},
    )
    assert response.status_code == 302
    problem.refresh_from_db()
    assert problem.deadline == new_deadline


def test_milestones_are_marked_done_on_the_detail_page(people, units):
    problem = move(people["city"], register(people["county"], units["a"]), "assign")
    due = TODAY() + dt.timedelta(days=3)
    services.plan_set(
        actor=people["county"], problem=problem, measures="全面排查", milestones=[("排查完毕", due), ("建章立制", due)]
    )
    first, second = problem.plan.milestones.order_by("id")
    county = client_for(people["county"])
    page = text(county.get(reverse("cases:detail", kwargs={"pk": problem.pk})))
    # per milestone: "mark done" and "explain why not done"
    assert page.count('name="milestone"') == 4 and "标记完成" in page and "说明未完成原因" in page
    url = reverse("cases:milestone-done", kwargs={"pk": problem.pk})
    assert county.get(url).status_code == 405  # a write: POST only
    response = county.post(url, {"milestone": first.pk}, follow=True)
    assert "时间节点“排查完毕”已标记完成。" in text(response)
    first.refresh_from_db()
    assert first.done_on == TODAY()
    assert AuditEvent.objects.filter(action="problem.milestone_done", object_id=str(problem.pk)).count() == 1
    timeline = text(county.get(reverse("cases:detail", kwargs={"pk": problem.pk})))
    assert "时间节点完成" in timeline and "problem.milestone_done" not in timeline  # a label, not the code
    # Twice: said, nothing changed; a milestone of another problem: refused.
    assert "已于" in text(county.post(url, {"milestone": first.pk}, follow=True))
    other = move(people["city"], register(people["county"], units["a"]), "assign")
    services.plan_set(actor=people["county"], problem=other, measures="整改", milestones=[("另一个", due)])
    foreign = other.plan.milestones.get()
    assert "没有这个时间节点" in text(county.post(url, {"milestone": foreign.pk}, follow=True))
    foreign.refresh_from_db()
    assert foreign.done_on is None
    # Another county's officer: like a missing problem.
    assert client_for(people["county_b"]).post(url, {"milestone": second.pk}).status_code == 404
    # Revising the plan keeps the done date of a milestone kept by its title.
    services.plan_set(
        actor=people["county"], problem=problem, measures="全面排查", milestones=[("排查完毕", due), ("新增节点", due)]
    )
    assert dict(problem.plan.milestones.values_list("title", "done_on")) == {"排查完毕": TODAY(), "新增节点": None}


def test_accountability_and_a_disclosure_without_personal_data(people, units):
    problem = register(people["county"], units["a"])
    for actor, name in (("city", "assign"), ("county", "start")):
        move(people[actor], problem, name)
    rectify(people["county"], problem)
    move(people["county"], problem, "submit")
    verify(people["city"], problem)
    move(people["city"], problem, "verify_pass")
    city = client_for(people["city"])
    response = city.post(
        reverse("cases:accountability", kwargs={"pk": problem.pk}),
        {
            "unit": units["a"].pk,
            "person_name": "钱某",
            "post": "站长",
            "measure": "criticism",
            "decided_by": "郑州市交通运输局",
            "decided_on": TODAY().isoformat(),
        },
    )
    assert response.status_code == 302 and problem.accountability.get().person_name == "钱某"
    url = reverse("cases:disclosure", kwargs={"pk": problem.pk})
    response = city.post(url, {"title": "处理结果", "summary": "当事人电话13812345678"})
    assert response.status_code == 200 and "个人信息" in text(response)
    response = city.post(url, {"title": "金水区违规罚款问题处理结果", "summary": "责任人已受到通报批评。"})
    assert response.status_code == 302


# --- my rectifications ----------------------------------------------------------------------------


def test_my_rectifications_lists_open_problems_overdue_first(people, units):
    county, city = people["county"], people["city"]
    later = register(county, units["a"], title="期限较晚")
    overdue = register(county, units["a"], title="已经逾期")
    sooner = register(county, units["a"], title="期限较近")
    closed = register(county, units["a"], title="已经销号")
    waiting = register(county, units["a"], title="等待交办")
    elsewhere = register(people["county_b"], units["b"], title="别的县")
    for problem in (later, overdue, sooner, closed):
        move(city, problem, "assign")
    move(county, closed, "start")
    rectify(county, closed)
    move(county, closed, "submit")
    verify(city, closed)
    move(city, closed, "verify_pass")
    Problem.objects.filter(pk=overdue.pk).update(deadline=TODAY() - dt.timedelta(days=2))
    Problem.objects.filter(pk=sooner.pk).update(deadline=TODAY() + dt.timedelta(days=3))
    Problem.objects.filter(pk=later.pk).update(deadline=TODAY() + dt.timedelta(days=30))
    services.plan_set(
        actor=county, problem=sooner, measures="整改", milestones=[("第一阶段", TODAY() + dt.timedelta(days=1))]
    )
    body = text(client_for(county).get(reverse("cases:mine")))
    positions = [body.index(title) for title in ("已经逾期", "期限较近", "期限较晚", "等待交办")]
    assert positions == sorted(positions)
    assert "已经销号" not in body and "别的县" not in body and elsewhere.code not in body
    assert "逾期 2 天" in body and "剩 3 天" in body and "第一阶段" in body
    assert re.search(r"已逾期</div><div class=\"portal-kpi-value\">1<", body.replace("\n", "").replace("  ", ""))
    assert waiting.code in body


# --- the archive ----------------------------------------------------------------------------------


def test_the_archive_downloads_as_a_zip(people, full_problem):
    response = client_for(people["city"]).get(reverse("cases:archive", kwargs={"pk": full_problem.pk}))
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    assert response.content[:2] == b"PK"


# --- the public pages -----------------------------------------------------------------------------


def test_the_public_pages_need_no_login_and_show_no_personal_data(people, full_problem):
    anonymous = Client()
    listing = anonymous.get(reverse("cases:public"))
    assert listing.status_code == 200
    body = text(listing)
    assert "金水区治超点违规罚款问题处理结果" in body and "已整改销号" in body
    assert "金水区" in body and full_problem.code in body
    detail = anonymous.get(reverse("cases:public-detail"), {"code": full_problem.code})
    assert detail.status_code == 200
    for page in (body, text(detail)):
        # no names of officials or of those held accountable, no accounts, no internal ids
        for secret in ("赵某", "张局长", "李县", "王市", "county", "city", "执法队员"):
            assert secret not in page, secret
        assert reverse("cases:detail", kwargs={"pk": full_problem.pk}) not in page
        assert f"/{full_problem.pk}/" not in page
    assert anonymous.get(reverse("cases:public-detail"), {"code": "WT1999-0000000"}).status_code == 404
    assert anonymous.get(reverse("cases:public-detail")).status_code == 302


def test_unpublished_results_stay_off_the_public_pages(people, units):
    problem = register(people["county"], units["a"], title="未公开的问题")
    assert "未公开的问题" not in text(Client().get(reverse("cases:public")))
    assert Client().get(reverse("cases:public-detail"), {"code": problem.code}).status_code == 404


# --- what a move needs, shown before anyone tries (§6) ---------------------------------------------


def test_the_panel_lists_what_is_missing_and_submitting_and_closing_ask_for_confirmation(people, units):
    county_user, city_user = people["county"], people["city"]
    problem = register(county_user, units["a"])
    move(city_user, problem, "assign")
    problem = move(county_user, problem, "start")
    county, city = client_for(county_user), client_for(city_user)
    detail_url = reverse("cases:detail", kwargs={"pk": problem.pk})
    url = reverse("cases:transition", kwargs={"pk": problem.pk})

    page = text(county.get(detail_url))
    panel = page[page.index('id="actions"') :]
    assert 'data-unmet="submit"' in panel and "disabled" in panel
    for code in ("plan_measures", "plan_route_map", "plan_milestones", "progress_evidence"):
        assert f'data-code="{code}"' in panel, code
    assert f'href="{reverse("cases:plan", kwargs={"pk": problem.pk})}"' in panel
    assert f'href="{reverse("cases:progress", kwargs={"pk": problem.pk})}"' in panel
    # Posted anyway (a stale page, a hand-made request): refused with the list, nothing moved.
    refused = county.post(url, {"move": "submit", "expected_version": problem.version, "confirmed": "on"})
    assert refused.status_code == 200 and "条件尚未满足" in text(refused) and "尚未制定整改方案" in text(refused)
    problem.refresh_from_db()
    assert problem.status == "rectifying"

    rectify(county_user, problem)
    panel = text(county.get(detail_url))
    panel = panel[panel.index('id="actions"') :]
    assert 'data-unmet="submit"' not in panel and f'action="{url}"' in panel and 'name="move" value="submit"' in panel
    # The confirmation page: what will be sent.
    confirm = text(county.get(url, {"move": "submit"}))
    for part in ("确认：提交核查", "撤销违规执法点位", "第一周排查", "完成排查", "整改照片.png", 'name="confirmed"'):
        assert part in confirm, part
    # A post without the confirmation shows that page again and moves nothing.
    again = county.post(url, {"move": "submit", "expected_version": problem.version})
    assert again.status_code == 200 and "确认：提交核查" in text(again)
    problem.refresh_from_db()
    assert problem.status == "rectifying"
    done = county.post(url, {"move": "submit", "expected_version": problem.version, "confirmed": "on"})
    assert done.status_code == 302
    problem.refresh_from_db()
    assert problem.status == "submitted"

    # The city: 销号 needs a verification record, filled in on its own page.
    page = text(city.get(detail_url))
    panel = page[page.index('id="actions"') :]
    verification_url = reverse("cases:verification", kwargs={"pk": problem.pk})
    assert 'data-unmet="verify_pass"' in panel and f'href="{verification_url}"' in panel
    assert 'data-move="verify_fail"' in panel  # sending back needs no record
    assert 'id="verification-form"' in text(city.get(verification_url))
    assert county.get(verification_url).status_code == 404  # the county does not verify
    bad = city.post(verification_url, {"method": "onsite", "verified_on": "", "verifiers": "", "findings": ""})
    assert bad.status_code == 200 and not problem.verifications.exists()
    saved = city.post(
        verification_url,
        {
            "method": "onsite",
            "verified_on": TODAY().isoformat(),
            "verifiers": "王芳、赵强",
            "findings": "现场查看，点位已撤除",
            "files": [SimpleUploadedFile("核查照片.png", PNG, content_type="image/png")],
        },
    )
    assert saved.status_code == 302
    confirm = text(city.get(url, {"move": "verify_pass"}))
    assert "确认：核查通过并销号" in confirm and "现场查看，点位已撤除" in confirm and "实地核查" in confirm
    problem.refresh_from_db()
    assert (
        city.post(url, {"move": "verify_pass", "expected_version": problem.version, "confirmed": "on"}).status_code
        == 302
    )
    problem.refresh_from_db()
    assert problem.status == "closed"
    timeline = text(city.get(detail_url))
    assert "记录核查" in timeline and "核查发现" in timeline and 'id="closed-unverified"' not in timeline


def test_a_milestone_may_be_explained_instead_of_done(people, units):
    problem = move(people["city"], register(people["county"], units["a"]), "assign")
    services.plan_set(actor=people["county"], problem=problem, measures="排查", milestones=[("建章立制", TODAY())])
    milestone = problem.plan.milestones.get()
    county = client_for(people["county"])
    url = reverse("cases:milestone-done", kwargs={"pk": problem.pk})
    assert "请填写未完成的原因" in text(county.post(url, {"milestone": milestone.pk, "explanation": " "}, follow=True))
    response = county.post(url, {"milestone": milestone.pk, "explanation": "制度由市局统一制定"}, follow=True)
    assert "已说明时间节点“建章立制”未完成的原因" in text(response) and "制度由市局统一制定" in text(response)
    milestone.refresh_from_db()
    assert milestone.explanation == "制度由市局统一制定" and milestone.done_on is None
    assert client_for(people["county_b"]).post(url, {"milestone": milestone.pk, "explanation": "x"}).status_code == 404


def test_closings_without_a_verification_record_are_counted_on_the_dashboard(people, units):
    from cases.models import TransitionRequirement
    from portal.dashboards import selectors as dashboards
    from portal.dashboards.services import figures_refresh

    county, city = people["county"], people["city"]

    def close(title, *, record):
        problem = register(county, units["a"], title=title)
        move(city, problem, "assign")
        move(county, problem, "start")
        rectify(county, problem)
        move(county, problem, "submit")
        if record:
            verify(city, problem)
        return move(city, problem, "verify_pass")

    verified = close("核查后销号", record=True)
    TransitionRequirement.objects.filter(move="verify_pass").update(active=False)  # an old rule set
    unverified = close("未经核查销号", record=False)
    figures_refresh()
    board = dashboards.dashboard(city, dashboards.scope_own(city))
    assert board.named["problems.closed_unverified"].value == 1
    kpi = next(k for s in board.sections if s.key == "problems" for k in s.kpis if str(k.label) == "销号无核查记录")
    assert kpi.num.value == 1 and "unverified=yes" in kpi.num.url
    listing = text(client_for(city).get(kpi.num.url))
    assert unverified.code in listing and verified.code not in listing
    page = text(client_for(city).get(reverse("cases:detail", kwargs={"pk": unverified.pk})))
    assert 'id="closed-unverified"' in page
