from django.contrib import admin
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal.core.models import AdminWarning


@admin.register(AdminWarning)
class AdminWarningAdmin(admin.ModelAdmin):
    list_display = ["message", "count", "first_seen", "last_seen", "resolved_at"]
    list_filter = [("resolved_at", admin.EmptyFieldListFilter)]
    readonly_fields = ["key", "message", "count", "first_seen", "last_seen", "resolved_at"]
    actions = ["mark_resolved"]

    def has_add_permission(self, request):
        return False

    @admin.action(description=_("标记为已处理"))
    def mark_resolved(self, request, queryset):
        queryset.filter(resolved_at__isnull=True).update(resolved_at=timezone.now())
