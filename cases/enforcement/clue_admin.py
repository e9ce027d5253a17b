"""Admin of issue 19 (imported by ``cases/admin.py``): the exemption items and benchmark ranges
(versions; min above max or overlapping versions refused on the form with a message, nothing
saved), and the clue rules (on/off, thresholds that must be numbers). Every save goes through
``clue_services`` (checked under a lock, audited)."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from cases.enforcement import clue_services
from cases.enforcement.clue_models import Clue, ClueRule, Condition, DiscretionBenchmark, ExemptionItem
from cases.enforcement.clues import RULES, params_check
from portal.accounts.scoping import ScopedAdminMixin


class ExemptionItemForm(forms.ModelForm):
    conditions = forms.MultipleChoiceField(
        label=_lazy("免罚条件"), choices=Condition.choices, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = ExemptionItem
        fields = [
            "violation_item",
            "name",
            "legal_basis",
            "conditions",
            "first_offence_days",
            "effective_from",
            "effective_to",
            "provenance",
            "note",
        ]

    def clean(self):
        data = super().clean()
        start, end, item = data.get("effective_from"), data.get("effective_to"), data.get("violation_item")
        if start and end and end <= start:
            self.add_error("effective_to", _("失效日期须晚于生效日期。"))
        elif start and item:
            message = clue_services.version_overlap_error(
                ExemptionItem, violation_item=item, start=start, end=end, exclude_pk=self.instance.pk
            )
            if message:
                self.add_error("effective_from", message)
        return data


class BenchmarkForm(forms.ModelForm):
    class Meta:
        model = DiscretionBenchmark
        fields = [
            "violation_item",
            "level",
            "min_amount",
            "max_amount",
            "effective_from",
            "effective_to",
            "provenance",
            "note",
        ]

    def clean(self):
        data = super().clean()
        lo, hi = data.get("min_amount"), data.get("max_amount")
        if lo is not None and hi is not None and lo > hi:
            self.add_error(
                "max_amount",
                _("罚款上限（%(max)s 元）低于下限（%(min)s 元）：请改为不低于下限的金额。") % {"max": hi, "min": lo},
            )
        start, end, item = data.get("effective_from"), data.get("effective_to"), data.get("violation_item")
        if start and end and end <= start:
            self.add_error("effective_to", _("失效日期须晚于生效日期。"))
        elif start and item and data.get("level"):
            message = clue_services.version_overlap_error(
                DiscretionBenchmark,
                violation_item=item,
                start=start,
                end=end,
                exclude_pk=self.instance.pk,
                level=data["level"],
            )
            if message:
                self.add_error("effective_from", message)
        return data


class _ServiceSaveMixin:
    def save_model(self, request, obj, form, change):
        try:
            self.service(actor=request.user, **{self.argument: obj})
        except ValidationError as exc:  # a concurrent overlap (checked again under the lock)
            self.message_user(request, " ".join(exc.messages), level="error")

    def has_delete_permission(self, request, obj=None):
        return False  # a version that judged cases stays; end it with a 失效日期 instead


@admin.register(ExemptionItem)
class ExemptionItemAdmin(_ServiceSaveMixin, admin.ModelAdmin):
    form = ExemptionItemForm
    list_display = ["name", "violation_item", "effective_from", "effective_to", "provenance"]
    list_filter = ["provenance"]
    search_fields = ["name", "violation_item__code"]
    service = staticmethod(clue_services.exemption_item_save)
    argument = "item"


@admin.register(DiscretionBenchmark)
class DiscretionBenchmarkAdmin(_ServiceSaveMixin, admin.ModelAdmin):
    form = BenchmarkForm
    list_display = ["violation_item", "level", "min_amount", "max_amount", "effective_from", "effective_to"]
    list_filter = ["level", "provenance"]
    service = staticmethod(clue_services.benchmark_save)
    argument = "benchmark"


class ClueRuleForm(forms.ModelForm):
    params = forms.JSONField(label=_lazy("阈值参数"), required=False, help_text=_lazy('例如 {"window_days": 90}'))

    class Meta:
        model = ClueRule
        fields = ["enabled", "params"]

    def clean_params(self):
        value = self.cleaned_data.get("params") or {}
        if self.instance.code not in RULES:
            return value
        try:
            return params_check(self.instance.code, value)
        except ValueError as exc:
            raise forms.ValidationError(str(exc)) from exc


@admin.register(ClueRule)
class ClueRuleAdmin(admin.ModelAdmin):
    form = ClueRuleForm
    list_display = ["code", "name", "enabled", "params", "updated_at"]
    readonly_fields = ["code", "name", "description"]

    def has_add_permission(self, request):
        return False  # the rules are the engine's (cases/enforcement/clues.py)

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        fresh = ClueRule.objects.get(pk=obj.pk)
        clue_services.clue_rule_update(
            actor=request.user, rule=fresh, enabled=form.cleaned_data["enabled"], params=form.cleaned_data["params"]
        )


@admin.register(Clue)
class ClueAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = ["rule", "unit", "region", "status", "case_count", "found_at"]
    list_filter = ["status", "rule"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False  # accepted or dismissed on the clue's page (compare-and-swap, audited)

    def has_delete_permission(self, request, obj=None):
        return False
