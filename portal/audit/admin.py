from django.contrib import admin

from portal.accounts.capabilities import Cap, has_cap
from portal.accounts.scoping import ScopedAdminMixin
from portal.audit.models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(ScopedAdminMixin, admin.ModelAdmin):
    """Read-only, and only for security auditors (the portal's /audit/ page is the main view)."""

    list_display = ["seq", "occurred_at", "actor_username", "action", "object_type", "object_id", "outcome"]
    list_filter = ["outcome"]
    search_fields = ["actor_username", "object_id", "request_id"]
    show_full_result_count = False

    def has_module_permission(self, request):
        return has_cap(request.user, Cap.VIEW_AUDIT)

    def has_view_permission(self, request, obj=None):
        return has_cap(request.user, Cap.VIEW_AUDIT)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
