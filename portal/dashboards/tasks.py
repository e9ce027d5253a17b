"""Celery tasks of the dashboards: thin, the work in ``services``."""

from __future__ import annotations

from celery import shared_task
from django.db import InterfaceError, OperationalError

from portal.dashboards import services


@shared_task(
    acks_late=True,
    ignore_result=True,
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=10,
    retry_jitter=True,
    max_retries=3,
    soft_time_limit=240,
    time_limit=270,
)
def refresh_figures() -> int | None:
    """Recompute the dashboards' summary tables; the duration in ms (None: another refresh ran)."""
    snapshot = services.figures_refresh()
    return snapshot.duration_ms if snapshot else None
