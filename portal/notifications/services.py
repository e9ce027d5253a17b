"""Writes a user makes about their own alerts: reading messages, choosing channels."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction
from django.http import Http404
from django.utils import timezone

from portal.audit.services import audit_record
from portal.notifications.models import NotificationPreference
from portal.notifications.selectors import inbox_of


def inbox_mark_read(*, user, message_ids: Iterable[int] | None = None, everything: bool = False) -> int:
    """Mark the user's own messages read. An id that is not theirs (or not there) is a 404,
    the same answer for both; nothing is marked then."""
    messages = inbox_of(user).filter(read_at__isnull=True)
    if not everything:
        ids = {int(pk) for pk in message_ids or ()}
        if not ids or inbox_of(user).filter(pk__in=ids).count() != len(ids):
            raise Http404
        messages = messages.filter(pk__in=ids)
    return messages.update(read_at=timezone.now())


@transaction.atomic
def preference_set(*, actor, email: bool, sms: bool) -> NotificationPreference:
    """The actor's own channel choices (the inbox always receives); audited."""
    before = NotificationPreference.objects.filter(user_id=actor.pk).values("email", "sms").first()
    preference, _created = NotificationPreference.objects.update_or_create(
        user_id=actor.pk, defaults={"email": bool(email), "sms": bool(sms), "updated_at": timezone.now()}
    )
    after = {"email": preference.email, "sms": preference.sms}
    if before != after:
        audit_record(
            actor=actor,
            action="notifications.preference_set",
            object_type="notifications.preference",
            object_id=str(actor.pk),
            changes={key: [(before or {}).get(key), value] for key, value in after.items()},
        )
    return preference
