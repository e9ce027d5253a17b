"""Browser tests: Playwright (the PyPI package) driving Debian's Chromium at /usr/bin/chromium.

Never ``playwright install``: the browser is the distribution's package (``apt-get install
chromium``). Without it the tests skip on a developer machine and fail under ``CI=true``.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

# Playwright's sync API runs an asyncio loop in this thread; Django would then refuse the
# fixtures' (synchronous, ordinary) database access. Test process only.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
INSTALL_HINT = "Debian's Chromium is needed for the browser tests: apt-get install chromium"


def _unavailable(reason: str) -> None:
    message = f"{reason}. {INSTALL_HINT}"
    if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="module")
def browser():
    """One Chromium per test module, with Playwright's fresh temporary profile (user-data-dir)."""
    if not CHROMIUM.exists():
        _unavailable(f"{CHROMIUM} is missing")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:  # pragma: no cover - playwright is in requirements-dev.txt
        _unavailable("the playwright package is not installed (pip install -r requirements-dev.txt)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture(scope="session")
def screenshot_dir() -> Path:
    from django.conf import settings

    path = Path(settings.BASE_DIR) / "var" / "screenshots"
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture(scope="session")
def _restore_migrated_data(django_db_setup, django_db_blocker):
    """Put back the rows data migrations loaded (regions, domains, the holiday calendar).

    ``live_server`` makes a test transactional, and Django ends a transactional test by
    truncating every table. The browser tests are marked ``serialized_rollback`` so the test
    database is serialized when it is created, but Django's own reload cannot find that copy
    here: with Playwright's event loop running in this thread, asgiref gives the thread a
    different database connection object (connections are "thread critical", kept per
    context when a loop runs). So the copy is read now, before any browser starts, and put
    back after each browser test: the database is left as the next test, or a ``--reuse-db``
    run, expects it.
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
        # fixtures tear down within this test's teardown): nothing is left to restore.
        if restore is not None and nextitem is not None:
            restore()
