"""The OpenAPI schema states what the API enforces, so that a client generated from it sends
requests the API accepts.

schemathesis draws positive cases (requests the schema says are valid) for the eight write
operations integrators use most, against a world where every id in the path points at a real
object in the caller's scope, and ids inside the body that name reference data (regions, units,
categories, domains, a plan's milestones, a pending extension) are picked from that world, as a
client picks them from the list endpoints. "Accepted" means the API did not refuse the input as
invalid (no 400): a 409 for a state or version conflict is the workflow speaking, not the schema
failing (the schema cannot know the object's current state). At least 90 % of each operation's
cases must be accepted.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import zlib
from collections import Counter

import pytest
import schemathesis
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis.config import SchemathesisConfig
from schemathesis.generation import GenerationMode

from cases.tests.matrix import PNG

pytestmark = pytest.mark.django_db(transaction=False)

EXAMPLES = 60
ACCEPTED_SHARE = 0.9

EIGHT = [
    ("POST", "/api/v1/complaints/intake/"),
    ("POST", "/api/v1/complaints/{id}/transitions/"),
    ("POST", "/api/v1/problems/"),
    ("POST", "/api/v1/problems/{id}/extensions/"),
    ("POST", "/api/v1/problems/{id}/extensions/decide/"),
    ("POST", "/api/v1/problems/{id}/plan/milestones/done/"),
    ("POST", "/api/v1/problems/{id}/progress/"),
    ("POST", "/api/v1/problems/{id}/transition/"),
    ("POST", "/api/v1/enforcement-cases/upload/"),
]


def _resident_id(digits: str) -> str:
    """Seventeen digits and their GB 11643 check character, by the API's own table."""
    from complaints.api.serializers import ID_CHECK, ID_WEIGHTS

    return digits + ID_CHECK[sum(int(d) * w for d, w in zip(digits, ID_WEIGHTS, strict=True)) % 11]


def _register_formats() -> None:
    """The schema's named formats (portal.core.api_schema.FORMATS), as a client knows them."""
    today = timezone.localdate()
    now = timezone.now()
    schemathesis.openapi.format(
        "cn-resident-id",
        st.from_regex(r"\A41[0-9]{4}(19[5-9][0-9]|200[0-9])(0[1-9]|1[0-2])(0[1-9]|1[0-9]|2[0-8])[0-9]{3}\Z").map(
            _resident_id
        ),
    )
    schemathesis.openapi.format("date-not-future", st.dates(dt.date(2000, 1, 1), today).map(dt.date.isoformat))
    schemathesis.openapi.format(
        "date-future", st.dates(today + dt.timedelta(days=1), today + dt.timedelta(days=730)).map(dt.date.isoformat)
    )
    schemathesis.openapi.format(
        "http-url",
        st.from_regex(
            r"\Ahttps?://[a-z][a-z0-9]{0,20}(\.[a-z][a-z0-9]{0,20}){0,3}\.(cn|com|net|org)(/[a-z0-9_-]{0,30}){0,4}\Z"
        ),
    )
    schemathesis.openapi.format(
        "date-time-recent",
        st.integers(0, 364 * 86400).map(lambda seconds: (now - dt.timedelta(seconds=seconds)).isoformat()),
    )


def _schema():
    from drf_spectacular.generators import SchemaGenerator

    from portal.wsgi import application

    _register_formats()
    config = SchemathesisConfig()
    config.projects.default.generation.update(max_examples=EXAMPLES, deterministic=True, database="none")
    schema = schemathesis.openapi.from_dict(SchemaGenerator().get_schema(request=None, public=True), config=config)
    schema.app = application
    return schema


@contextlib.contextmanager
def connection_kept():
    """WSGI calls (schemathesis) inside the test's transaction: Django's request signals would
    close the test's connection (and its test client reconnects them after every request)."""
    from django.core import signals
    from django.db import close_old_connections

    for signal in (signals.request_started, signals.request_finished):
        signal.disconnect(close_old_connections)
    try:
        yield
    finally:
        for signal in (signals.request_started, signals.request_finished):
            signal.connect(close_old_connections)


@pytest.fixture
def wsgi_in_the_test_transaction():
    with connection_kept():
        yield


