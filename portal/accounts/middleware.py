"""Session limits and the two-factor gate.

``SessionTimeoutMiddleware`` (after MessageMiddleware, before django-otp's OTPMiddleware):
- the idle timeout is Django's own: ``SESSION_COOKIE_AGE`` with ``SESSION_SAVE_EVERY_REQUEST``,
  so each request pushes the expiry on and a session left alone that long is gone;
- the absolute timeout ends a session ``SESSION_ABSOLUTE_SECONDS`` after its login, however
  busy it was;
- a session cookie that no longer finds a session (expired, ended by a logout or a password
  change elsewhere, or forged) gets a clear message instead of a silent anonymous page.

``TwoFactorRequiredMiddleware`` (after OTPMiddleware): with ``PORTAL_REQUIRE_2FA`` on, a staff
user whose session is not verified by a device reaches only enrolment, verification, logout
and the language switch; pages redirect there, the API answers 403 JSON.
"""

from __future__ import annotations

import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.models import AnonymousUser
from django.contrib.auth.views import redirect_to_login
from django.http import JsonResponse
from django.urls import reverse
from django.utils.translation import gettext as _

from portal.accounts import twofactor
from portal.audit.services import audit_record

LOGIN_AT_KEY = "portal_login_at"  # Unix time of the login, set by signals._logged_in
API_PREFIX = "/api/"


def session_expire(request, *, reason: str) -> None:
    """End this session (only this one) and carry on as anonymous."""
    user = request.user
    audit_record(actor=user, action="auth.session_timeout", obj=user, changes={"reason": reason})
    request.session.flush()
    request.user = AnonymousUser()


class SessionTimeoutMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if settings.SESSION_COOKIE_NAME in request.COOKIES:
            self.check(request)
        return self.get_response(request)

    def check(self, request) -> None:
        user = request.user  # loads the session and checks its hash
        page = not request.path.startswith(API_PREFIX)
        if user.is_authenticated:
            login_at = request.session.get(LOGIN_AT_KEY)
            now = time.time()
            if not isinstance(login_at, int | float) or now - login_at >= settings.SESSION_ABSOLUTE_SECONDS:
                # No login time means a session this check cannot vouch for: end it too.
                session_expire(request, reason="absolute" if login_at else "no_login_time")
                if page:
                    messages.warning(request, _("会话已超时，请重新登录。"), fail_silently=True)
        elif request.session.is_empty() and page:
            messages.warning(request, _("会话已超时或已失效，请重新登录。"), fail_silently=True)


# Views an unverified staff user may still reach when two-factor is required.
TWO_FACTOR_EXEMPT = {"login", "logout", "set_language", "healthz", "accounts:totp_enrol", "accounts:totp_verify"}


class TwoFactorRequiredMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if not settings.PORTAL_REQUIRE_2FA:
            return None
        user = request.user
        if not twofactor.two_factor_required(user) or twofactor.session_verified(user):
            return None
        match = request.resolver_match
        if match is not None and match.view_name in TWO_FACTOR_EXEMPT:
            return None
        if request.path.startswith(API_PREFIX):
            return JsonResponse({"detail": _("需要先完成双因素认证。")}, status=403)
        target = "accounts:totp_verify" if twofactor.has_device(user) else "accounts:totp_enrol"
        return redirect_to_login(request.get_full_path(), reverse(target))
