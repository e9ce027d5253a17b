"""What every login and logout does to the session, whichever view performed it."""

from __future__ import annotations

import time

from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.dispatch import receiver

from portal.accounts import services
from portal.accounts.middleware import LOGIN_AT_KEY


@receiver(user_logged_in, dispatch_uid="portal.accounts.logged_in")
def _logged_in(sender, request, user, **kwargs):
    # The absolute session limit counts from here; Django has already cycled the session key.
    if request is not None and hasattr(request, "session"):
        request.session[LOGIN_AT_KEY] = int(time.time())
    services.login_succeeded(user=user)


@receiver(user_logged_out, dispatch_uid="portal.accounts.logged_out")
def _logged_out(sender, request, user, **kwargs):
    # Logging out on one device logs the user out everywhere.
    if user is not None:
        services.user_sessions_end(user=user)
