"""Users of the portal: each has a home region and unit and one or more roles."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    # System, security and audit administration are separate roles (等保2.0 level 3).
    PROVINCE_ADMIN = "province_admin", _("省级系统管理员")
    SECURITY_ADMIN = "security_admin", _("安全管理员")
    SECURITY_AUDITOR = "security_auditor", _("安全审计员")
    PROVINCE_STAFF = "province_staff", _("省厅工作人员")
    CITY_STAFF = "city_staff", _("市局工作人员")
    COUNTY_OFFICER = "county_officer", _("县级执法人员")
    INSPECTOR = "inspector", _("执法监督人员")
    EVALUATOR = "evaluator", _("第三方评价机构")
    LEADER = "leader", _("领导（只读看板）")


class User(AbstractUser):
    region = models.ForeignKey(
        "regions.Region",
        verbose_name=_("所属区划"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="users",
    )
    unit = models.ForeignKey(
        "regions.Unit",
        verbose_name=_("所属单位"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="users",
    )
    roles = ArrayField(
        models.CharField(max_length=32, choices=Role.choices), verbose_name=_("角色"), default=list, blank=True
    )
    phone = models.CharField(_("手机号"), max_length=20, blank=True)
    # Folded into the session hash: raising it (logout, password change) ends every session
    # of the user at its next request, on every device (see ``_get_session_auth_hash``).
    session_epoch = models.PositiveIntegerField(_("会话代次"), default=0, editable=False)

    class Meta(AbstractUser.Meta):
        verbose_name = _("用户")
        verbose_name_plural = _("用户")

    def has_role(self, *roles: str) -> bool:
        return any(role in self.roles for role in roles)

    def _get_session_auth_hash(self, secret=None):
        # Django stores this hash in the session at login and compares it on every request;
        # a mismatch flushes the session. Django's own hash covers only the password.
        key_salt = "portal.accounts.models.User.session_auth_hash"
        value = f"{self.password}\x00{self.session_epoch}"
        return salted_hmac(key_salt, value, secret=secret, algorithm="sha256").hexdigest()
