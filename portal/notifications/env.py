"""The SMS gateway settings, read strictly from the environment (imported by the settings)."""

from __future__ import annotations

from urllib.parse import urlsplit

from portal.settings.env import SettingError, env, env_int


def env_sms_gateway() -> dict:
    """``SMS_GATEWAY_URL`` (empty: no SMS channel) and ``SMS_GATEWAY_TIMEOUT`` seconds."""
    raw = (env.str("SMS_GATEWAY_URL", default="") or "").strip()
    if raw:
        parts = urlsplit(raw)
        if parts.scheme not in {"http", "https"} or not parts.hostname:
            shown = raw if len(raw) <= 60 else raw[:57] + "..."
            raise SettingError(
                f"SMS_GATEWAY_URL={shown!r} is not an http(s) URL; set it like "
                "SMS_GATEWAY_URL=https://sms.example.gov.cn/api/send or unset it to turn SMS off."
            )
        try:
            parts.port  # noqa: B018 - raises ValueError on a non-numeric port
        except ValueError:
            raise SettingError(
                f"SMS_GATEWAY_URL={raw!r} has a port that is not a number; fix it or unset it to turn SMS off."
            ) from None
    return {
        "SMS_GATEWAY_URL": raw,
        "SMS_GATEWAY_TIMEOUT": env_int("SMS_GATEWAY_TIMEOUT", 10, minimum=1, maximum=120),
    }
