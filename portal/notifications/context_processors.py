"""The unread counter in the navigation bar.

Lazy: the count query runs only when a template shows it (the navbar of a signed-in page),
one indexed COUNT over the partial index of unread messages.
"""

from __future__ import annotations

from django.utils.functional import SimpleLazyObject


def inbox(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}

    def unread() -> int:
        from portal.notifications.selectors import inbox_unread_count

        return inbox_unread_count(user)

    return {"inbox_unread": SimpleLazyObject(unread)}
