"""Summary tables of the dashboards (数据看板), rebuilt as a whole by
``portal.dashboards.services.figures_refresh`` (Celery beat, every few minutes).

A row holds the figures of one value of one dimension: ``dim`` says which (all, a category
class, a domain, a month, an accountability measure); the other dimension columns stay NULL.
Two kinds of rows:

- *unit rows* (``unit`` set): the records of one unit in one region;
- *subtree rows* (``unit`` NULL): the sum of the unit rows of every region under ``region``
  (itself included), so a region's dashboard reads a few dozen rows whatever the data size.

Rows are read through ``visible_to`` like every other read: a subtree row belongs to the
region it sums, and that region's whole subtree is visible to whoever may see the region.
What each figure counts is defined in ``portal/dashboards/figures.py``.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from portal.accounts.scoping import ScopedQuerySet


class Dim(models.TextChoices):
    ALL = "all", _("合计")
    CATEGORY = "category", _("问题类别")
    DOMAIN = "domain", _("执法领域")
    MONTH = "month", _("月份")
    MEASURE = "measure", _("问责方式")


def _count():
    return models.PositiveIntegerField(default=0, db_default=0)


def figure_fields(model) -> list[str]:
    """The names of a figure table's counts."""
    return [f.name for f in model._meta.concrete_fields if isinstance(f, models.PositiveIntegerField)]


class Snapshot(models.Model):
    """One row (pk=1): when the figures were computed, and the day they describe."""

    computed_at = models.DateTimeField(_("数据截至"))
    today = models.DateField(_("统计日"))  # overdue means "deadline before this day"
    window_start = models.DateField(_("统计期起"))  # first day of the twelve months shown
    duration_ms = models.PositiveIntegerField(_("计算耗时（毫秒）"), default=0)
    # The category class counted as conflicts (figures.CONFLICT_CLASS) when the figures were made.
    conflict_class = models.ForeignKey(
        "cases.Category", verbose_name=_("冲突类别"), null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("看板统计快照")
        verbose_name_plural = _("看板统计快照")
        constraints = [models.CheckConstraint(condition=Q(pk=1), name="dashboard_snapshot_single_row")]

    def __str__(self) -> str:
        return f"{self.computed_at:%Y-%m-%d %H:%M}"


class FigureBase(models.Model):
    dim = models.CharField(max_length=8, choices=Dim.choices)
    region = models.ForeignKey("regions.Region", on_delete=models.CASCADE, related_name="+", db_index=False)
    unit = models.ForeignKey(
        "regions.Unit", null=True, on_delete=models.CASCADE, related_name="+", db_index=False
    )  # NULL: the region's subtree
    category = models.ForeignKey(
        "cases.Category", null=True, on_delete=models.CASCADE, related_name="+", db_index=False
    )  # a class (top-level category); NULL in the category dimension: not classified
    month = models.DateField(null=True)  # first day of the month

    objects = ScopedQuerySet.as_manager()
    scope_region_field = "region"

    class Meta:
        abstract = True


class ProblemFigure(FigureBase):
    """Problems (by the problem's region and responsible unit) and accountability records (by
    the problem's region and the unit of the person held accountable)."""

    domain = models.ForeignKey(
        "regions.EnforcementDomain", null=True, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    measure = models.CharField(max_length=16, blank=True, db_default="")  # Accountability.Measure

    DIMENSIONS = ("dim", "category", "domain", "month", "measure")

    total = _count()
    registered = _count()
    assigned = _count()
    rectifying = _count()
    submitted = _count()
    open = _count()
    overdue = _count()
    key_open = _count()
    key_overdue = _count()
    found = _count()
    closed = _count()
    closed_on_time = _count()
    closed_month = _count()
    opinion = _count()
    conflict = _count()
    accountable = _count()
    duty_crime = _count()

    class Meta:
        indexes = [
            models.Index(fields=["dim", "region"], name="dash_problem_dim_region_idx"),
            models.Index(fields=["unit", "dim"], name="dash_problem_unit_dim_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.dim} {self.region_id}/{self.unit_id}"


class ComplaintFigure(FigureBase):
    """Complaints, by the region and unit handling them (the complaints' own scoping)."""

    DIMENSIONS = ("dim", "category", "month")

    received = _count()
    complaints = _count()
    consultations = _count()
    suggestions = _count()
    praise = _count()
    not_ours = _count()
    escalated = _count()
    closed = _count()
    closed_on_time = _count()
    called_back = _count()
    satisfied = _count()
    open = _count()
    overdue = _count()
    conflict = _count()

    class Meta:
        indexes = [
            models.Index(fields=["dim", "region"], name="dash_complaint_dim_region_idx"),
            models.Index(fields=["unit", "dim"], name="dash_complaint_unit_dim_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.dim} {self.region_id}/{self.unit_id}"