@pytest.fixture
def world(db, wsgi_in_the_test_transaction, settings, tmp_path):
    from django.core.cache import cache
    from rest_framework.authtoken.models import Token

    from cases import services as cases_services
    from cases.enforcement.models import ViolationItem
    from cases.models import Category, Problem
    from cases.tests.rectify import png
    from complaints import services as complaint_services
    from complaints.models import Channel, IntakeClient
    from complaints.routing import refdata_changed
    from portal.accounts.models import Role, User
    from portal.regions.models import EnforcementDomain, Unit
    from portal.workdays.calendar import bump_version

    settings.MEDIA_ROOT = tmp_path / "media"
    cache.clear()  # throttles and reference data of earlier tests
    bump_version()
    agency = Unit.objects.create(
        name="金水区交通运输综合行政执法大队", kind=Unit.Kind.ENFORCEMENT_AGENCY, region_id="410105"
    )
    other = Unit.objects.create(
        name="中牟县交通运输综合行政执法大队", kind=Unit.Kind.ENFORCEMENT_AGENCY, region_id="410122"
    )
    refdata_changed()
    people = {
        "county": User.objects.create_user("county", region_id="410105", roles=[Role.COUNTY_OFFICER]),
        "city": User.objects.create_user("city", region_id="410100", roles=[Role.CITY_STAFF]),
        "province": User.objects.create_user("province", region_id="410000", roles=[Role.PROVINCE_STAFF]),
        "hotline": User.objects.create_user("api_12328", region_id="410000"),
    }
    hotline = IntakeClient.objects.create(user=people["hotline"], name="12328", channel=Channel.HOTLINE_12328)
    people["case_system"] = _case_system(agency)
    tokens = {who: Token.objects.create(user=user).key for who, user in people.items()}

    def problem(title, *states):
        made = cases_services.problem_register(
            actor=people["county"],
            title=title,
            category=Category.objects.get(code="lyj-directfine"),
            source=Problem.Source.COMPLAINT,
            region=agency.region,
            unit=agency,
            domain=EnforcementDomain.objects.get(code="highway"),
        )
        for name in states:
            actor = people["city"] if name == "assign" else people["county"]
            extra = {"new_deadline": timezone.localdate() + dt.timedelta(days=30)} if name == "assign" else {}
            made = cases_services.problem_transition(actor=actor, problem_id=made.pk, move=name, **extra)
        return made

    rectifying = problem("整改中的问题", "assign", "start")
    # the deadline is today, so that any date after today is a later deadline
    Problem.objects.filter(pk=rectifying.pk).update(deadline=timezone.localdate())
    rectifying.refresh_from_db()
    cases_services.plan_set(
        actor=people["county"],
        problem=rectifying,
        measures="撤销违规执法点位。",
        route_map="第一周排查。",
        milestones=[("完成排查", timezone.localdate() + dt.timedelta(days=3))],
    )
    cases_services.progress_log(actor=people["county"], problem=rectifying, note="已整改到位。", files=[png()])
    pending = problem("待审批延期的问题", "assign", "start")
    extension = cases_services.extension_request(
        actor=people["county"],
        problem=pending,
        requested_deadline=timezone.localdate() + dt.timedelta(days=60),
        reason="需协调其他部门。",
    )
    complaint, _ = complaint_services.complaint_submit(
        actor=people["hotline"],
        intake_client=hotline,
        channel="12328",
        area="road_transport",
        subject="出租车拒载",
        description="出租车拒载并辱骂乘客。",
        region="410105",
        phone="13800001234",
        external_id="CONTRACT-1",
    )
    return {
        "tokens": tokens,
        "units": [agency.pk, other.pk],
        "regions": ["410105", "410122", "410100"],
        "categories": list(Category.objects.filter(active=True).values_list("pk", flat=True)[:5]),
        "complaint_categories": list(Category.objects.filter(active=True).values_list("code", flat=True)[:5]),
        "domains": list(EnforcementDomain.objects.filter(active=True).values_list("pk", flat=True)[:5]),
        "rectifying": rectifying,
        "pending": pending,
        "extension": extension.pk,
        "milestone": rectifying.plan.milestones.get().pk,
        "complaint": complaint,
        "violation_items": list(ViolationItem.objects.values_list("code", flat=True)),
    }


def _case_system(unit):
    """金水区's case system (an upload client of the agency) and the violation items it names."""
    from cases.enforcement.models import CaseUploadClient, ViolationItem
    from portal.accounts.models import User

    user = User.objects.create_user("case_system", region_id=unit.region_id)
    CaseUploadClient.objects.create(user=user, unit=unit, name="执法办案系统")
    for code in ("CZ001", "YS002"):
        ViolationItem.objects.get_or_create(code=code, defaults={"name": code})
    return user


def _pick(values, case):
    return values[zlib.crc32(repr(case.body).encode()) % len(values)]


