"""Login, password change and two-factor pages. Rules live in forms, services and twofactor."""

from __future__ import annotations

import django_otp
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.auth.forms import PasswordChangeForm
from django.contrib.auth.views import LoginView, redirect_to_login
from django.http import HttpResponseRedirect
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters

from portal.accounts import lockout, services, twofactor
from portal.accounts.forms import LoginForm, TokenForm, few_left_error, locked_error
from portal.audit.context import client_ip


def safe_next(request) -> str:
    """The ``next`` the user came with, if it stays on this site; else ''."""
    target = request.POST.get("next", request.GET.get("next", ""))
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure()):
        return target
    return ""


class PortalLoginView(LoginView):
    form_class = LoginForm
    redirect_authenticated_user = False  # decided in dispatch, without Django's loop error

    @method_decorator(never_cache)
    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            target = self.get_success_url()
            if not self._admin_refused(request, target):
                return HttpResponseRedirect(target)
            messages.warning(request, _("当前账号无权访问管理后台；如需访问，请使用有权限的账号登录。"))
        return super().dispatch(request, *args, **kwargs)

    def get_redirect_url(self):
        # A forged next pointing back at the login page would loop: ignore it like an off-site one.
        target = super().get_redirect_url()
        return "" if target.split("?")[0] == self.request.path else target

    @staticmethod
    def _admin_refused(request, target: str) -> bool:
        return target.startswith(reverse("admin:index")) and not admin.site.has_permission(request)


@sensitive_post_parameters("old_password", "new_password1", "new_password2")
@never_cache
def password_change(request):
    """Change one's password (the validators apply); every session ends, log in again."""
    user = request.user
    form = PasswordChangeForm(user, request.POST or None)
    if request.method == "POST":
        ip = client_ip(request)
        locks = lockout.current_locks(username=user.get_username(), ip=ip)
        if locks:
            # Not even the old password is checked while the account is locked.
            form = PasswordChangeForm(user)
            messages.error(request, locked_error(locks).messages[0])
        elif form.is_valid():
            services.user_password_change(user=user, new_password=form.cleaned_data["new_password1"])
            request.session.flush()
            messages.success(request, _("密码已修改，所有设备上的登录均已结束，请使用新密码重新登录。"))
            return redirect(settings.LOGIN_URL)
        elif "old_password" in form.errors:
            locks, left = services.credential_failure_register(
                user=user, ip=ip, action="auth.password_change", reason="old_password"
            )
            if locks:
                form.add_error(None, locked_error(locks))
            elif left <= 2:
                form.add_error(None, few_left_error(left))
    return render(request, "accounts/password_change.html", {"form": form})


@never_cache
def totp_enrol(request):
    """Bind an authenticator app: show the secret (QR code and text), confirm with a code."""
    user = request.user
    next_url = safe_next(request)
    if twofactor.has_device(user) and not twofactor.session_verified(user):
        # Replacing the device needs the current one first, or a stolen password would do.
        return redirect_to_login(next_url or resolve_url(settings.LOGIN_REDIRECT_URL), reverse("accounts:totp_verify"))

    form = TokenForm()
    if request.method == "POST" and request.POST.get("action") == "renew":
        key = twofactor.pending_key(request.session, renew=True)
    elif request.method == "POST":
        key = twofactor.pending_key(request.session)
        form = TokenForm(request.POST)
        if form.is_valid():
            totp = twofactor.check_pending(key, form.cleaned_data["otp_token"])
            if totp is not None:
                device = services.totp_device_confirm(user=user, key=key, last_t=totp.t(), drift=totp.drift)
                django_otp.login(request, device)
                request.session.pop(twofactor.PENDING_KEY, None)
                messages.success(request, _("双因素认证已启用，以后登录时需要输入身份验证器上的动态验证码。"))
                return redirect(next_url or settings.LOGIN_REDIRECT_URL)
            form.add_error("otp_token", _("验证码不正确，请核对手机时间后输入当前显示的验证码。"))
    else:
        key = twofactor.pending_key(request.session)

    uri = twofactor.config_url(user, key)
    context = {
        "form": form,
        "next": next_url,
        "secret": twofactor.base32_secret(key),
        "otpauth_uri": uri,
        "qr_svg": twofactor.qr_svg(uri),
        "has_device": twofactor.has_device(user),
        "required": twofactor.two_factor_required(user),
    }
    return render(request, "accounts/totp_enrol.html", context)


@never_cache
def totp_verify(request):
    """Verify this session with the code of the user's device (when it was not at login)."""
    user = request.user
    next_url = safe_next(request)
    if twofactor.session_verified(user):
        return redirect(next_url or settings.LOGIN_REDIRECT_URL)
    if not twofactor.has_device(user):
        return redirect_to_login(next_url or resolve_url(settings.LOGIN_REDIRECT_URL), reverse("accounts:totp_enrol"))

    form = TokenForm(request.POST or None)
    if request.method == "POST":
        ip = client_ip(request)
        locks = lockout.current_locks(username=user.get_username(), ip=ip)
        if locks:
            services.login_refuse_locked(username=user.get_username(), locks=locks)
            form.is_valid()
            form.add_error(None, locked_error(locks))
        elif form.is_valid():
            device = twofactor.verify(user, form.cleaned_data["otp_token"])
            if device is not None:
                django_otp.login(request, device)
                services.totp_session_verified(user=user, device=device)
                return redirect(next_url or settings.LOGIN_REDIRECT_URL)
            locks, left = services.credential_failure_register(user=user, ip=ip, action="auth.2fa_verify", reason="otp")
            form.add_error(None, locked_error(locks) if locks else _("动态验证码不正确或已使用。"))
            if not locks and left <= 2:
                form.add_error(None, few_left_error(left))
    return render(request, "accounts/totp_verify.html", {"form": form, "next": next_url})
