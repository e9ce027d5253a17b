"""The login form (lockout and the TOTP code) and the two-factor code form."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django.views.decorators.debug import sensitive_variables

from portal.accounts import lockout, services, twofactor
from portal.audit.context import client_ip

LOCKED_MESSAGE = _("账号或IP已被临时锁定，请 %(minutes)d 分钟后再试。")


def locked_error(locks: list[lockout.Lock]) -> ValidationError:
    # The same words whichever lock holds and whatever the password was.
    minutes = max(lock.minutes_left for lock in locks)
    return ValidationError(LOCKED_MESSAGE, code="locked", params={"minutes": minutes})


class LoginForm(AuthenticationForm):
    """Username, password and, for users with an authenticator app, the code it shows.

    While the account or the client IP is locked the password is not even checked. Each
    failure (unknown user, wrong password, wrong code) counts towards both locks.
    """

    otp_token = forms.CharField(
        label=_("动态验证码"),
        required=False,
        max_length=12,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": _("用户名或密码不正确（区分大小写）。"),
        "inactive": _("用户名或密码不正确（区分大小写）。"),
        "otp_required": _("该账号已启用双因素认证，请输入身份验证器上的动态验证码。"),
        "otp_invalid": _("动态验证码不正确或已使用，请输入身份验证器上当前显示的验证码。"),
    }

    @sensitive_variables("password")
    def clean(self):
        username = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        if not username or not password:
            return self.cleaned_data  # the field errors say what is missing
        ip = client_ip(self.request) if self.request is not None else None

        locks = lockout.current_locks(username=username, ip=ip)
        if locks:
            services.login_refuse_locked(username=username, locks=locks)
            raise locked_error(locks)

        user = authenticate(self.request, username=username, password=password)
        if user is None:  # authenticate() has recorded auth.login_failed
            raise self._error(*services.login_failure_register(username=username, ip=ip), "invalid_login")
        if not user.is_active:  # only with a backend that lets inactive users through
            raise self._error(*services.login_failure_register(username=username, ip=ip), "inactive")

        if twofactor.has_device(user):
            token = self.cleaned_data.get("otp_token")
            if not token:
                # Not a failure: the password was right and no code was tried.
                raise ValidationError(self.error_messages["otp_required"], code="otp_required")
            device = twofactor.verify(user, token)
            if device is None:
                locks, left = services.credential_failure_register(
                    user=user, ip=ip, action="auth.login_failed", reason="otp"
                )
                raise self._error(locks, left, "otp_invalid")
            user.otp_device = device  # django-otp marks the session verified at login

        self.user_cache = user
        return self.cleaned_data

    def _error(self, locks: list[lockout.Lock], left: int, code: str) -> ValidationError:
        """What to show after a counted failure: the lock message once a lock starts."""
        if locks:
            return locked_error(locks)
        errors = [ValidationError(self.error_messages[code], code=code)]
        if left <= 2:
            errors.append(few_left_error(left))
        return ValidationError(errors)


def few_left_error(left: int) -> ValidationError:
    return ValidationError(
        _("再失败 %(left)d 次，账号或IP将被锁定 %(minutes)d 分钟。"),
        code="few_left",
        params={"left": left, "minutes": max(1, settings.LOGIN_LOCKOUT_SECONDS // 60)},
    )


class TokenForm(forms.Form):
    otp_token = forms.CharField(
        label=_("动态验证码"),
        max_length=12,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True, "pattern": "[0-9 ]*"}
        ),
    )

    def clean_otp_token(self):
        token = twofactor.clean_token(self.cleaned_data["otp_token"])
        if token is None:
            raise ValidationError(_("请输入 6 位数字动态验证码。"), code="otp_format")
        return token
