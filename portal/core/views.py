"""Views of the shared core: the home page, health check and error pages."""

from __future__ import annotations

import logging

from django.db import connection
from django.http import HttpResponse, HttpResponseBadRequest, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from portal.accounts.access import needs, public, signed_in
from portal.accounts.capabilities import Cap, has_cap

logger = logging.getLogger(__name__)

# Where a user without the dashboard lands after login: the first page their role can use.
LANDING_PAGES = [
    (Cap.VIEW_AUDIT, "audit:events"),
    (Cap.MANAGE_USERS, "admin:index"),
    (Cap.MANAGE_SYSTEM, "admin:index"),
]


@signed_in
def home(request):
    if not has_cap(request.user, Cap.VIEW_DASHBOARD):
        for cap, url_name in LANDING_PAGES:
            if has_cap(request.user, cap):
                return redirect(url_name)
        return render(request, "core/no_role.html")

    from portal.dashboards.views import own_dashboard

    return own_dashboard(request)  # the reader's own dashboard (their whole subtree)


def _check_database() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        return "ok"
    except Exception as exc:
        logger.warning("healthz: database check failed: %s", exc)
        return "error"


def _check_broker() -> str:
    from portal.celery import app

    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
            conn.default_channel.client.ping()
        return "ok"
    except Exception as exc:
        logger.warning("healthz: broker check failed: %s", exc)
        return "error"


@public
@never_cache
@require_GET
def healthz(request):
    checks = {"database": _check_database(), "broker": _check_broker()}
    healthy = all(value == "ok" for value in checks.values())
    return JsonResponse({"status": "ok" if healthy else "error", **checks}, status=200 if healthy else 503)


def page_not_found(request, exception=None):
    # The API answers in its own language, also for paths no route matches (/api/v1/problems/2.5/).
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": _("未找到。")}, status=404, json_dumps_params={"ensure_ascii": False})
    return render(request, "errors/404.html", status=404)


def server_error(request):
    return render(request, "errors/500.html", status=500)


def permission_denied(request, exception=None):
    # Forbidden answers like missing: the same page, the same status.
    return render(request, "errors/404.html", status=404)


def bad_request(request, exception=None):
    return render(request, "errors/400.html", status=400)


@needs(Cap.REVEAL_PERSONAL_DATA)
@require_POST
def reveal_personal_data(request):
    """POST target=<app.model>:<pk>:<field>; answers the clear value (htmx swaps it in)."""
    from portal.core.personal_data import personal_data_reveal

    try:
        model_label, pk, field = request.POST.get("target", "").split(":", 2)
    except ValueError:
        return HttpResponseBadRequest(_("target 参数格式应为 app.model:pk:field。"))
    value = personal_data_reveal(actor=request.user, model_label=model_label, pk=pk, field=field)
    response = HttpResponse(value, content_type="text/plain; charset=utf-8")
    response["Cache-Control"] = "no-store"
    return response
