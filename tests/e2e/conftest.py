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

# PORTAL_CHROMIUM: another build of Chromium (or a missing path, to try the skip message).
CHROMIUM = Path(os.environ.get("PORTAL_CHROMIUM") or "/usr/bin/chromium")
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
