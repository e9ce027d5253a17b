from django.contrib import admin

from evaluation.models import Indicator, IndicatorSystem


class IndicatorInline(admin.TabularInline):
    model = Indicator
    extra = 0


@admin.register(IndicatorSystem)
class IndicatorSystemAdmin(admin.ModelAdmin):
    list_display = ["year", "created_at"]
    inlines = [IndicatorInline]
