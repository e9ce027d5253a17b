"""The dashboards' summary table of listed supervision (``supervision/figures.py`` fills it).
Imported by ``supervision.models`` so Django knows the model."""

from __future__ import annotations

from django.db import models

from portal.dashboards.models import FigureTable, count_field


class SupervisionFigure(FigureTable):
    """Ledger items, by the item's region and responsible unit (the items' own scoping)."""

    DIMENSIONS = ("dim", "month")

    open = count_field()
    overdue = count_field()
    delisted = count_field()
    delisted_on_time = count_field()
    delist_days = count_field()  # working days listed → delisted, summed over ``delisted``

    class Meta:
        indexes = [
            models.Index(fields=["dim", "region"], name="dash_sup_dim_region_idx"),
            models.Index(fields=["unit", "dim"], name="dash_sup_unit_dim_idx"),
        ]


class InspectionFigure(FigureTable):
    """Cross-region supervision (异地执法监督) of the current quarter, by the organiser's region:
    one subtree row (``unit`` NULL) per region on the organiser's path, so a city's row holds
    the city's own activities and the province's every activity in Henan. Activities have no
    responsible unit, so there are no unit rows (``supervision/figures.py`` fills it)."""

    DIMENSIONS = ("dim", "month")

    activities_held = count_field()
    targets_visited = count_field()
    findings = count_field()
    problems_raised = count_field()

    class Meta:
        indexes = [models.Index(fields=["dim", "region"], name="dash_insp_dim_region_idx")]


class IncidentFigure(FigureTable):
    """Incidents (突发事件), by the incident's county and the unit involved (``supervision/
    risk_figures.py`` fills it): open, limits missed, and the zero-target counts."""

    DIMENSIONS = ("dim", "month")

    open = count_field()
    missed = count_field()  # a forwarding limit missed (12m)
    reported = count_field()  # received (12m)
    duty_crime = count_field()
    conflict = count_field()
    opinion = count_field()

    class Meta:
        indexes = [
            models.Index(fields=["dim", "region"], name="dash_inc_dim_region_idx"),
            models.Index(fields=["unit", "dim"], name="dash_inc_unit_dim_idx"),
        ]
