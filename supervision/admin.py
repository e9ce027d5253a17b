"""What an administrator keeps of enforcement supervision (执法监督): the checklists of the
supervision handbook (《交通运输执法监督工作手册》), versioned: a version a record has used is
never edited (the record keeps the version it used), a new version is added instead. The pool
is shown read-only here; it is kept on its own pages (``/supervision/pool/``), which audit every
change. Every change made here is audited in the same transaction.

Risks' configuration too: the incident classes and their forwarding limits in clock minutes
(county → city, city → province; 30 and 60 by default), and which of the three zero-targets a
class counts towards. A changed limit applies to incidents reported afterwards: an incident's
limits are fixed when each level receives it (``supervision/incidents.py``). And the duty officers
of each region, scoped like every admin list."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from portal.accounts.scoping import ScopedAdminMixin
from portal.audit.services import audit_record
from supervision.models import (
    Avoidance,
    ChecklistVersion,
    DutyOfficer,
    IncidentClass,
    InspectionRecord,
    Inspector,
    InspectorStatus,
)


class ChecklistVersionForm(forms.ModelForm):
    items_text = forms.CharField(
        label=_("检查事项（每行一项）"),
        widget=forms.Textarea(attrs={"rows": 12, "cols": 80}),
        help_text=_("每行一项，按手册的顺序排列；空行会被忽略。"),
    )

    class Meta:
        model = ChecklistVersion
        fields = ["method", "version", "active"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["items_text"].initial = "\n".join(self.instance.items or [])

    def clean_items_text(self):
        items = [line.strip() for line in self.cleaned_data["items_text"].splitlines() if line.strip()]
        if not items:
            raise forms.ValidationError(_("请至少填写一项检查事项。"))
        if len(items) > 100:
            raise forms.ValidationError(_("检查事项不能超过 100 项。"))
        return items

    def clean(self):
        cleaned = super().clean()
        used = self.instance.pk and InspectionRecord.objects.filter(checklist=self.instance).exists()
        if used and "items_text" in cleaned and cleaned["items_text"] != self.instance.items:
            raise forms.ValidationError(
                _("该版本已被检查记录使用，不能修改检查事项；请新增一个版本（版本号加一），并停用旧版本。")
            )
        return cleaned


@admin.register(ChecklistVersion)
class ChecklistVersionAdmin(admin.ModelAdmin):
    form = ChecklistVersionForm
    list_display = ["method", "version", "active", "item_count", "created_at"]
    list_filter = ["method", "active"]
    ordering = ["method", "-version"]

    @admin.display(description=_("事项数"))
    def item_count(self, obj):
        return len(obj.items or [])

    def save_model(self, request, obj, form, change):
        obj.items = form.cleaned_data["items_text"]
        with transaction.atomic():
            super().save_model(request, obj, form, change)
            audit_record(
                actor=request.user,
                action="supervision.checklist_change" if change else "supervision.checklist_add",
                obj=obj,
                changes={"method": obj.method, "version": obj.version, "active": obj.active, "items": len(obj.items)},
            )

    def has_delete_permission(self, request, obj=None):
        return False  # records keep the version they used


class _ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class InspectorStatusInline(_ReadOnlyInline):
    model = InspectorStatus
    fields = ["status", "starts_on", "ends_on", "note"]


class AvoidanceInline(_ReadOnlyInline):
    model = Avoidance
    fields = ["unit", "region", "reason"]


@admin.register(Inspector)
class InspectorAdmin(ScopedAdminMixin, admin.ModelAdmin):
    """Read-only and scoped (a city's administrator sees the city's pool): the pool is kept on
    its pages, which audit each change."""

    list_display = ["code", "name", "pool_region", "home_region", "home_unit", "user"]
    list_filter = ["pool_region"]
    search_fields = ["code", "name"]
    list_select_related = ["pool_region", "home_region", "home_unit", "user"]
    inlines = [InspectorStatusInline, AvoidanceInline]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


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
