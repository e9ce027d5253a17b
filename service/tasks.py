"""Celery tasks of service-oriented enforcement. Thin: a service called."""

from __future__ import annotations

from celery import shared_task


@shared_task(acks_late=True, ignore_result=True, soft_time_limit=5 * 60, time_limit=6 * 60)
def station_months_close() -> int:
    """Close last month's station days (nothing when already closed)."""
    from service.services import station_months_close_due

    return station_months_close_due()
