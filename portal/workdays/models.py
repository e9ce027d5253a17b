"""The working-day calendar as data: statutory holidays and make-up workdays per year.

Seeded from ``chinesecalendar`` (2004-2026) and extended by administrators when the State
Council announces the next year's arrangement (around November). A year without a
``CalendarYear`` row is *not entered*: computations touching it fall back to weekends-only
and say so (``provisional``).
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class CalendarYear(models.Model):
    class Source(models.TextChoices):
        PACKAGE = "package", _("chinesecalendar 数据包")
        ADMIN = "admin", _("管理员录入")

    year = models.PositiveSmallIntegerField(_("年份"), primary_key=True)
    source = models.CharField(_("来源"), max_length=16, choices=Source.choices, default=Source.ADMIN)
    note = models.CharField(_("依据（国务院办公厅通知）"), max_length=200, blank=True)
    entered_at = models.DateTimeField(_("录入时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("已录入年份")
        verbose_name_plural = _("已录入年份")
        ordering = ["-year"]
        constraints = [
            models.CheckConstraint(condition=models.Q(year__gte=2000, year__lte=2100), name="calendar_year_range"),
        ]

    def __str__(self) -> str:
        return str(self.year)


class DayArrangement(models.Model):
    """A day that departs from the Monday-to-Friday rule."""

    class Kind(models.TextChoices):
        HOLIDAY = "holiday", _("法定节假日（休息）")
        WORKDAY = "workday", _("调休上班")

    date = models.DateField(_("日期"), primary_key=True)
    kind = models.CharField(_("类型"), max_length=8, choices=Kind.choices)
    name = models.CharField(_("节日"), max_length=32, blank=True)

    class Meta:
        verbose_name = _("节假日安排")
        verbose_name_plural = _("节假日安排")
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date} {self.get_kind_display()} {self.name}"
