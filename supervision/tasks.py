"""Celery tasks of listed supervision. Thin: a service called, quiet when there is nothing."""

from __future__ import annotations

from celery import shared_task


@shared_task(acks_late=True, ignore_result=True, soft_time_limit=5 * 60, time_limit=6 * 60)
def referrals_propose_overdue() -> int:
    """Propose a referral (提请追责) for every item whose deadline passed M working days ago."""
    from supervision.services import referrals_propose_overdue as propose

    return propose()


@shared_task(acks_late=True, ignore_result=True, soft_time_limit=10 * 60, time_limit=11 * 60)
def monitoring_run(day: str | None = None) -> dict:
    """Count, detect and store the monitoring warnings of ``day`` (ISO date; default: yesterday,
    the last full day, when run after midnight)."""
    import datetime as dt

    from django.utils import timezone

    from supervision.warnings import monitoring_run as run

    when = dt.date.fromisoformat(day) if day else timezone.localdate() - dt.timedelta(days=1)
    result = run(when)
    return {"day": when.isoformat(), "series": result.series, "raised": result.raised}
