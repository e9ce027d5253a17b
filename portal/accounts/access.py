"""Declaring who may reach a view, in one place the authorization matrix test can read.

Every route is one of:
- ``public`` (anyone, e.g. login, public complaint form, health check),
- ``signed_in`` (any signed-in user; the data shown is still scoped),
- ``needs(cap, model=...)`` (a capability; with ``model`` the route shows objects of a
  region-scoped model and the matrix test checks that out-of-scope ones never appear).

Denials answer 404 like a missing page (no hint that something exists) and are recorded in
the audit trail. DRF viewsets declare the same through ``ScopedViewSetMixin``.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from django.contrib.auth.views import redirect_to_login
from django.http import Http404
from rest_framework import permissions

from portal.accounts.capabilities import Cap, has_cap
from portal.accounts.scoping import OutOfScope


@dataclass(frozen=True)
class AccessRule:
    kind: str  # "public" | "signed_in" | "cap"
    cap: Cap | None = None
    model: type | None = None

    def allows(self, user) -> bool:
        if self.kind == "public":
            return True
        if not getattr(user, "is_authenticated", False) or not user.is_active:
            return False
        return self.kind == "signed_in" or has_cap(user, self.cap)


def record_denial(request, reason: str) -> None:
    from portal.audit.models import AuditEvent
    from portal.audit.services import audit_record

    audit_record(
        actor=request.user,
        action="access.denied",
        object_type="route",
        object_id=request.path[:64],
        changes={"reason": reason, "method": request.method},
        outcome=AuditEvent.Outcome.DENIED,
    )


def _guard(rule: AccessRule):
    def decorator(view):
        @functools.wraps(view)
        def wrapper(request, *args, **kwargs):
            if rule.kind != "public" and not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not rule.allows(request.user):
                record_denial(request, f"missing capability {rule.cap}")
                raise Http404
            try:
                return view(request, *args, **kwargs)
            except OutOfScope:
                record_denial(request, "object out of scope or missing")
                raise

        wrapper.access_rule = rule
        return wrapper

    return decorator


public = _guard(AccessRule("public"))
signed_in = _guard(AccessRule("signed_in"))


def signed_in_or_token(view):
    """For DRF views that people read in a browser and programs read with an API token (the
    OpenAPI schema and its docs): a request without an ``Authorization`` header is treated as
    ``signed_in`` (the login page for anonymous browsers); one with it is left to the view's
    DRF authentication and its ``IsAuthenticated`` (401 for a missing or forged token)."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        if "HTTP_AUTHORIZATION" not in request.META and not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        return view(request, *args, **kwargs)

    wrapper.access_rule = AccessRule("signed_in")
    return wrapper


def needs(cap: Cap, *, model: type | None = None):
    return _guard(AccessRule("cap", cap, model))


class HasCapability(permissions.BasePermission):
    """DRF: reads need the viewset's ``read_cap``, writes its ``write_cap``; a user without
    them gets the same 404 as for a missing resource (and the denial is audited)."""

    def has_permission(self, request, view):
        if not request.user or not request.user.is_authenticated:
            return False
        cap = view.read_cap if request.method in permissions.SAFE_METHODS else view.write_cap
        if cap is None or has_cap(request.user, cap):
            return True
        record_denial(request, f"missing capability {cap}")
        raise Http404


class ScopedViewSetMixin:
    """A viewset over a region-scoped model: the queryset is always ``visible_to`` the user."""

    read_cap: Cap | None = Cap.VIEW_RECORDS
    write_cap: Cap | None = Cap.EDIT_RECORDS
    permission_classes = [HasCapability]

    def get_queryset(self):
        return super().get_queryset().visible_to(self.request.user, self.read_cap)
