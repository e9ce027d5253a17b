"""Without Debian's Chromium the browser tests skip on a laptop and fail in CI, saying why."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import INSTALL_HINT, _unavailable


@pytest.mark.parametrize("ci", ["true", "1"])
def test_missing_chromium_fails_under_ci(monkeypatch, ci):
    monkeypatch.setenv("CI", ci)
    with pytest.raises(pytest.fail.Exception, match="apt-get install chromium"):
        _unavailable("/usr/bin/chromium is missing")


def test_missing_chromium_skips_elsewhere(monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="apt-get install chromium"):
        _unavailable("/usr/bin/chromium is missing")
    assert "apt-get install chromium" in INSTALL_HINT