def _prepare(case, world) -> str:
    """Point the case at the world: the path id, reference ids in the body, the caller."""
    path, body = case.operation.path, case.body if isinstance(case.body, dict) else None
    if path.startswith("/api/v1/enforcement-cases/"):
        for row in (body or {}).get("cases") or []:
            if isinstance(row, dict):  # reference data, as a client takes it from the item list
                if "violation_item" in row:
                    row["violation_item"] = _pick(world["violation_items"], case)
                if row.get("unit") is not None:
                    row["unit"] = world["units"][0]
                if row.get("region"):
                    row["region"] = "410105"
        return "case_system"
    if path.startswith("/api/v1/complaints/"):
        if "{id}" in path:
            case.path_parameters["id"] = world["complaint"].pk
            if body is not None and body.get("unit") is not None:
                body["unit"] = _pick(world["units"], case)
            return "city"
        if body is not None:
            if body.get("unit") is not None:
                body["unit"] = _pick(world["units"], case)
            if "region" in body:
                body["region"] = _pick(world["regions"][:2], case)  # the two with a handling unit
            if body.get("category"):
                body["category"] = _pick(world["complaint_categories"], case)
        return "hotline"
    if path == "/api/v1/problems/":
        if body is not None:
            for name, values in (
                ("region", world["regions"]),
                ("unit", world["units"]),
                ("category", world["categories"]),
                ("domain", world["domains"]),
            ):
                if name in body:
                    body[name] = _pick(values, case)
        return "province"
    if path.endswith("/extensions/decide/"):
        case.path_parameters["id"] = world["pending"].pk
        if body is not None and body.get("extension") is not None:
            body["extension"] = world["extension"]
        return "city"
    case.path_parameters["id"] = world["rectifying"].pk
    if path.endswith("/progress/") and body is not None and isinstance(body.get("files"), list) and body["files"]:
        body["files"] = [PNG for _ in body["files"]]  # the photo itself: no schema states pixels
    if path.endswith("/milestones/done/") and body is not None and "milestone" in body:
        body["milestone"] = world["milestone"]
    if path.endswith("/transition/") and body is not None and "expected_version" in body:
        body["expected_version"] = world["rectifying"].version
    return "county"


@pytest.mark.parametrize(("method", "path"), EIGHT, ids=[f"{m} {p}" for m, p in EIGHT])
def test_positive_cases_of_the_schema_are_accepted(method, path, world):
    operation = _schema()[path][method].ok() if hasattr(_schema()[path][method], "ok") else _schema()[path][method]
    statuses: Counter = Counter()
    refused: list[str] = []

    @given(case=operation.as_strategy(GenerationMode.POSITIVE))
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def run(case):
        who = _prepare(case, world)
        with transaction.atomic():
            response = case.call(headers={"Authorization": f"Token {world['tokens'][who]}"})
            transaction.set_rollback(True)
        statuses[response.status_code] += 1
        assert response.status_code < 500, response.text[:500]
        if response.status_code == 400 and len(refused) < 8:
            shown = (
                {k: v for k, v in case.body.items() if k in response.json()}
                if isinstance(case.body, dict)
                else case.body
            )
            refused.append(f"{shown!r:.300} -> {response.text[:300]}")

    run()
    total = sum(statuses.values())
    accepted = total - statuses[400]
    print(f"\n{method} {path}: {accepted}/{total} accepted {dict(statuses)}")
    assert total >= EXAMPLES * 0.5, f"only {total} cases generated"
    assert accepted >= ACCEPTED_SHARE * total, (
        f"{method} {path}: {accepted} of {total} positive cases accepted ({dict(statuses)}); refused e.g.:\n"
        + "\n".join(refused)
    )


# --- every operation, fuzzed with a token -------------------------------------------------------

EVERY_OPERATION_EXAMPLES = 12


def _operations():
    from schemathesis.checks import not_a_server_error  # noqa: F401  (imported here: schemathesis' registry)

    return [result.ok() for result in _schema().get_all_operations()]


def _caller(operation) -> str:
    path = operation.path
    if path.startswith("/api/v1/enforcement-cases/"):
        return "case_system"
    if path.startswith("/api/v1/complaints/intake/"):
        return "hotline"
    if path.startswith("/api/v1/complaints/") or path.endswith("/extensions/decide/") or "verifications" in path:
        return "city"
    return "province" if path == "/api/v1/problems/" else "county"


@pytest.mark.parametrize("operation", _operations(), ids=lambda op: f"{op.method.upper()} {op.path}")
def test_every_operation_answers_without_server_error_and_as_its_schema_says(operation, world):
    """schemathesis over every operation of /api/schema/, positive and negative cases, with the
    token of the account the operation is for: never a 5xx, and every documented response
    matches its schema (status, content type and body)."""
    from schemathesis.checks import not_a_server_error
    from schemathesis.specs.openapi.checks import content_type_conformance, response_schema_conformance

    checks = [not_a_server_error, response_schema_conformance, content_type_conformance]
    token = world["tokens"][_caller(operation)]
    seen = []

    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

        @given(case=operation.as_strategy(mode))
        @settings(
            max_examples=EVERY_OPERATION_EXAMPLES,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def run(case):
            if "id" in (case.path_parameters or {}) and zlib.crc32(repr(case.body).encode()) % 4:
                _prepare(case, world)  # mostly real objects, sometimes the generated id
            with transaction.atomic():
                response = case.call(headers={"Authorization": f"Token {token}"})
                case.validate_response(response, checks=checks)
                transaction.set_rollback(True)
            seen.append(response.status_code)

        try:
            run()
        except Unsatisfiable:
            # no parameter or body can be made invalid (e.g. GET /api/v1/domains/)
            assert mode is GenerationMode.NEGATIVE, f"{operation.path}: no positive case could be generated"
    assert seen, f"{operation.method.upper()} {operation.path} was never called"
