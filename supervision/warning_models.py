"""Monitoring warnings (监测预警, issue 18 §2): what the nightly job raised and what staff did.

A ``MonitoringWarning`` is one series (complaints or problems; of one unit or one region; in one
category) whose recent window was improbably high for it (``surge``), a category new for the
unit (``new``, 苗头) or three rises in a row (``rising``, 倾向). It keeps the figures it
was raised on (observed count, expected, threshold, dispersion, the windows for the chart) so
the page shows them as they were that night. Staff acknowledge it, record an intervention
(干预措施) or dismiss it with a reason: ``supervision/warning_transitions.py``, compare-and-swap
on ``version``, audited. ``MonitoringRun`` is one night's run: how many series were looked at,
how many had too little history to warn (and so raised nothing) and how long it took.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal.accounts.scoping import ScopedQuerySet


class MonitoringWarning(models.Model):
    class Kind(models.TextChoices):
        SURGE = "surge", _("异常增多")
        NEW = "new", _("苗头：新出现的问题类别")
        RISING = "rising", _("倾向：连续三次上升")

    class Source(models.TextChoices):
        COMPLAINT = "complaint", _("投诉举报")
        PROBLEM = "problem", _("问题线索")

    class Status(models.TextChoices):
        OPEN = "open", _("待处理")
        ACKNOWLEDGED = "acknowledged", _("已确认")
        INTERVENED = "intervened", _("已干预")
        DISMISSED = "dismissed", _("已排除")

    class Intervention(models.TextChoices):
        TALK = "talk", _("约谈")
        REMIND = "remind", _("提醒")
        SPECIAL_CHECK = "special_check", _("专项检查")
        NOTICE = "notice", _("通报")
        SUPERVISION = "supervision", _("挂牌督办")
        OTHER = "other", _("其他")

    kind = models.CharField(_("预警类型"), max_length=8, choices=Kind.choices)
    source = models.CharField(_("数据来源"), max_length=12, choices=Source.choices)
    # A unit series carries its unit (and the unit's region); a region series only its region.
    unit = models.ForeignKey(
        "regions.Unit", verbose_name=_("单位"), null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    region = models.ForeignKey("regions.Region", verbose_name=_("区划"), on_delete=models.CASCADE, related_name="+")
    category = models.ForeignKey(
        "cases.Category", verbose_name=_("问题类别"), null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    series_key = models.CharField(_("序列标识"), max_length=64)
    window_end = models.DateField(_("窗口截止日"))
    window_days = models.PositiveSmallIntegerField(_("窗口天数"))
    observed = models.PositiveIntegerField(_("本窗口数量"))
    expected = models.FloatField(_("基线均值"))
    threshold = models.PositiveIntegerField(_("预警阈值"))
    dispersion = models.FloatField(_("离散系数"), default=1.0)
    strong = models.BooleanField(_("强预警"), default=False)
    windows = models.JSONField(_("各窗口数量"), default=list)  # oldest first, the current one last
    params = models.JSONField(_("方法参数"), default=dict)

    status = models.CharField(_("状态"), max_length=12, choices=Status.choices, default=Status.OPEN)
    version = models.PositiveIntegerField(_("版本"), default=1)
    intervention = models.CharField(_("干预措施"), max_length=16, choices=Intervention.choices, blank=True)
    note = models.TextField(_("处理说明"), blank=True)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    handled_at = models.DateTimeField(_("处理时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("产生时间"), default=timezone.now)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("监测预警")
        verbose_name_plural = _("监测预警")
        ordering = ["-window_end", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["series_key", "kind", "window_end"], name="warning_series_kind_day_unique"),
            models.CheckConstraint(condition=Q(observed__gte=0), name="warning_observed_nonnegative"),
            models.CheckConstraint(condition=~Q(status="dismissed") | ~Q(note=""), name="warning_dismissed_has_reason"),
            models.CheckConstraint(
                condition=~Q(status="intervened") | ~Q(intervention=""), name="warning_intervened_has_measure"
            ),
        ]
        indexes = [
            models.Index(fields=["region", "-window_end"], name="warning_region_day_idx"),
            models.Index(fields=["series_key", "-window_end"], name="warning_series_day_idx"),
            models.Index(
                fields=["unit", "category"], name="warning_strong_open_idx", condition=Q(strong=True, status="open")
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.series_key} {self.window_end}"

    @property
    def is_open(self) -> bool:
        return self.status in (self.Status.OPEN, self.Status.ACKNOWLEDGED)


class MonitoringRun(models.Model):
    """One nightly run: what it looked at, what it raised, and what it could not judge."""

    day = models.DateField(_("监测日"), unique=True)
    series = models.PositiveIntegerField(_("序列数"), default=0)
    no_history = models.PositiveIntegerField(_("历史不足的序列数"), default=0)
    raised = models.JSONField(_("产生预警"), default=dict)
    no_history_units = models.JSONField(_("历史不足的单位"), default=list)  # unit ids, at most 200
    count_seconds = models.FloatField(_("计数耗时（秒）"), default=0)
    total_seconds = models.FloatField(_("总耗时（秒）"), default=0)
    finished_at = models.DateTimeField(_("完成时间"), default=timezone.now)

    class Meta:
        verbose_name = _("监测运行")
        verbose_name_plural = _("监测运行")
        ordering = ["-day"]

    def __str__(self) -> str:
        return str(self.day)
