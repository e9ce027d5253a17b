"""Root pytest configuration, for the tests of every app (tests/ and <app>/tests/).

Reference data (Henan's regions, the calendar, the problem categories) is loaded by data
migrations. A transactional test (``transaction=True``, ``live_server``) ends with a flush of
the test database, so each one asks for Django's serialized rollback: the migrated data is put
back at its start. pytest-django runs transactional tests after the others, so the ordinary
tests always see the data too. Transactional tests that run with other threads or processes
(a browser, a live server, Celery workers, concurrent writers) also ask for
``_restore_migrated_data``, which puts the rows back after them.
"""

from __future__ import annotations

import pytest


def pytest_collection_modifyitems(items):
    for item in items:
        fixtures = getattr(item, "fixturenames", None)
        if fixtures is None:
            continue
        marker = item.get_closest_marker("django_db")
        if marker is not None:
            live = "live_server" in fixtures or "transactional_db" in fixtures
            if live or marker.kwargs.get("transaction") or (marker.args and marker.args[0]):
                # (a module's plain ``django_db`` mark on a live_server test is transactional all
                # the same: the server's thread commits, and the flush after it must be undone)
                # the closest marker wins: this copy adds serialized_rollback to the test's own
                kwargs = {**dict(zip(("transaction", "reset_sequences"), marker.args, strict=False)), **marker.kwargs}
                kwargs = {**kwargs, "transaction": True, "serialized_rollback": True}
                item.add_marker(pytest.mark.django_db(**kwargs), append=False)
        elif ("live_server" in fixtures or "transactional_db" in fixtures) and (
            "django_db_serialized_rollback" not in fixtures
        ):
            fixtures.append("django_db_serialized_rollback")


@pytest.fixture(scope="session", autouse=True)
def _fresh_cache(django_db_setup):
    """The test database is made anew each session; its cache (a Redis database per worker)
    must be too, or what the cache remembers of the last run's rows (throttles keyed by a
    primary key, cached reference data) meets new rows with the same ids."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(scope="session")
def _restore_migrated_data(django_db_setup, django_db_blocker):
    """Put back the rows data migrations loaded (regions, categories, the holiday calendar, time
    limits) after a transactional test truncated every table, so the tests after it find the
    database as they expect.

    The serialized copy is read when the fixture is first set up: with Playwright's event loop
    running in a browser test's thread, asgiref gives that thread a different database connection
    object (connections are "thread critical"), which does not hold the copy.
    """
    from django.apps import apps
    from django.core.management import call_command
    from django.core.management.color import no_style
    from django.db import connections

    with django_db_blocker.unblock():
        contents = {
            alias: connections[alias]._test_serialized_contents
            for alias in connections
            if getattr(connections[alias], "_test_serialized_contents", None)
        }

    def restore() -> None:
        with django_db_blocker.unblock():
            for alias, data in contents.items():
                # Empty again first: the teardown flush re-created content types and
                # permissions (post_migrate) with new ids.
                call_command("flush", database=alias, interactive=False, inhibit_post_migrate=True, verbosity=0)
                connection = connections[alias]
                connection.creation.deserialize_db_from_string(data)
                # Rows came back with their ids: move the id sequences past them.
                models = apps.get_models(include_auto_created=True)
                with connection.cursor() as cursor:
                    for statement in connection.ops.sequence_reset_sql(no_style(), models):
                        cursor.execute(statement)
            connections.close_all()

    return restore


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item, nextitem):
    try:
        return (yield)
    finally:
        restore = getattr(item, "funcargs", {}).get("_restore_migrated_data")
        # After the session's last test the test database is already destroyed (session
        # fixtures tear down within that test's teardown): nothing is left to restore.
        if restore is not None and nextitem is not None:
            restore()


def _is_browser_test(report) -> bool:
    # keywords do not survive pytest-xdist's report serialization; the path does
    return "e2e" in getattr(report, "keywords", {}) or report.nodeid.startswith("tests/e2e/")


def skipped_browser_tests_line(stats: dict) -> str | None:
    skipped = [report for report in stats.get("skipped", []) if _is_browser_test(report)]
    if not skipped:
        return None
    reasons = []
    for report in skipped:
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        reason = reason.removeprefix("Skipped: ")
        if reason not in reasons:
            reasons.append(reason)
    return (
        f"portal: {len(skipped)} browser test{'s were' if len(skipped) != 1 else ' was'} skipped: "
        f"{'; '.join(reasons)}. As root on Debian, 'make test' installs them (.ci/system-packages)."
    )


def pytest_terminal_summary(terminalreporter, config):
    """A green run that skipped the browser tests says so on its last line, with the reason: a
    newcomer's ``make test`` without Chromium must not look like a full run. Counted here,
    written in pytest_unconfigure: after pytest's own "N passed, M skipped" line."""
    config.stash[_SKIPPED_LINE] = skipped_browser_tests_line(terminalreporter.stats)


def pytest_unconfigure(config):
    line = config.stash.get(_SKIPPED_LINE, None)
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    if line and reporter is not None:
        reporter.write_line(line, yellow=True, bold=True)


_SKIPPED_LINE = pytest.StashKey[str | None]()
