"""The admin site behind the portal's own login, lockout and two-factor checks.

``PortalAdminConfig`` replaces ``django.contrib.admin`` in INSTALLED_APPS and makes
``PortalAdminSite`` the default site (Django's documented way), so ``admin.site`` and every
app's ``@admin.register`` stay as they are. This module is imported while apps load, so
anything touching models is imported inside the methods.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.admin.apps import AdminConfig
from django.contrib.admin.sites import AdminSite
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme


class PortalAdminConfig(AdminConfig):
    default_site = "portal.accounts.admin_site.PortalAdminSite"


class PortalAdminSite(AdminSite):
    def has_permission(self, request):
        from portal.accounts import twofactor

        if not super().has_permission(request):
            return False
        return not settings.PORTAL_REQUIRE_2FA or twofactor.session_verified(request.user)

    def login(self, request, extra_context=None):
        """No second login form: send everyone to the portal's (lockout, 2FA), then back."""
        from django.contrib.auth.views import redirect_to_login

        index = reverse("admin:index", current_app=self.name)
        target = request.GET.get(REDIRECT_FIELD_NAME) or index
        if not url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure()):
            target = index
        return redirect_to_login(target, settings.LOGIN_URL)

    def password_change(self, request, extra_context=None):
        """The portal's page: the same validators, and every session ends afterwards."""
        return redirect("accounts:password_change")
