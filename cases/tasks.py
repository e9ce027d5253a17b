"""Celery tasks of the problem list. Thin: an id in, a service called, quiet when the row is gone."""

from __future__ import annotations

from celery import shared_task


@shared_task(
    acks_late=True,
    ignore_result=True,
    # 200,000 rows are checked and written in well under a minute; the limits only catch a hang
    soft_time_limit=14 * 60,
    time_limit=15 * 60,
)
def ledger_import_run(job_id: int) -> None:
    """Check, and once the user has chosen a mode write, one Excel ledger import."""
    from cases.imports import import_job_run

    import_job_run(job_id)


@shared_task(acks_late=True, ignore_result=True, soft_time_limit=120, time_limit=180)
def cases_enforcement_ensure_partitions() -> list[str]:
    """Make this year's and next year's enforcement case partitions if missing (daily)."""
    from cases.enforcement.services import case_partitions_ensure

    return case_partitions_ensure(ahead=1)


@shared_task(acks_late=True, ignore_result=True, soft_time_limit=10 * 60, time_limit=11 * 60)
def cases_enforcement_clues_upload(keys: list[int]) -> dict:
    """The clue rules over one upload's stored versions, after its commit (issue 19)."""
    from cases.enforcement.clues import clues_check

    return clues_check(keys=keys, kind="upload").found


@shared_task(acks_late=True, ignore_result=True, soft_time_limit=50 * 60, time_limit=55 * 60)
def cases_enforcement_clues_nightly() -> dict:
    """Every enabled clue rule over all current cases (set-based; issue 19)."""
    from cases.enforcement.clues import clues_check

    return clues_check(kind="nightly").found
