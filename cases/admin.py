"""The problem list's settings an administrator tunes: the conditions of the workflow's moves
(办理条件, ``cases.requirements``). Every change is audited."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.db import transaction

from cases.models import TransitionRequirement
from cases.requirements import CHECKS
from cases.transitions import MOVES
from portal.audit.services import audit_record


class TransitionRequirementForm(forms.ModelForm):
    move = forms.ChoiceField(label=TransitionRequirement._meta.get_field("move").verbose_name, choices=[])
    check_code = forms.ChoiceField(label=TransitionRequirement._meta.get_field("check_code").verbose_name, choices=[])

    class Meta:
        model = TransitionRequirement
        fields = ["move", "check_code", "severity", "key_only", "active", "note"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["move"].choices = [(name, move.label) for name, move in MOVES.items()]
        self.fields["check_code"].choices = [(code, check.label) for code, check in CHECKS.items()]


@admin.register(TransitionRequirement)
class TransitionRequirementAdmin(admin.ModelAdmin):
    form = TransitionRequirementForm
    list_display = ["move_label", "check_label", "severity", "key_only", "active", "note"]
    list_filter = ["move", "severity", "key_only", "active"]
    list_editable = ["active"]

    @admin.display(description=TransitionRequirement._meta.get_field("move").verbose_name, ordering="move")
    def move_label(self, obj):
        move = MOVES.get(obj.move)
        return move.label if move else obj.move

    @admin.display(description=TransitionRequirement._meta.get_field("check_code").verbose_name, ordering="check_code")
    def check_label(self, obj):
        check = CHECKS.get(obj.check_code)
        return check.label if check else obj.check_code

    def _audit(self, request, obj, action: str) -> None:
        audit_record(
            actor=request.user,
            action=action,
            obj=obj,
            changes={
                "move": obj.move,
                "check": obj.check_code,
                "severity": obj.severity,
                "key_only": obj.key_only,
                "active": obj.active,
            },
        )

    def save_model(self, request, obj, form, change):
        with transaction.atomic():
            super().save_model(request, obj, form, change)
            self._audit(request, obj, "cases.requirement_change" if change else "cases.requirement_add")

    def delete_model(self, request, obj):
        with transaction.atomic():
            self._audit(request, obj, "cases.requirement_delete")
            super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        with transaction.atomic():
            for obj in queryset:
                self._audit(request, obj, "cases.requirement_delete")
            queryset.delete()
