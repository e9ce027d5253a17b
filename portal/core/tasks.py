from celery import shared_task
from django.core.management import call_command


@shared_task(ignore_result=True)
def clear_expired_sessions() -> None:
    """Delete expired sessions (the database session store keeps them otherwise)."""
    call_command("clearsessions")
