"""Summary tables of the dashboards (数据看板), rebuilt as a whole by
``portal.dashboards.services.figures_refresh`` (Celery beat, every few minutes).

Each figure set (an app's ``figures.py``) keeps its own table, a ``FigureTable`` declared in
its app (``cases.models.ProblemFigure``, ``complaints.models.ComplaintFigure``). A row holds
the figures of one value of one dimension: ``dim`` says which (all, a month, or one of the
app's own such as a category class); the other dimension columns stay NULL.
Two kinds of rows:

- *unit rows* (``unit`` set): the records of one unit in one region;
- *subtree rows* (``unit`` NULL): the sum of the unit rows of every region under ``region``
  (itself included), so a region's dashboard reads a few dozen rows whatever the data size.

Rows are read through ``visible_to`` like every other read: a subtree row belongs to the
region it sums, and that region's whole subtree is visible to whoever may see the region.
What each figure counts is defined in the app's ``figures.py``.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from portal.accounts.scoping import ScopedQuerySet


class Dim:
    """Dimensions every figure table has; an app's table adds its own (``cases.figures.Dim``)."""

    ALL = "all"
    MONTH = "month"


def count_field():
    """A count column of a figure table (0 when a row's group had none)."""
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
    # What the figure sets wrote down when they computed the figures, by set (for example the
    # category class counted as conflicts): {"problems": {...}, "complaints": {...}}.
    facts = models.JSONField(_("统计口径参数"), default=dict, blank=True)

    class Meta:
        verbose_name = _("看板统计快照")
        verbose_name_plural = _("看板统计快照")
        constraints = [models.CheckConstraint(condition=Q(pk=1), name="dashboard_snapshot_single_row")]

    def __str__(self) -> str:
        return f"{self.computed_at:%Y-%m-%d %H:%M}"


class FigureTable(models.Model):
    """A summary table of one figure set (``portal.dashboards.registry``): one row per value of
    one dimension (``dim``) per region and unit (unit NULL: the region's subtree). An app's
    table adds its own dimension columns (listed in ``DIMENSIONS``) and its counts
    (``count_field()``)."""

    dim = models.CharField(max_length=8)
    region = models.ForeignKey("regions.Region", on_delete=models.CASCADE, related_name="+", db_index=False)
    unit = models.ForeignKey(
        "regions.Unit", null=True, on_delete=models.CASCADE, related_name="+", db_index=False
    )  # NULL: the region's subtree
    month = models.DateField(null=True)  # first day of the month

    objects = ScopedQuerySet.as_manager()
    scope_region_field = "region"
    DIMENSIONS: tuple[str, ...] = ("dim", "month")

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{self.dim} {self.region_id}/{self.unit_id}"
