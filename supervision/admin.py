"""Risks' configuration in the admin site: the incident classes and their forwarding limits in
clock minutes (county → city, city → province; 30 and 60 by default), and which of the three
zero-targets a class counts towards. A changed limit applies to incidents reported afterwards:
an incident's limits are fixed when each level receives it (``supervision/incidents.py``). And the
duty officers of each region, scoped like every admin list."""

from __future__ import annotations

from django.contrib import admin

from portal.accounts.scoping import ScopedAdminMixin
from supervision.models import DutyOfficer, IncidentClass


@admin.register(IncidentClass)
class IncidentClassAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "county_to_city_minutes", "city_to_province_minutes", "zero_goal", "sort_order"]
    list_editable = ["county_to_city_minutes", "city_to_province_minutes"]
    ordering = ["sort_order", "code"]


@admin.register(DutyOfficer)
class DutyOfficerAdmin(ScopedAdminMixin, admin.ModelAdmin):
    """Who receives a region's incident alerts (值班人员); a region with none: its staff."""

    list_display = ["region", "user"]
    list_select_related = ["region", "user"]
    raw_id_fields = ["user"]  # no drop-down of every account in the province
    autocomplete_fields = ["region"]
