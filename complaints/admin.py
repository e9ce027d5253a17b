"""The complaint loop's configuration in the admin site: time limits, intake settings, the routing
rule table, volunteer supervisors and the API clients. Complaints themselves are handled on the
portal's pages (personal data is masked there and revealed only through the audited endpoint)."""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from complaints.models import IntakeClient, IntakeSettings, RoutingRule, TimeLimit, VolunteerSupervisor
from complaints.routing import refdata_changed
from portal.accounts.scoping import ScopedAdminMixin
from portal.core.masking import mask_name


class RefreshesRefData:
    """Edits here change what intake reads: tell every process to reload it."""

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        refdata_changed()

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        refdata_changed()

    def delete_queryset(self, request, queryset):
        super().delete_queryset(request, queryset)
        refdata_changed()


@admin.register(TimeLimit)
class TimeLimitAdmin(RefreshesRefData, admin.ModelAdmin):
    list_display = [
        "kind",
        "accept_days",
        "handle_days",
        "extension_days",
        "max_extensions",
        "warn_days",
        "callback_days",
    ]
    list_editable = ["accept_days", "handle_days", "extension_days", "max_extensions", "warn_days", "callback_days"]


@admin.register(IntakeSettings)
class IntakeSettingsAdmin(RefreshesRefData, admin.ModelAdmin):
    list_display = ["__str__", "duplicate_window_days", "similarity_threshold"]

    def has_add_permission(self, request):
        return not IntakeSettings.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(RoutingRule)
class RoutingRuleAdmin(RefreshesRefData, ScopedAdminMixin, admin.ModelAdmin):
    list_display = ["region", "area", "unit", "active", "note"]
    list_filter = ["area", "active"]
    search_fields = ["region__name", "unit__name", "note"]
    list_select_related = ["region", "unit"]
    autocomplete_fields = ["region", "unit"]


@admin.register(VolunteerSupervisor)
class VolunteerSupervisorAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = ["number", "masked_name", "organisation", "region", "appointed_on", "active"]
    list_filter = ["active"]
    search_fields = ["number", "organisation"]
    list_select_related = ["region"]
    # the name and phone are personal data: registered and edited on the portal's pages
    fields = ["number", "organisation", "region", "appointed_on", "active"]
    autocomplete_fields = ["region"]

    @admin.display(description=_("姓名"))
    def masked_name(self, obj):
        return mask_name(obj.name)

    def has_add_permission(self, request):
        return False


@admin.register(IntakeClient)
class IntakeClientAdmin(admin.ModelAdmin):
    list_display = ["name", "channel", "user", "active"]
    list_filter = ["channel", "active"]
    raw_id_fields = ["user"]
