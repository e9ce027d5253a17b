"""The one region-scoping mechanism.

A user sees the subtree of their home region: a county its own county, a city itself and its
counties, the province everything. Every list, detail, count, export, search, autocomplete,
admin change list and API goes through ``visible_to`` here, and every write that names a
region or unit goes through ``ensure_writable``. Out of scope answers exactly like missing.

Scoped models use ``ScopedQuerySet`` and name the path to their region in
``scope_region_field`` (``"region"`` by default). The filter is a semi-join on the regions'
materialized path, ``region_id IN (SELECT code FROM regions_region WHERE path LIKE 'p%')``:
no extra query, and PostgreSQL drives it from the region index.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.db.models import Q
from django.http import Http404
from django.utils.translation import gettext_lazy as _

from portal.accounts.capabilities import Cap, has_cap

PROVINCE_CODE = "410000"


class OutOfScope(Http404):
    """Raised for an object the user may not see: answered exactly like a missing one."""


def is_province_wide(user) -> bool:
    return bool(user.region_id) and user.region_id == PROVINCE_CODE


def subtree_q(user, field: str) -> Q:
    """Rows whose ``field`` (a FK to Region) lies in the user's subtree."""
    if not getattr(user, "is_authenticated", False) or not user.region_id:
        return Q(pk__in=[])
    if is_province_wide(user):
        return Q()
    from portal.regions.models import Region

    prefix = user.region.path
    return Q(**{f"{field}__in": Region.objects.filter(path__startswith=prefix).values("code")})


def region_in_scope(user, region) -> bool:
    """Whether a region (object or code) lies in the user's subtree."""
    if region is None or not getattr(user, "is_authenticated", False) or not user.region_id:
        return False
    if is_province_wide(user):
        return True
    if isinstance(region, str):
        from portal.regions.models import Region

        region = Region.objects.filter(code=region).only("path").first()
        if region is None:
            return False
    return region.path.startswith(user.region.path)


def scope_q(model, user) -> Q:
    """The rows of ``model`` the user may see: the subtree of its ``scope_region_field``, passed
    through the model's own ``scope_rule(user, subtree_q)`` when it declares one (a static
    method returning the Q to use instead). The hook lets a model widen the subtree (an item
    seen by the counties it covers) or embargo rows from accounts otherwise in scope (an
    unannounced visit hidden from its targets until it starts) without a second mechanism:
    every list, count, export, API and admin page reaches it through ``visible_to``."""
    field = getattr(model, "scope_region_field", "region")
    subtree = subtree_q(user, field)
    rule = getattr(model, "scope_rule", None)
    return rule(user, subtree) if rule is not None else subtree


class ScopedQuerySet(models.QuerySet):
    def visible_to(self, user, cap: Cap | None = Cap.VIEW_RECORDS) -> ScopedQuerySet:
        """Rows in the user's subtree (as the model's ``scope_rule`` adjusts it, see
        ``scope_q``); none at all without ``cap`` (None: signed in is enough)."""
        if cap is not None and not has_cap(user, cap):
            return self.none()
        return self.filter(scope_q(self.model, user))


def get_visible_or_404(queryset_or_model, user, cap: Cap | None = Cap.VIEW_RECORDS, **lookup):
    """The object if the user may see it; otherwise the same 404 as a missing one."""
    queryset = queryset_or_model._default_manager.all() if isinstance(queryset_or_model, type) else queryset_or_model
    try:
        return queryset.visible_to(user, cap).get(**lookup)
    except (queryset.model.DoesNotExist, ValueError, ValidationError):
        raise OutOfScope from None


def ensure_writable(user, *, region=None, unit=None, field: str = "region") -> None:
    """Refuse a write that would point a record at a region or unit outside the user's subtree.

    Raised as a ValidationError on the named field, so forms, API bodies and import rows all
    report it the same way and nothing is written."""
    if unit is not None:
        region = unit.region if hasattr(unit, "region") else region
        field = "unit" if field == "region" else field
    if not region_in_scope(user, region):
        raise ValidationError({field: _("所选区划或单位不在您的管辖范围内。")}, code="out_of_scope")


def require_cap(user, cap: Cap) -> None:
    if not has_cap(user, cap):
        raise PermissionDenied


class ScopedAdminMixin:
    """Admin change lists, change forms and autocompletes limited to the user's subtree; a
    save that points the object at another region or unit is refused."""

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        return queryset.filter(scope_q(queryset.model, request.user))

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        formfield = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if formfield is not None and db_field.related_model._meta.label_lower == "regions.region":
            formfield.queryset = formfield.queryset.filter(subtree_q(request.user, "code"))
        elif formfield is not None and db_field.related_model._meta.label_lower == "regions.unit":
            formfield.queryset = formfield.queryset.filter(subtree_q(request.user, "region"))
        return formfield

    def save_model(self, request, obj, form, change):
        field = getattr(obj, "scope_region_field", "region")
        ensure_writable(request.user, region=getattr(obj, f"{field}_id", None), field=field)
        super().save_model(request, obj, form, change)
