"""The read replica (``portal/core/replica.py``): dashboards, statistics and exports read from
it, their audit events and every other page stay on the primary, and nothing is ever written
to it. The test settings name the test database a second time as ``replica`` (a test mirror:
a separate connection that, like a real replica, sees committed rows only), so these tests
commit what they write (``transaction=True``)."""

from __future__ import annotations

import threading
from unittest import mock

import pytest
from django.db import OperationalError, connections
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cases.models import Problem
from portal.accounts.models import User
from portal.audit.models import AuditEvent
from portal.core.replica import ReplicaRouter, replica_reads
from portal.dashboards.tests.conftest import client_for, days, problem

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "replica"])


class Statements:
    """The SQL each connection ran while the block was open."""

    def __enter__(self):
        self._captures = {alias: CaptureQueriesContext(connections[alias]) for alias in ("default", "replica")}
        for capture in self._captures.values():
            capture.__enter__()
        return self

    def __exit__(self, *exc):
        for capture in self._captures.values():
            capture.__exit__(*exc)

    def on(self, alias: str) -> list[str]:
        return [query["sql"] for query in self._captures[alias].captured_queries]


def read_only(sql: str) -> bool:
    sql = sql.lstrip().upper()
    return sql.startswith(("SELECT", "WITH")) or (sql.startswith("DECLARE") and " FOR SELECT " in sql)


def touches(statements: list[str], table: str) -> bool:
    return any(f'"{table}"' in sql for sql in statements)


@pytest.fixture
def with_replica(settings):
    settings.READ_REPLICA = "replica"


def test_the_overdue_list_and_its_export_read_the_replica_and_audit_on_the_primary(with_replica, people, units):
    problem(units["a"], deadline=days(-3))
    client = client_for(people["province"])

    with Statements() as page:
        response = client.get(reverse("overdue:own"))
    assert response.status_code == 200 and response.context["page"].paginator.count == 1  # read on the replica
    assert touches(page.on("replica"), "cases_problem") and not touches(page.on("default"), "cases_problem")
    assert touches(page.on("default"), "django_session")  # who is asking: always the primary
    assert not touches(page.on("replica"), "accounts_user")

    with Statements() as export:
        response = client.get(reverse("overdue:own-export"))
    assert response.status_code == 200
    assert touches(export.on("replica"), "cases_problem")
    assert any(sql.startswith('INSERT INTO "audit_auditevent"') for sql in export.on("default"))
    # Reads only (a DECLARE is the server-side cursor an export streams its rows through).
    assert all(read_only(sql) for sql in page.on("replica") + export.on("replica"))
    assert AuditEvent.objects.filter(action="dashboard.overdue_export", actor=people["province"]).exists()


def test_dashboards_statistics_and_ledger_exports_read_the_replica(with_replica, people, units):
    problem(units["a"], deadline=days(-3))
    client = client_for(people["province"])
    for name in ("home", "complaints:statistics", "cases:ledger-export", "complaints:export"):
        with Statements() as run:
            assert client.get(reverse(name)).status_code == 200, name
        assert run.on("replica"), f"{name} read nothing from the replica"


def test_pages_that_act_on_what_they_read_stay_on_the_primary(with_replica, people, units):
    made = problem(units["a"], deadline=days(-3))
    client = client_for(people["province"])
    with Statements() as run:
        assert client.get(reverse("cases:detail", kwargs={"pk": made.pk})).status_code == 200
        assert client.get(reverse("cases:index")).status_code == 200
    assert run.on("replica") == []


def test_without_a_replica_every_query_goes_to_the_primary(people, units):
    problem(units["a"], deadline=days(-3))
    with Statements() as run:
        assert client_for(people["province"]).get(reverse("overdue:own")).status_code == 200
    assert run.on("replica") == [] and touches(run.on("default"), "cases_problem")


def test_the_router_writes_and_migrates_only_the_primary(with_replica, units):
    router = ReplicaRouter()
    made = problem(units["a"])
    with replica_reads():
        assert router.db_for_read(Problem) == "replica"
        assert router.db_for_read(User) == router.db_for_read(AuditEvent) == "default"
        assert router.db_for_write(Problem) == "default"
        read = Problem.objects.get(pk=made.pk)
    assert read._state.db == "replica"
    assert router.db_for_read(Problem) == "default"  # only inside replica_reads()
    read.title = "改了标题"
    with Statements() as run:
        read.save(update_fields=["title"])
    assert any(sql.startswith('UPDATE "cases_problem"') for sql in run.on("default")) and run.on("replica") == []
    assert router.allow_migrate("replica", "cases") is False and router.allow_migrate("default", "cases") is True


def test_a_replica_that_cannot_be_reached_or_lags_behind_is_not_used(with_replica, people, units, settings, caplog):
    problem(units["a"], deadline=days(-3))
    client = client_for(people["province"])
    with (
        Statements() as run,
        mock.patch.object(
            connections["replica"], "ensure_connection", side_effect=OperationalError("could not connect")
        ),
    ):
        response = client.get(reverse("overdue:own"))
    assert response.status_code == 200 and response.context["page"].paginator.count == 1  # read on the primary
    assert run.on("replica") == [] and touches(run.on("default"), "cases_problem")
    assert "unusable, reading the primary" in caplog.text

    settings.REPLICA_MAX_LAG_SECONDS = -1  # any lag is too much: the check answers, the page reads the primary
    with Statements() as run:
        assert client.get(reverse("overdue:own")).status_code == 200
    assert not touches(run.on("replica"), "cases_problem") and touches(run.on("default"), "cases_problem")
    assert "behind, reading the primary" in caplog.text


def test_blocks_in_concurrent_threads_keep_their_own_state():
    """gunicorn's threads run the same decorated view at once: each call is its own block."""
    both_inside = threading.Barrier(2, timeout=10)
    errors = []

    @replica_reads()
    def view():
        both_inside.wait()

    def call():
        try:
            view()
        except Exception as exc:  # what a shared context manager raised on the second exit
            errors.append(exc)

    threads = [threading.Thread(target=call) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
