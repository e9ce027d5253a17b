"""Shared core records that belong to no single domain."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class AdminWarning(models.Model):
    """Something an administrator must act on (e.g. next year's holiday arrangement is not
    entered yet). Raised by code that must not fail in a user's face; one row per ``key``,
    counted, shown on the admin site until resolved."""

    key = models.CharField(_("标识"), max_length=128, unique=True)
    message = models.TextField(_("内容"))
    count = models.PositiveIntegerField(_("次数"), default=1)
    first_seen = models.DateTimeField(_("首次出现"), auto_now_add=True)
    last_seen = models.DateTimeField(_("最近出现"), auto_now=True)
    resolved_at = models.DateTimeField(_("处理时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("管理员告警")
        verbose_name_plural = _("管理员告警")
        ordering = ["resolved_at", "-last_seen"]

    def __str__(self) -> str:
        return self.message
