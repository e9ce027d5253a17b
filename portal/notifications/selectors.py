"""Reads of the alert ledger.

The inbox is personal: every read starts from ``inbox_of(user)``, the user's own messages, so
someone else's message is exactly as missing as one that never existed (404). The status
report is for administrators (the views check ``Cap.MANAGE_SYSTEM``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Count, Max, Q, QuerySet, Sum
from django.utils import timezone

from portal.notifications import conf
from portal.notifications.models import Channel, Delivery, InboxMessage, NotificationPreference, Run

UNCONFIRMED_AFTER = dt.timedelta(minutes=5)


def inbox_of(user) -> QuerySet[InboxMessage]:
    if not getattr(user, "is_authenticated", False):
        return InboxMessage.objects.none()
    return InboxMessage.objects.filter(user_id=user.pk)


def inbox_unread_count(user) -> int:
    """One count over the partial index of unread messages."""
    return inbox_of(user).filter(read_at__isnull=True).count()


def channels_of(user) -> dict[str, bool]:
    """The user's channel choices, the defaults where they made none."""
    defaults = conf.get("DEFAULT_CHANNELS")
    choice = NotificationPreference.objects.filter(user_id=user.pk).values("email", "sms").first()
    return {
        "inbox": True,
        "email": bool(choice["email"] if choice else defaults.get("email", True)),
        "sms": bool(choice["sms"] if choice else defaults.get("sms", False)),
    }


@dataclass
class StatusReport:
    now: dt.datetime
    schedule: list[dict] = field(default_factory=list)
    last_runs: list[dict] = field(default_factory=list)
    recent_runs: list[Run] = field(default_factory=list)
    backlog: list[dict] = field(default_factory=list)
    unconfirmed: dict[str, int] = field(default_factory=dict)
    failures: list[Delivery] = field(default_factory=list)
    oldest_pending: dt.datetime | None = None
    new_alerts: int = 0
    sms_configured: bool = False


def _describe(schedule) -> str:
    if isinstance(schedule, int | float | dt.timedelta):
        seconds = schedule.total_seconds() if isinstance(schedule, dt.timedelta) else schedule
        return f"every {seconds:g} s"
    return str(schedule)


def delivery_backlog() -> list[dict]:
    """Per channel: deliveries pending (of them retrying), sending and failed. One query, on the
    partial index of unfinished deliveries (the status page and the /metrics endpoint)."""
    open_rows = (
        Delivery.objects.filter(status__in=["pending", "sending", "failed"])
        .values("channel")
        .annotate(
            pending=Count("id", filter=Q(status="pending")),
            sending=Count("id", filter=Q(status="sending")),
            failed=Count("id", filter=Q(status="failed")),
            retrying=Count("id", filter=Q(status="pending", attempts__gt=0)),
        )
    )
    found = {row["channel"]: row for row in open_rows}
    backlog = []
    for channel, label in Channel.choices:
        row = found.get(channel, {})
        backlog.append(
            {
                "channel": channel,
                "label": label,
                "pending": row.get("pending", 0),
                "sending": row.get("sending", 0),
                "retrying": row.get("retrying", 0),
                "failed": row.get("failed", 0),
            }
        )
    return backlog


def oldest_open_delivery() -> dt.datetime | None:
    """When the longest-waiting pending or sending delivery was due."""
    return (
        Delivery.objects.filter(status__in=["pending", "sending"])
        .order_by("next_attempt_at")
        .values_list("next_attempt_at", flat=True)
        .first()
    )


def last_successful_runs() -> dict[str, dt.datetime]:
    """Per kind of job (sweep, fan-out, redispatch): when its last successful run ended. One
    probe per kind down the (kind, -started_at) index, however many runs are kept."""
    found = {}
    for kind in Run.Kind.values:
        row = (
            Run.objects.filter(kind=kind, outcome=Run.Outcome.OK)
            .order_by("-started_at", "-id")
            .values_list("finished_at", "started_at")
            .first()
        )
        if row:
            found[kind] = row[0] or row[1]
    return found


def alerts_status(*, failures: int = 20) -> StatusReport:
    """The schedule, the last run of each job, the backlog and recent failures."""
    report = StatusReport(now=timezone.now(), sms_configured=bool(conf.sms_gateway_url()))
    for name, entry in sorted(getattr(settings, "CELERY_BEAT_SCHEDULE", {}).items()):
        report.schedule.append(
            {
                "name": name,
                "task": entry.get("task", ""),
                "schedule": _describe(entry.get("schedule")),
                "expires": (entry.get("options") or {}).get("expires"),
                "ours": str(entry.get("task", "")).startswith("portal.notifications."),
            }
        )
    for kind, label in Run.Kind.choices:
        last = Run.objects.filter(kind=kind).order_by("-started_at", "-id").first()
        last_ok = Run.objects.filter(kind=kind, outcome=Run.Outcome.OK).aggregate(at=Max("started_at"))["at"]
        report.last_runs.append({"kind": kind, "label": label, "run": last, "last_ok": last_ok})
    report.recent_runs = list(Run.objects.exclude(kind=Run.Kind.REDISPATCH, enqueued=0).order_by("-started_at")[:15])
    report.backlog = delivery_backlog()
    report.unconfirmed = dict(
        Delivery.objects.filter(status="sent", confirmed_at__isnull=True, sent_at__lt=report.now - UNCONFIRMED_AFTER)
        .values_list("channel")
        .annotate(n=Count("id"))
    )
    report.oldest_pending = oldest_open_delivery()
    report.new_alerts = (
        Run.objects.filter(kind=Run.Kind.SWEEP, fanned_at__isnull=True, alerts__gt=0).aggregate(n=Sum("alerts"))["n"]
        or 0
    )
    report.failures = list(
        Delivery.objects.filter(Q(status="failed") | Q(status="pending", attempts__gt=0) | Q(status="undeliverable"))
        .exclude(last_error="")
        .select_related("recipient", "alert__step")
        .order_by("-updated_at")[:failures]
    )
    return report
