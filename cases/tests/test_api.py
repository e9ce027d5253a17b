"""The problem API: scoping, the list's filters and query budget, registering and editing with
out-of-scope ids refused per field, the workflow endpoints (409 on a stale version), progress
with evidence files, extensions, and the OpenAPI schema."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from cases import services
from cases.models import Category, Evidence, Problem
from cases.tests.matrix import PNG
from cases.tests.rectify import png, rectify
from cases.tests.test_pages import _bulk_problems, move, register
from cases.transitions import MOVES
from portal.accounts.models import Role, User
from portal.audit.models import AuditEvent
from portal.regions.models import EnforcementDomain, Unit

pytestmark = pytest.mark.django_db

LIST = "/api/v1/problems/"
TODAY = timezone.localdate


def detail(problem_or_pk, suffix=""):
    pk = getattr(problem_or_pk, "pk", problem_or_pk)
    return f"{LIST}{pk}/{suffix}"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def people():
    def make(name, code, role):
        return User.objects.create_user(name, region_id=code, roles=[role])

    return {
        "county": make("county", "410105", Role.COUNTY_OFFICER),
        "county_b": make("county_b", "410303", Role.COUNTY_OFFICER),
        "city": make("city", "410100", Role.CITY_STAFF),
        "province": make("province", "410000", Role.PROVINCE_STAFF),
    }


@pytest.fixture
def units():
    return {
        "a": Unit.objects.create(name="金水区交通运输综合行政执法大队", kind="agency", region_id="410105"),
        "a2": Unit.objects.create(name="中牟县治超站", kind="station", region_id="410122"),
        "b": Unit.objects.create(name="老城区交通运输执法大队", kind="agency", region_id="410303"),
    }


def api(user=None, *, token=False) -> APIClient:
    client = APIClient()
    if user is not None and token:
        client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    elif user is not None:
        client.force_login(user)
    return client


def codes(response) -> set[str]:
    assert response.status_code == 200, response.content
    return {row["code"] for row in response.json()["results"]}


# --- reading --------------------------------------------------------------------------------------


def test_the_list_is_scoped_and_filtered_as_the_page(people, units):
    county, city = people["county"], people["city"]
    plain = register(county, units["a"], title="收费不规范")
    key = register(county, units["a"], title="重点问题甲", is_key=True, category="zhuli-fines")
    zhongmou = register(city, units["a2"], title="中牟县的问题")
    late = register(county, units["a"], title="逾期未整改")
    theirs = register(people["county_b"], units["b"])
    move(city, late, "assign")
    Problem.objects.filter(pk=late.pk).update(deadline=TODAY() - dt.timedelta(days=1))

    assert codes(api(county).get(LIST)) == {plain.code, key.code, late.code}
    client = api(city)
    assert codes(client.get(LIST)) == {plain.code, key.code, zhongmou.code, late.code}
    assert theirs.code in codes(api(people["province"]).get(LIST))
    assert codes(client.get(LIST, {"region": "410122"})) == {zhongmou.code}
    assert codes(client.get(LIST, {"region": "410303"})) == set()  # another city's county: nothing
    assert codes(client.get(LIST, {"status": "assigned"})) == {late.code}
    assert codes(client.get(LIST, {"category": Category.objects.get(code="zhuli").pk})) == {key.code}
    assert codes(client.get(LIST, {"overdue": "yes"})) == {late.code}
    assert codes(client.get(LIST, {"is_key": "true"})) == {key.code}
    assert codes(client.get(LIST, {"q": "中牟"})) == {zhongmou.code}
    assert codes(client.get(LIST, {"deadline_to": TODAY().isoformat()})) == {late.code}
    row = next(r for r in client.get(LIST, {"q": late.code}).json()["results"])
    assert row["is_overdue"] is True and row["region_name"] == "金水区" and row["status_display"] == "已交办"
    response = client.get(LIST, {"overdue": "maybe", "region": "abc"})
    assert response.status_code == 400 and set(response.json()) == {"overdue", "region"}


def test_anonymous_gets_nothing(people, units):
    register(people["county"], units["a"])
    assert api().get(LIST).status_code in (401, 403)


def test_another_countys_problem_answers_like_a_missing_one(people, units):
    problem = register(people["county"], units["a"])
    client = api(people["county_b"])
    for suffix in ("", "transition/", "progress/", "extensions/", "extensions/decide/"):
        missing = client.get(detail(987654321, suffix))
        response = client.get(detail(problem, suffix))
        assert response.status_code == missing.status_code == 404, suffix
        assert response.json() == missing.json()
    response = client.post(detail(problem, "transition/"), {"move": "assign", "expected_version": 1}, format="json")
    assert response.status_code == 404
    response = client.patch(detail(problem), {"title": "改掉"}, format="json")
    assert response.status_code == 404
    problem.refresh_from_db()
    assert (problem.status, problem.title, problem.version) == ("registered", "治超站点直接罚款", 1)


# The list API: (the token and its user in one query) the COUNT and the page's rows, with
# the user's region read once for scoping; session sign-in adds the session, its save and the
# test transaction's SAVEPOINT/RELEASE around that save.
API_LIST_QUERIES_TOKEN = 4
API_LIST_QUERIES_SESSION = 8


def test_the_list_api_uses_a_fixed_number_of_queries(people, units, django_assert_num_queries):
    by_token, by_session = api(people["city"], token=True), api(people["city"])
    filters = {"region": "410105", "status": "rectifying", "category": Category.objects.get(code="liuyanjin").pk}
    _bulk_problems(units["a"], 3)
    with django_assert_num_queries(API_LIST_QUERIES_TOKEN):
        assert by_token.get(LIST).status_code == 200
    with django_assert_num_queries(API_LIST_QUERIES_SESSION):
        assert by_session.get(LIST, filters).status_code == 200
    _bulk_problems(units["a"], 200, start=3)
    _bulk_problems(units["a2"], 100, start=203)
    with django_assert_num_queries(API_LIST_QUERIES_TOKEN):
        response = by_token.get(LIST, {"page": 2})
    assert response.json()["count"] == 303 and len(response.json()["results"]) == 50
    with django_assert_num_queries(API_LIST_QUERIES_TOKEN):
        assert by_token.get(LIST, filters).status_code == 200
    with django_assert_num_queries(API_LIST_QUERIES_SESSION):
        assert by_session.get(LIST, filters).status_code == 200
    assert API_LIST_QUERIES_SESSION <= 10


# --- registering and editing ----------------------------------------------------------------------


def _body(where, **extra):
    return {
        "title": "执法人员态度冷硬",
        "category": Category.objects.get(code="cubao-attitude").pk,
        "source": "complaint",
        "region": where.region_id,
        "unit": where.pk,
        "domain": EnforcementDomain.objects.get(code="highway").pk,
        "first_responsible": "张局长",
        **extra,
    }


def test_registering_through_the_api(people, units):
    response = api(people["county"]).post(LIST, _body(units["a"], severity="grave"), format="json")
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["code"].startswith("WT") and data["status"] == "registered" and data["severity"] == "grave"
    assert Problem.objects.get(pk=data["id"]).registered_by == people["county"]


def test_out_of_scope_ids_in_a_body_are_refused_per_field_and_nothing_is_written(people, units):
    client = api(people["county"])
    events = AuditEvent.objects.count()
    for body, field in (
        (_body(units["a"], unit=units["b"].pk), "unit"),
        (_body(units["a"], region="410303"), "region"),
        (_body(units["a"], unit=987654321), "unit"),  # missing: the same message
        (_body(units["a"], region="410100"), "region"),  # the city above: out of a county's scope
    ):
        response = client.post(LIST, body, format="json")
        assert response.status_code == 400, body
        assert list(response.json()) == [field]
        assert "不在您的管辖范围内" in response.json()[field][0]
    assert not Problem.objects.exists() and AuditEvent.objects.count() == events


def test_editing_through_the_api(people, units):
    problem = register(people["county"], units["a"])
    client = api(people["city"])
    response = client.patch(detail(problem), {"title": "标题已更正", "unit": units["a2"].pk}, format="json")
    assert response.status_code == 200 and response.json()["title"] == "标题已更正"
    assert response.json()["unit"] == units["a2"].pk and response.json()["version"] == 2
    response = client.patch(detail(problem), {"unit": units["b"].pk}, format="json")
    assert response.status_code == 400 and list(response.json()) == ["unit"]
    response = client.patch(detail(problem), {"status": "closed", "deadline": "2000-01-01"}, format="json")
    assert response.status_code == 200  # not editable here: ignored
    problem.refresh_from_db()
    assert (problem.status, problem.deadline, problem.unit) == ("registered", None, units["a2"])
    assert client.put(detail(problem), _body(units["a"]), format="json").status_code == 405


def test_an_edit_on_a_stale_copy_gets_a_conflict(people, units):
    problem = register(people["county"], units["a"])
    client = api(people["city"])
    response = client.patch(detail(problem), {"title": "第一次更正", "expected_version": 1}, format="json")
    assert response.status_code == 200 and response.json()["version"] == 2
    response = client.patch(detail(problem), {"title": "在旧页面上改", "expected_version": 1}, format="json")
    assert response.status_code == 409 and "已被他人修改" in response.json()["detail"]
    problem.refresh_from_db()
    assert (problem.title, problem.version) == ("第一次更正", 2)


def test_the_plan_and_its_milestones_through_the_api(people, units):
    problem = move(people["city"], register(people["county"], units["a"]), "assign")
    county = api(people["county"])
    empty = county.get(detail(problem, "plan/"))  # no plan yet: an empty one, not a 404
    assert empty.status_code == 200 and empty.json() == {
        "measures": "",
        "route_map": "",
        "milestones": [],
        "updated_at": None,
    }
    due = (TODAY() + dt.timedelta(days=5)).isoformat()
    steps = [{"title": "排查完毕", "due_on": due}, {"title": "建章立制", "due_on": due}]
    body = {"measures": "全面排查", "milestones": steps}
    response = county.put(detail(problem, "plan/"), body, format="json")
    assert response.status_code == 200, response.json()
    milestones = response.json()["milestones"]
    assert [(m["title"], m["done_on"]) for m in milestones] == [("排查完毕", None), ("建章立制", None)]
    done = county.post(detail(problem, "plan/milestones/done/"), {"milestone": milestones[0]["id"]}, format="json")
    assert done.status_code == 200 and done.json()["done_on"] == TODAY().isoformat()
    again = county.post(detail(problem, "plan/milestones/done/"), {"milestone": milestones[0]["id"]}, format="json")
    assert again.status_code == 409
    left = county.get(detail(problem, "plan/milestones/done/")).json()
    assert [m["title"] for m in left] == ["建章立制"]
    future = (TODAY() + dt.timedelta(days=1)).isoformat()
    later = county.post(
        detail(problem, "plan/milestones/done/"), {"milestone": milestones[1]["id"], "done_on": future}, format="json"
    )
    assert later.status_code == 400 and list(later.json()) == ["done_on"]
    assert county.put(detail(problem, "plan/"), {"milestones": "x"}, format="json").status_code == 400
    # Another county: like a missing problem.
    assert api(people["county_b"]).get(detail(problem, "plan/")).status_code == 404
    shown = county.get(detail(problem, "plan/")).json()["milestones"]
    assert [m["done_on"] for m in shown] == [TODAY().isoformat(), None]
    # A milestone not done may be explained instead.
    explained = county.post(
        detail(problem, "plan/milestones/done/"),
        {"milestone": milestones[1]["id"], "explanation": "并入下一阶段"},
        format="json",
    )
    assert explained.status_code == 200 and explained.json()["explanation"] == "并入下一阶段"
    assert explained.json()["done_on"] is None
    # A closed problem's plan no longer changes.
    problem = move(people["county"], problem, "start")
    rectify(people["county"], problem)
    problem = move(people["county"], problem, "submit")
    verify_record = api(people["city"]).post(
        detail(problem, "verifications/"),
        {
            "method": "onsite",
            "verified_on": TODAY().isoformat(),
            "verifiers": "王芳",
            "findings": "已整改",
            "files": [png("核查.png")],
        },
        format="multipart",
    )
    assert verify_record.status_code == 201, verify_record.json()
    problem = move(people["city"], problem, "verify_pass")
    closed = county.post(detail(problem, "plan/milestones/done/"), {"milestone": milestones[1]["id"]}, format="json")
    assert closed.status_code == 400 and "已销号" in closed.json()["milestone"][0]


# --- the workflow ---------------------------------------------------------------------------------


def test_transitions_through_the_api(people, units):
    problem = register(people["county"], units["a"])
    county, city = api(people["county"]), api(people["city"])
    moves = city.get(detail(problem, "transition/")).json()
    assert moves["version"] == 1 and [m["name"] for m in moves["moves"]] == ["assign"]
    response = city.post(detail(problem, "transition/"), {"move": "assign", "expected_version": 1}, format="json")
    assert response.status_code == 200 and response.json()["status"] == "assigned"
    assert response.json()["version"] == 2 and response.json()["deadline"]
    version = county.get(detail(problem)).json()["version"]
    body = {"move": "start", "expected_version": version}
    assert county.post(detail(problem, "transition/"), body, format="json").status_code == 200
    # Submitting without a plan, milestones or evidence: 409 with the list, machine-readable.
    version = county.get(detail(problem)).json()["version"]
    offered = county.get(detail(problem, "transition/")).json()["moves"]
    submit = next(m for m in offered if m["name"] == "submit")
    assert submit["ready"] is False
    expected = ["plan_measures", "plan_route_map", "plan_milestones", "progress_evidence"]
    assert [item["code"] for item in submit["unmet"]] == expected
    refused = county.post(
        detail(problem, "transition/"), {"move": "submit", "expected_version": version}, format="json"
    )
    assert refused.status_code == 409
    answer = refused.json()
    assert answer["code"] == "requirements_unmet" and [item["code"] for item in answer["unmet"]] == expected
    assert all(item["message"] and item["link"] for item in answer["unmet"])
    assert county.get(detail(problem)).json()["status"] == "rectifying"
    # With the plan and evidence it passes.
    rectify(people["county"], Problem.objects.get(pk=problem.pk))
    assert county.get(detail(problem, "transition/")).json()["moves"][0]["ready"] is True
    body = {"move": "submit", "expected_version": version}
    assert county.post(detail(problem, "transition/"), body, format="json").status_code == 200
    version = county.get(detail(problem)).json()["version"]
    # The county cannot verify its own work: answered like a missing resource.
    body = {"move": "verify_pass", "expected_version": version}
    assert county.post(detail(problem, "transition/"), body, format="json").status_code == 404
    response = city.post(
        detail(problem, "transition/"), {"move": "verify_fail", "expected_version": version}, format="json"
    )
    assert response.status_code == 400 and set(response.json()) == {"reason", "new_deadline"}
    response = city.post(detail(problem, "transition/"), {"move": "fly", "expected_version": version}, format="json")
    assert response.status_code == 400 and list(response.json()) == ["move"]
    # 销号 without a verification record: refused with the list.
    response = city.post(
        detail(problem, "transition/"), {"move": "verify_pass", "expected_version": version}, format="json"
    )
    assert response.status_code == 409
    assert [item["code"] for item in response.json()["unmet"]] == ["verification_record", "verification_evidence"]
    record = {"method": "desk", "verified_on": TODAY().isoformat(), "verifiers": "王芳", "findings": "材料齐全"}
    assert county.post(detail(problem, "verifications/"), record, format="multipart").status_code == 404
    bad = city.post(detail(problem, "verifications/"), {**record, "method": "phone"}, format="multipart")
    assert bad.status_code == 400 and list(bad.json()) == ["method"]
    created = city.post(detail(problem, "verifications/"), {**record, "files": [png()]}, format="multipart")
    assert created.status_code == 201 and created.json()["result"] == "pending"
    assert len(created.json()["files"]) == 1
    response = city.post(
        detail(problem, "transition/"), {"move": "verify_pass", "expected_version": version}, format="json"
    )
    assert response.status_code == 200 and response.json()["status"] == "closed"
    shown = city.get(detail(problem, "verifications/")).json()
    assert [(v["method"], v["result"]) for v in shown] == [("desk", "passed")]


def test_a_stale_version_answers_409(people, units):
    problem = register(people["county"], units["a"])
    seen = api(people["city"]).get(detail(problem)).json()["version"]
    services.problem_transition(actor=people["province"], problem_id=problem.pk, move="assign")  # someone else
    response = api(people["city"]).post(
        detail(problem, "transition/"), {"move": "assign", "expected_version": seen}, format="json"
    )
    assert response.status_code == 409
    assert "该问题已被他人处理" in response.json()["detail"]
    assert AuditEvent.objects.filter(action="problem.assign", object_id=str(problem.pk)).count() == 1


def test_progress_with_evidence_files_through_the_api(people, units):
    problem = register(people["county"], units["a"])
    move(people["city"], problem, "assign")
    client = api(people["county"])
    response = client.post(
        detail(problem, "progress/"),
        {
            "note": "已整改",
            "files": [
                SimpleUploadedFile("现场.png", PNG, content_type="image/png"),
                SimpleUploadedFile("报告.pdf", b"%PDF-1.4\n%%EOF\n", content_type="application/pdf"),
            ],
        },
        format="multipart",
    )
    assert response.status_code == 201, response.content
    files = response.json()["files"]
    assert sorted(f["original_name"] for f in files) == ["报告.pdf", "现场.png"]
    assert all(f["download_url"].startswith("/cases/evidence/") for f in files)
    response = client.post(
        detail(problem, "progress/"),
        {
            "note": "再报",
            "files": [SimpleUploadedFile("x.png", b"<script>alert(1)</script>", content_type="image/png")],
        },
        format="multipart",
    )
    assert response.status_code == 400 and "类型不受支持" in str(response.json())
    assert problem.progress.count() == 1 and Evidence.objects.filter(problem=problem).count() == 2
    listing = client.get(detail(problem, "progress/")).json()
    assert [entry["note"] for entry in listing] == ["已整改"] and len(listing[0]["files"]) == 2
    # A note alone may come as JSON.
    assert client.post(detail(problem, "progress/"), {"note": "继续整改"}, format="json").status_code == 201


def test_extensions_through_the_api(people, units):
    problem = register(people["county"], units["a"])
    problem = move(people["city"], problem, "assign")
    county, city = api(people["county"]), api(people["city"])
    wanted = problem.deadline + dt.timedelta(days=5)
    response = county.post(
        detail(problem, "extensions/"), {"requested_deadline": wanted.isoformat(), "reason": "需协调"}, format="json"
    )
    assert response.status_code == 201 and response.json()["decision"] == "pending"
    again = county.post(
        detail(problem, "extensions/"), {"requested_deadline": wanted.isoformat(), "reason": "再申请"}, format="json"
    )
    assert again.status_code == 409
    pending = city.get(detail(problem, "extensions/decide/")).json()
    assert pending["may_decide"] is True and pending["pending"]["reason"] == "需协调"
    assert county.get(detail(problem, "extensions/decide/")).json()["may_decide"] is False
    assert county.post(detail(problem, "extensions/decide/"), {"approve": True}, format="json").status_code == 404
    response = city.post(detail(problem, "extensions/decide/"), {"approve": False}, format="json")
    assert response.status_code == 400 and list(response.json()) == ["note"]
    response = city.post(detail(problem, "extensions/decide/"), {"approve": True, "note": "同意"}, format="json")
    assert response.status_code == 200 and response.json()["decision"] == "approved"
    assert city.get(detail(problem)).json()["deadline"] == wanted.isoformat()
    assert city.post(detail(problem, "extensions/decide/"), {"approve": True}, format="json").status_code == 409
    assert [x["decision"] for x in city.get(detail(problem, "extensions/")).json()] == ["approved"]


# --- the schema -----------------------------------------------------------------------------------


def test_the_workflow_endpoints_are_documented(people):
    response = api(people["city"]).get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    schema = response.json()
    paths = schema["paths"]
    for path in (
        "/api/v1/problems/",
        "/api/v1/problems/{id}/",
        "/api/v1/problems/{id}/transition/",
        "/api/v1/problems/{id}/progress/",
        "/api/v1/problems/{id}/extensions/",
        "/api/v1/problems/{id}/extensions/decide/",
    ):
        assert path in paths, path
    transition = paths["/api/v1/problems/{id}/transition/"]["post"]
    assert transition["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith("/TransitionInput")
    assert {"200", "400", "404", "409"} <= set(transition["responses"])
    assert "multipart/form-data" in paths["/api/v1/problems/{id}/progress/"]["post"]["requestBody"]["content"]
    parameters = {p["name"] for p in paths["/api/v1/problems/"]["get"]["parameters"]}
    assert {"region", "status", "category", "overdue", "deadline_from", "deadline_to", "is_key", "q", "o"} <= parameters
    # one variant per group of moves, each naming what it requires (verify_fail needs a reason
    # and a new deadline; start needs neither)
    variants = schema["components"]["schemas"]["TransitionInput"]["oneOf"]
    for variant in variants:
        assert set(variant["properties"]) == {"move", "expected_version", "reason", "new_deadline"}
    required = {move: set(v["required"]) for v in variants for move in v["properties"]["move"]["enum"]}
    assert required["verify_fail"] == {"move", "expected_version", "reason", "new_deadline"}
    assert required["start"] == {"move", "expected_version"}
    assert set(required) == set(MOVES)


# --- the one rule for stored text -----------------------------------------------------------------


def test_control_characters_are_refused_at_the_api_and_line_breaks_stored_as_lf(people, units):
    problem = register(people["county"], units["a"])
    move(people["city"], problem, "assign")
    client = api(people["county"], token=True)
    refused = client.post(detail(problem, "progress/"), {"note": "整改进展\x01\x0b\x1f\ufffe结束"}, format="json")
    assert refused.status_code == 400 and list(refused.json()) == ["note"]
    assert "U+0001" in refused.json()["note"][0]
    assert not problem.progress.exists()
    accepted = client.post(detail(problem, "progress/"), {"note": "第一行\r\n第二行\r第三行"}, format="json")
    assert accepted.status_code == 201
    assert problem.progress.get().note == "第一行\n第二行\n第三行"


def test_text_stored_before_the_rule_still_reaches_the_archive_and_is_cleaned_by_the_migration(people, units):
    from django.apps import apps as global_apps
    from django.urls import reverse

    from cases.models import ProgressEntry
    from portal.core.text import clean_stored_text

    problem = register(people["county"], units["a"])
    move(people["city"], problem, "assign")
    services.progress_log(actor=people["county"], problem=problem, note="原文")
    ProgressEntry.objects.filter(problem=problem).update(note="旧数据\x01\x0b\ufffe\r\n结束")  # as stored before
    client = api(people["city"])
    archive = client.get(reverse("cases:archive", kwargs={"pk": problem.pk}))
    assert archive.status_code == 200 and archive.content[:2] == b"PK"

    changed = clean_stored_text(global_apps, "cases")
    assert changed.get("cases_progressentry.note") == 1
    assert ProgressEntry.objects.get(problem=problem).note == "旧数据\n结束"
    assert clean_stored_text(global_apps, "cases") == {}  # a second run finds nothing
