"""Celery tasks of the complaint loop: ids in, re-fetch, call a service, quiet when the row is gone."""

from __future__ import annotations

import datetime as dt

from celery import shared_task
from django.db import OperationalError
from django.utils import timezone

SAFETY_NET_BATCH = 500


@shared_task(
    ignore_result=True,
    acks_late=True,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=5,
    soft_time_limit=50,
    time_limit=60,
)
def complaint_flag_duplicates(complaint_id: int) -> int | None:
    """Count a new complaint's likely duplicates (queued after intake commits)."""
    from complaints.services import complaint_flag_duplicates as flag

    return flag(complaint_id=complaint_id)


@shared_task(
    ignore_result=True,
    acks_late=True,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=5,
    soft_time_limit=300,
    time_limit=330,
)
def complaint_flag_duplicates_many(complaint_ids: list[int]) -> int:
    """The same for a batch intake's complaints, one message per batch; checking one again
    (a retry) only rewrites its count."""
    from complaints.services import complaint_flag_duplicates as flag

    return sum(1 for complaint_id in complaint_ids if flag(complaint_id=complaint_id) is not None)


@shared_task(ignore_result=True, acks_late=True, soft_time_limit=600, time_limit=660)
def complaints_flag_unchecked() -> int:
    """The safety net for lost queue messages: complaints of the last two days never checked."""
    from complaints.models import Complaint
    from complaints.services import complaint_flag_duplicates as flag

    since = timezone.now() - dt.timedelta(days=2)
    ids = list(
        Complaint.objects.filter(suspected_duplicates__isnull=True, received_at__gte=since)
        .order_by("received_at")
        .values_list("id", flat=True)[:SAFETY_NET_BATCH]
    )
    for complaint_id in ids:
        flag(complaint_id=complaint_id)
    return len(ids)
