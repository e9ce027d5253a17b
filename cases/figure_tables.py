"""The dashboards' summary table of problems and accountability (``cases/figures.py`` fills it).

Imported by ``cases.models`` so Django knows the model; the table keeps the name it was
created with (``dashboards_problemfigure``) when the ground floor still owned it.
"""

from __future__ import annotations

from django.db import models

from portal.dashboards.models import FigureTable, count_field


class ProblemFigure(FigureTable):
    """Problems (by the problem's region and responsible unit) and accountability records (by
    the problem's region and the unit of the person held accountable)."""

    category = models.ForeignKey(
        "cases.Category", null=True, on_delete=models.CASCADE, related_name="+", db_index=False
    )  # a class (top-level category); NULL in the category dimension: not classified
    domain = models.ForeignKey(
        "regions.EnforcementDomain", null=True, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    measure = models.CharField(max_length=16, blank=True, db_default="")  # Accountability.Measure

    DIMENSIONS = ("dim", "category", "domain", "month", "measure")

    total = count_field()
    registered = count_field()
    assigned = count_field()
    rectifying = count_field()
    submitted = count_field()
    open = count_field()
    overdue = count_field()
    key_open = count_field()
    key_overdue = count_field()
    found = count_field()
    closed = count_field()
    closed_on_time = count_field()
    closed_month = count_field()
    closed_unverified = count_field()  # closed without a recorded verification
    opinion = count_field()
    conflict = count_field()
    accountable = count_field()
    duty_crime = count_field()

    class Meta:
        db_table = "dashboards_problemfigure"
        indexes = [
            models.Index(fields=["dim", "region"], name="dash_problem_dim_region_idx"),
            models.Index(fields=["unit", "dim"], name="dash_problem_unit_dim_idx"),
        ]
