"""Alert settings and their defaults. Each can be overridden in Django settings as
``NOTIFICATIONS_<NAME>``; ``checks.py`` validates them at start-up. The step tables of each
source are registered by the app that owns it (``register_defaults`` in ``<app>/alerts.py``).

Steps are offsets in working days from the subject's time limit (negative: before it). A step
is *reached* on the day its date comes (``fire date <= today``); for each subject only the
latest step reached is owed, so a sweep that did not run for a while sends the step that
matters now, not every step it missed.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings

# What a step is, for its texts; apps add their own kinds with ``register_defaults``.
KINDS = ["reminder", "due", "overdue", "escalation"]
AUDIENCES = ("chain", "city", "province", "level_above")

DEFAULTS: dict[str, object] = {
    # More than this many email (or SMS) items for one person in one sweep go out as one digest.
    "DIGEST_THRESHOLD": 5,
    "DIGEST_CHANNELS": ["email", "sms"],
    # Channels of a user who has not chosen (the inbox always receives).
    "DEFAULT_CHANNELS": {"email": True, "sms": False},
    "BATCH_SIZE": 100,  # email/SMS deliveries per task
    "INBOX_BATCH_SIZE": 500,  # inbox deliveries per task
    # A claimed delivery belongs to its worker this long; it must exceed the delivery task's
    # hard time limit, so that a claim goes stale only when its worker is gone.
    "CLAIM_LEASE_SECONDS": 900,
    # A pending delivery (or an alert not fanned out) untouched this long after it was due is
    # enqueued again: its message was lost (Redis restarted, worker killed with it reserved).
    "REDISPATCH_AFTER_SECONDS": 300,
    "MAX_ATTEMPTS": 8,
    "BACKOFF_BASE_SECONDS": 30,
    "BACKOFF_MAX_SECONDS": 3600,
    "SMTP_TIMEOUT_SECONDS": 20,
    # An SMS gateway that answers late may still have sent: retrying is safe only when it drops
    # repeats of the idempotency key the adapter sends. False: such a delivery stays "sent,
    # unconfirmed" and shows on the status page instead. (A worker killed between the last
    # bytes and the ledger's update repeats its message either way, under the same key.)
    "SMS_GATEWAY_IDEMPOTENT": True,
    "SMS_GATEWAY_ADAPTER": "portal.notifications.channels.JsonHttpSmsGateway",
    "SITE_URL": "",  # prefix for links in email, e.g. https://zfjd.jtt.henan.gov.cn
    "QUEUE": None,  # Celery queue for alert tasks; None: the default queue
    "RUN_RETENTION_DAYS": 30,
}


def register_defaults(values: dict[str, object], *, kinds=()) -> None:
    """An app's own alert settings (its sources' step tables, in ``<app>/alerts.py``), each
    overridable as ``NOTIFICATIONS_<NAME>`` like the rest, and the step kinds they use."""
    KINDS.extend(kind for kind in kinds if kind not in KINDS)
    for name, value in values.items():
        if name in DEFAULTS and DEFAULTS[name] != value:
            raise ValueError(f"alert setting {name} is registered twice with different defaults")
        DEFAULTS[name] = value


def get(name: str):
    return getattr(settings, f"NOTIFICATIONS_{name}", DEFAULTS[name])


@dataclass(frozen=True)
class Step:
    step: str
    kind: str
    audience: tuple[str, ...]
    offset: int = 0

    @classmethod
    def parse(cls, raw: dict) -> Step:
        return cls(
            step=str(raw["step"]),
            kind=str(raw["kind"]),
            audience=tuple(raw.get("audience") or ("chain",)),
            offset=int(raw.get("offset", 0)),
        )


def steps(name: str) -> list[Step]:
    """A step table, latest step first (the order a CASE needs: the first reached wins)."""
    parsed = [Step.parse(raw) for raw in get(name)]
    return sorted(parsed, key=lambda s: s.offset, reverse=True)


def sms_gateway_url() -> str:
    return getattr(settings, "SMS_GATEWAY_URL", "") or ""


def sms_gateway_timeout() -> float:
    return float(getattr(settings, "SMS_GATEWAY_TIMEOUT", 10))
