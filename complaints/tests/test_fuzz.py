"""Bad input: schemathesis fuzzes every complaint operation of the OpenAPI schema through WSGI,
positive and negative examples (at least 100 per operation where the inputs allow that many
distinct ones), as a 12328 client and as a city officer, on real complaints half of the time.
The only check: never a server error (5xx)."""

from __future__ import annotations

import zlib
from collections import Counter

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.config import SchemathesisConfig

MAX_EXAMPLES = 100


def _raw_schema() -> dict:
    from drf_spectacular.generators import SchemaGenerator

    return SchemaGenerator().get_schema(request=None, public=True)


def _schema():
    from portal.wsgi import application

    config = SchemathesisConfig()
    config.projects.default.generation.update(max_examples=MAX_EXAMPLES, deterministic=True, database="none")
    schema = schemathesis.openapi.from_dict(_raw_schema(), config=config)
    schema.app = application
    return schema.include(path_regex=r"^/api/v1/complaints/")


schema = _schema()
CALLS: Counter = Counter()  # examples per operation, in this process (a report, printed at the end)


@pytest.fixture
def wsgi_in_the_test_transaction():
    """Requests go straight to the WSGI app; like Django's test client, keep the test's database
    connection (and its transaction) open across them instead of closing it after each one."""
    from django.core import signals
    from django.db import close_old_connections

    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def fuzz_world(db, wsgi_in_the_test_transaction, units, hotline, people):
    """Two API users with tokens and two real complaints the fuzzer's ids point at half the time."""
    from rest_framework.authtoken.models import Token

    from complaints import services

    complaints = [
        services.complaint_submit(
            actor=hotline.user,
            intake_client=hotline,
            channel="12328",
            area="road_transport",
            subject=f"模糊测试投诉 {i}",
            description="用于模糊测试的投诉。",
            region="410105",
            phone="13800001234",
            external_id=f"FUZZ-{i}",
        )[0]
        for i in range(2)
    ]
    return {
        "client": Token.objects.create(user=hotline.user).key,
        "officer": Token.objects.create(user=people["city"]).key,
        "ids": [c.pk for c in complaints],
    }


@pytest.fixture
def examples_of_this_operation():
    """One operation's examples (the fixture lives for the operation's whole hypothesis run):
    each operation itself fails when it got fewer than its count, wherever xdist ran it."""
    seen: list[str] = []
    yield seen
    label = seen[0] if seen else "an operation"
    wanted = MAX_EXAMPLES
    assert len(seen) >= wanted, f"{label} was fuzzed with {len(seen)} examples, not {wanted}"


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
        HealthCheck.data_too_large,
    ],
)
def test_no_complaint_operation_answers_a_server_error(case, fuzz_world, examples_of_this_operation):
    label = f"{case.operation.method.upper()} {case.operation.path}"
    CALLS[label] += 1
    examples_of_this_operation.append(label)
    fingerprint = zlib.crc32(repr((case.body, case.query)).encode())
    if case.path_parameters and "id" in case.path_parameters and fingerprint % 2:
        case.path_parameters["id"] = fuzz_world["ids"][fingerprint % len(fuzz_world["ids"])]
    who = "client" if case.operation.path.endswith("/intake/") or fingerprint % 3 == 0 else "officer"
    response = case.call(headers={"Authorization": f"Token {fuzz_world[who]}"})
    assert response.status_code < 500, f"{label} answered {response.status_code}: {response.text[:500]}"


def test_every_complaint_operation_is_fuzzed():
    """The schema has every complaint operation (each is one fuzzing item above, checking its
    own example count); in a single process the counts are printed for the record."""
    operations = [f"{result.ok().method.upper()} {result.ok().path}" for result in schema.get_all_operations()]
    assert len(operations) >= 20
    if CALLS:
        print("\nschemathesis examples per operation (this process):", dict(sorted(CALLS.items())))
