"""Every page carries the content security policy: scripts only from the portal itself (no
inline script anywhere), no framing, no foreign sources; an answer with its own policy keeps it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from portal.core.security import DEFAULT_POLICY

BASE_DIR = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.django_db


def test_pages_carry_the_policy(client):
    response = client.get("/accounts/login/")
    assert response.status_code == 200
    policy = response["Content-Security-Policy"]
    assert policy == DEFAULT_POLICY
    assert "script-src 'self'" in policy and "'unsafe-inline'" not in policy.split("script-src", 1)[1].split(";")[0]
    assert "frame-ancestors 'none'" in policy


def test_an_empty_setting_sends_no_policy(client, settings):
    settings.CONTENT_SECURITY_POLICY = ""
    assert "Content-Security-Policy" not in client.get("/accounts/login/")


def test_no_template_has_an_inline_script():
    """script-src 'self' would block it: every script is a file under static/ (JSON data blocks,
    json_script's type=application/json, are not scripts the browser runs)."""
    offenders = []
    for template in BASE_DIR.glob("**/templates/**/*.html"):
        if ".venv" in template.parts:
            continue
        text = template.read_text(encoding="utf-8")
        for match in re.finditer(r"<script\b([^>]*)>", text):
            attributes = match.group(1)
            if "src=" not in attributes and "application/json" not in attributes:
                offenders.append(f"{template.relative_to(BASE_DIR)}: {match.group(0)}")
        if re.search(r"\son[a-z]+=\"", text):
            offenders.append(f"{template.relative_to(BASE_DIR)}: an inline event handler")
    assert offenders == []
