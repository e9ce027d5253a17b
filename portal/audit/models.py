"""The audit trail: append-only and hash-chained.

Each event carries ``seq`` (its place in the chain) and ``prev_hash`` (the hash of the event
before it); ``hash`` covers every field including both. Inserts take a transaction-level
advisory lock, so concurrent writers append one after another and never fork the chain. A
database trigger refuses UPDATE, DELETE and TRUNCATE (migration 0002), and
``manage.py verify_audit`` walks the chain and names the first changed, deleted, inserted or
reordered event.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from portal.accounts.scoping import ScopedQuerySet


class AuditEvent(models.Model):
    class Outcome(models.TextChoices):
        SUCCESS = "success", _("成功")
        DENIED = "denied", _("拒绝")
        FAILED = "failed", _("失败")

    seq = models.BigIntegerField(_("序号"), unique=True)
    occurred_at = models.DateTimeField(_("时间 (UTC)"), db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    actor_username = models.CharField(_("用户名"), max_length=150, blank=True)
    actor_roles = models.CharField(_("角色"), max_length=200, blank=True)
    actor_region = models.CharField(_("区划"), max_length=6, blank=True, db_index=True)
    action = models.CharField(_("操作"), max_length=64, db_index=True)
    object_type = models.CharField(_("对象类型"), max_length=64, blank=True)
    object_id = models.CharField(_("对象ID"), max_length=64, blank=True)
    changes = models.JSONField(_("变更（前/后）"), default=dict, blank=True)
    request_id = models.CharField(_("请求ID"), max_length=64, blank=True)
    ip = models.GenericIPAddressField(_("IP"), null=True, blank=True)
    outcome = models.CharField(_("结果"), max_length=8, choices=Outcome.choices, default=Outcome.SUCCESS)
    prev_hash = models.CharField(_("前一条哈希"), max_length=64)
    hash = models.CharField(_("哈希"), max_length=64)

    objects = ScopedQuerySet.as_manager()
    # An auditor sees the events of actors in their subtree; system and anonymous events
    # (no region) only at province level.
    scope_region_field = "actor_region"

    class Meta:
        verbose_name = _("审计事件")
        verbose_name_plural = _("审计事件")
        ordering = ["-seq"]
        indexes = [
            models.Index(fields=["object_type", "object_id"], name="audit_object_idx"),
            models.Index(fields=["actor_username", "occurred_at"], name="audit_actor_time_idx"),
        ]

    def __str__(self) -> str:
        return f"#{self.seq} {self.action} {self.object_type}:{self.object_id}"
