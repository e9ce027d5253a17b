"""The dashboards' summary table of complaints (``complaints/figures.py`` fills it).

Imported by ``complaints.models`` so Django knows the model; the table keeps the name it was
created with (``dashboards_complaintfigure``) when the ground floor still owned it.
"""

from __future__ import annotations

from django.db import models

from portal.dashboards.models import FigureTable, count_field


class ComplaintFigure(FigureTable):
    """Complaints, by the region and unit handling them (the complaints' own scoping)."""

    category = models.ForeignKey(
        "cases.Category", null=True, on_delete=models.CASCADE, related_name="+", db_index=False
    )  # a class (top-level category); NULL in the category dimension: not classified

    DIMENSIONS = ("dim", "category", "month")

    received = count_field()
    complaints = count_field()
    consultations = count_field()
    suggestions = count_field()
    praise = count_field()
    not_ours = count_field()
    escalated = count_field()
    closed = count_field()
    closed_on_time = count_field()
    called_back = count_field()
    satisfied = count_field()
    open = count_field()
    overdue = count_field()
    conflict = count_field()

    class Meta:
        db_table = "dashboards_complaintfigure"
        indexes = [
            models.Index(fields=["dim", "region"], name="dash_complaint_dim_region_idx"),
            models.Index(fields=["unit", "dim"], name="dash_complaint_unit_dim_idx"),
        ]
