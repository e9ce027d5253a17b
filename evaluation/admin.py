from django.contrib import admin, messages

from evaluation import services
from evaluation.forms import IndicatorForm
from evaluation.models import Indicator, IndicatorSystem


class IndicatorInline(admin.TabularInline):
    model = Indicator
    form = IndicatorForm  # the same check as the indicator page (unknown figure, flat curve)
    extra = 0


@admin.register(IndicatorSystem)
class IndicatorSystemAdmin(admin.ModelAdmin):
    list_display = ["year", "created_at"]
    inlines = [IndicatorInline]

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        for problem in services.weight_problems(form.instance):  # the weight check, said after saving
            messages.warning(request, problem)
