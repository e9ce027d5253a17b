"""User management for security administrators (separate from system administration).

Scoped like everything else: a city's security administrator sees and edits the accounts of
its subtree only, and can grant only the roles below the province's own administration roles;
nobody edits their own roles; every change is audited in the same transaction."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.forms import UserChangeForm
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from portal.accounts.capabilities import Cap, has_cap
from portal.accounts.models import Role, User
from portal.accounts.scoping import PROVINCE_CODE, ScopedAdminMixin
from portal.audit.services import audit_record, diff
from portal.core.masking import mask_phone

# Only a province-level security administrator may hand out administration roles.
PROVINCE_ONLY_ROLES = {Role.PROVINCE_ADMIN, Role.SECURITY_ADMIN, Role.SECURITY_AUDITOR, Role.PROVINCE_STAFF}
AUDITED = ("username", "first_name", "last_name", "email", "region", "unit", "roles", "is_active", "is_staff")


class RolesField(forms.MultipleChoiceField):
    widget = forms.CheckboxSelectMultiple


class RolesMixin:
    def clean_roles(self):
        roles = set(self.cleaned_data.get("roles") or [])
        actor = self.request.user if self.request else None
        if actor is None:
            return sorted(roles)
        if self.instance.pk == actor.pk and roles != set(self.instance.roles or []):
            raise ValidationError(_("不能修改自己的角色。"))
        if actor.region_id != PROVINCE_CODE and roles & PROVINCE_ONLY_ROLES:
            raise ValidationError(_("只有省级安全管理员可以授予管理类和省厅角色。"))
        return sorted(roles)


class UserRolesForm(RolesMixin, UserChangeForm):
    roles = RolesField(label=_("角色"), choices=Role.choices, required=False)

    class Meta(UserChangeForm.Meta):
        model = User
        fields = "__all__"

    def __init__(self, *args, request=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.request = request


class UserCreateForm(RolesMixin, forms.ModelForm):
    roles = RolesField(label=_("角色"), choices=Role.choices, required=False)
    password = forms.CharField(label=_("初始密码"), widget=forms.PasswordInput, required=True)

    class Meta:
        model = User
        fields = ["username", "first_name", "email", "phone", "region", "unit", "roles"]

    def __init__(self, *args, request=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.request = request

    def clean_password(self):
        from django.contrib.auth.password_validation import validate_password

        password = self.cleaned_data["password"]
        validate_password(password)
        return password


@admin.register(User)
class PortalUserAdmin(ScopedAdminMixin, UserAdmin):
    form = UserRolesForm
    add_form = UserCreateForm
    list_display = ["username", "first_name", "region", "unit", "roles_display", "phone_masked", "is_active"]
    list_filter = ["is_active", "region__level"]
    search_fields = ["username", "first_name", "last_name"]
    list_select_related = ["region", "unit"]
    ordering = ["region_id", "username"]
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("个人信息"), {"fields": ("first_name", "last_name", "email", "phone")}),
        (_("区划、单位与角色"), {"fields": ("region", "unit", "roles", "is_active", "is_staff")}),
        (_("时间"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (None, {"fields": ("username", "password", "first_name", "email", "phone", "region", "unit", "roles")}),
    )
    readonly_fields = ["last_login", "date_joined"]
    filter_horizontal = []

    def get_form(self, request, obj=None, **kwargs):
        form_class = super().get_form(request, obj, **kwargs)

        class WithRequest(form_class):
            def __init__(self, *args, **kw):
                super().__init__(*args, request=request, **kw)

        return WithRequest

    @admin.display(description=_("角色"))
    def roles_display(self, obj):
        return "、".join(str(Role(r).label) for r in obj.roles if r in Role.values)

    @admin.display(description=_("手机号"))
    def phone_masked(self, obj):
        return mask_phone(obj.phone)

    def _allowed(self, request) -> bool:
        return has_cap(request.user, Cap.MANAGE_USERS)

    def has_module_permission(self, request):
        return self._allowed(request)

    def has_view_permission(self, request, obj=None):
        return self._allowed(request)

    def has_change_permission(self, request, obj=None):
        return self._allowed(request)

    def has_add_permission(self, request):
        return self._allowed(request)

    def has_delete_permission(self, request, obj=None):
        return False  # accounts are deactivated, never deleted: the audit trail names them

    @transaction.atomic
    def save_model(self, request, obj, form, change):
        before = {}
        if change:
            old = User.objects.get(pk=obj.pk)
            before = {f: getattr(old, f"{f}_id" if f in ("region", "unit") else f) for f in AUDITED}
        else:
            obj.set_password(form.cleaned_data["password"])
        obj.is_superuser = False if not change else User.objects.get(pk=obj.pk).is_superuser
        super().save_model(request, obj, form, change)
        after = {f: getattr(obj, f"{f}_id" if f in ("region", "unit") else f) for f in AUDITED}
        audit_record(
            actor=request.user, action="user.update" if change else "user.create", obj=obj, changes=diff(before, after)
        )
