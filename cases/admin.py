"""What an administrator tunes in cases: the conditions of the problem workflow's moves
(办理条件, ``cases.requirements``), the violation item list and the units' case systems with
their API tokens (enforcement case data). Every change is audited."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from rest_framework.authtoken.models import Token

from cases.enforcement.models import CaseUploadClient, ViolationItem
from cases.models import TransitionRequirement
from cases.requirements import CHECKS
from cases.transitions import MOVES
from portal.accounts.models import User
from portal.accounts.scoping import ScopedAdminMixin, ensure_writable
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


# --- enforcement case data (issue 15): the violation item list and the units' case systems ----


@admin.register(ViolationItem)
class ViolationItemAdmin(admin.ModelAdmin):
    """The province's list of violation items (one list for every region); audited."""

    list_display = ["code", "name", "legal_basis", "exempt_first_offence", "active"]
    list_filter = ["exempt_first_offence", "active"]
    search_fields = ["code", "name"]

    def get_readonly_fields(self, request, obj=None):
        return ["code"] if obj else []  # uploaded cases name items by code: a code never changes

    def save_model(self, request, obj, form, change):
        with transaction.atomic():
            super().save_model(request, obj, form, change)
            audit_record(
                actor=request.user,
                action="enforcement.item_change" if change else "enforcement.item_add",
                obj=obj,
                changes={name: form.cleaned_data.get(name) for name in form.changed_data},
            )

    def has_delete_permission(self, request, obj=None):
        return False  # cases point at their item: retire one with 启用 off instead


class CaseUploadClientForm(forms.ModelForm):
    username = forms.CharField(
        label=_lazy("接口账号名"),
        max_length=150,
        help_text=_lazy("新建一个只用于接口的账号（不能登录页面）；保存后显示一次其令牌。"),
    )

    class Meta:
        model = CaseUploadClient
        fields = ["name", "unit", "active"]

    def clean_username(self):
        username = self.cleaned_data["username"].strip()
        if User.objects.filter(username=username).exists():
            raise forms.ValidationError(_("账号名“%(name)s”已被使用，请换一个。") % {"name": username})
        return username


@admin.register(CaseUploadClient)
class CaseUploadClientAdmin(ScopedAdminMixin, admin.ModelAdmin):
    """A unit's case system and its API token. The token is made with the client and shown once
    (in the message after saving); it is stored as every API token of the portal is (DRF's
    ``authtoken``) and never shown again: lost, it is replaced by the action 重新签发令牌.
    Listed and edited within the administrator's region subtree (the unit's region)."""

    list_display = ["name", "unit", "user", "active"]
    list_filter = ["active"]
    search_fields = ["name", "unit__name", "user__username"]
    list_select_related = ["unit", "user"]
    actions = ["reissue_token"]

    def get_queryset(self, request):
        return CaseUploadClient.objects.visible_to(request.user, None).select_related("unit", "user")

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = CaseUploadClientForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request, obj=None):
        return ["name", "unit", "active"] if obj else ["username", "name", "unit", "active"]

    def get_readonly_fields(self, request, obj=None):
        return ["unit"] if obj else []  # a system uploads for one unit; another unit, another client

    def save_model(self, request, obj, form, change):
        ensure_writable(request.user, unit=obj.unit)
        with transaction.atomic():
            token = None
            if not change:
                user = User(username=form.cleaned_data["username"], region_id=obj.unit.region_id)
                user.set_unusable_password()
                user.save()
                obj.user = user
                token = Token.objects.create(user=user)
            obj.save()
            audit_record(
                actor=request.user,
                action="enforcement.client_change" if change else "enforcement.client_add",
                obj=obj,
                changes={"unit": obj.unit_id, "name": obj.name, "active": obj.active, "account": obj.user.username},
            )
        if token is not None:
            self._show_token(request, obj, token)

    def _show_token(self, request, obj, token) -> None:
        messages.warning(
            request,
            _("“%(name)s”的接口令牌（只显示这一次，请立即交给该系统保存）：%(token)s")
            % {"name": obj.name, "token": token.key},
        )

    @admin.action(description=_lazy("重新签发令牌（旧令牌立即失效）"))
    def reissue_token(self, request, queryset):
        for obj in queryset:
            with transaction.atomic():
                Token.objects.filter(user=obj.user).delete()
                token = Token.objects.create(user=obj.user)
                audit_record(actor=request.user, action="enforcement.client_token", obj=obj, changes={})
            self._show_token(request, obj, token)

    def has_delete_permission(self, request, obj=None):
        return False  # its uploads are audited under its account: switch it off with 启用 instead


from cases.enforcement import clue_admin  # noqa: E402, F401 - issue 19: exemption list, benchmarks, clue rules
