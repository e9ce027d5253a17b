"""The dashboards' summary table of service-oriented enforcement (``service/figures.py`` fills
it). Imported by ``service.models`` so Django knows the model."""

from __future__ import annotations

from django.db import models

from portal.dashboards.models import FigureTable, count_field


class ServiceFigure(FigureTable):
    """Enterprises and the light registers, by region: subtree rows only (``unit`` NULL), one
    per region on each record's path, as ``InspectionFigure`` does."""

    DIMENSIONS = ("dim", "month")

    enterprises = count_field()
    stations = count_field()
    unassigned = count_field()
    months_below = count_field()  # leaders' closed months with fewer than 2 station days (12m)
    rest_rooms = count_field()
    open_days = count_field()
    service_points = count_field()
    case_talks = count_field()
    party_branches = count_field()
    demo_sites = count_field()

    class Meta:
        indexes = [models.Index(fields=["dim", "region"], name="dash_svc_dim_region_idx")]
