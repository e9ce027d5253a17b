from django.contrib import admin

from portal.accounts.scoping import ScopedAdminMixin
from portal.regions.models import EnforcementDomain, Region, Unit


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "level", "parent"]
    list_filter = ["level"]
    search_fields = ["code", "name"]
    list_select_related = ["parent"]

    # Regions are reference data from the official GB/T 2260 list: the tree itself (code,
    # level, parent, and the materialized path derived from them) changes only through
    # `manage.py load_regions`, which recomputes every path in one statement. Here an
    # administrator may correct a name.
    readonly_fields = ["code", "level", "parent", "path", "depth"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Unit)
class UnitAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = ["name", "kind", "region", "parent", "active"]
    list_filter = ["kind", "active", "region__level"]
    search_fields = ["name", "region__name", "credit_code"]
    list_select_related = ["region", "parent"]
    autocomplete_fields = ["region", "parent"]
    filter_horizontal = ["domains"]


@admin.register(EnforcementDomain)
class EnforcementDomainAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "sort_order", "active"]
    list_editable = ["sort_order", "active"]
