"""Alert settings fail loudly: a malformed step table or SMS gateway URL stops start-up."""

from __future__ import annotations

import pytest

from portal.notifications.checks import alert_settings
from portal.notifications.schedule import BEAT_SCHEDULE
from portal.settings.env import SettingError


def test_the_default_settings_pass_the_checks():
    assert alert_settings() == []


@pytest.mark.parametrize(
    ("name", "value", "says"),
    [
        ("RECTIFICATION_STEPS", [{"step": "due", "offset": 0, "kind": "due"}] * 2, "appears twice"),
        ("RECTIFICATION_STEPS", [{"step": "due", "offset": "soon", "kind": "due"}], "integer 'offset'"),
        ("RECTIFICATION_STEPS", [{"step": "due", "offset": 0, "kind": "shout"}], "has kind 'shout'"),
        ("EXTENSION_STEPS", [{"step": "x", "kind": "extension", "audience": ["mayor"]}], "unknown audiences"),
        ("DIGEST_THRESHOLD", 0, "at least 1"),
        ("CLAIM_LEASE_SECONDS", 60, "must exceed the delivery task's hard time limit"),
    ],
)
def test_a_malformed_setting_is_an_error(settings, name, value, says):
    setattr(settings, f"NOTIFICATIONS_{name}", value)
    errors = alert_settings()
    assert errors and says in errors[0].msg and errors[0].id == "notifications.E001"


@pytest.mark.parametrize("url", ["ftp://sms.example.gov.cn/send", "sms.example.gov.cn", "http://sms.example:port/x"])
def test_a_malformed_sms_gateway_url_stops_start_up(monkeypatch, url):
    from portal.notifications.env import env_sms_gateway

    monkeypatch.setenv("SMS_GATEWAY_URL", url)
    with pytest.raises(SettingError, match="SMS_GATEWAY_URL"):
        env_sms_gateway()


def test_no_sms_gateway_means_no_sms_channel(monkeypatch):
    from portal.notifications.env import env_sms_gateway

    monkeypatch.delenv("SMS_GATEWAY_URL", raising=False)
    assert env_sms_gateway()["SMS_GATEWAY_URL"] == ""
    monkeypatch.setenv("SMS_GATEWAY_URL", "https://sms.example.gov.cn/api/send")
    monkeypatch.setenv("SMS_GATEWAY_TIMEOUT", "5")
    assert env_sms_gateway() == {"SMS_GATEWAY_URL": "https://sms.example.gov.cn/api/send", "SMS_GATEWAY_TIMEOUT": 5}


def test_every_beat_entry_expires_before_its_next_run():
    from celery.schedules import crontab

    for name, entry in BEAT_SCHEDULE.items():
        schedule = entry["schedule"]
        interval = 15 * 60 if isinstance(schedule, crontab) else float(schedule)
        assert entry["options"]["expires"] < interval, name
