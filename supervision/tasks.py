"""Celery tasks of listed supervision. Thin: a service called, quiet when there is nothing."""

from __future__ import annotations

from celery import shared_task


@shared_task(acks_late=True, ignore_result=True, soft_time_limit=5 * 60, time_limit=6 * 60)
def referrals_propose_overdue() -> int:
    """Propose a referral (提请追责) for every item whose deadline passed M working days ago."""
    from supervision.services import referrals_propose_overdue as propose

    return propose()
