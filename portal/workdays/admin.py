from django.contrib import admin

from portal.workdays.calendar import bump_version
from portal.workdays.models import CalendarYear, DayArrangement


class BumpVersionMixin:
    """Any edit through the admin makes every process reload the calendar."""

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        bump_version()

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        bump_version()

    def delete_queryset(self, request, queryset):
        super().delete_queryset(request, queryset)
        bump_version()


@admin.register(DayArrangement)
class DayArrangementAdmin(BumpVersionMixin, admin.ModelAdmin):
    list_display = ["date", "kind", "name"]
    list_filter = ["kind", "date"]
    date_hierarchy = "date"
    search_fields = ["name"]


@admin.register(CalendarYear)
class CalendarYearAdmin(BumpVersionMixin, admin.ModelAdmin):
    list_display = ["year", "source", "note", "entered_at"]
