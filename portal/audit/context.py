"""Who is acting, from where: set per request by ``AuditContextMiddleware``, read by
``audit_record``. Celery tasks and commands run without a request and record "system"."""

from __future__ import annotations

import contextvars
import uuid
from dataclasses import dataclass


@dataclass(frozen=True)
class RequestContext:
    request_id: str
    ip: str | None


_current: contextvars.ContextVar[RequestContext | None] = contextvars.ContextVar("audit_request", default=None)


def current() -> RequestContext | None:
    return _current.get()


def client_ip(request) -> str | None:
    """The client's address for lockouts and the audit trail. X-Real-IP is believed only when
    TRUST_X_REAL_IP says the portal sits behind its own proxy that sets it (deploy/nginx.conf);
    otherwise any client could forge it to dodge the per-IP lockout or fake the trail."""
    from django.conf import settings

    if getattr(settings, "TRUST_X_REAL_IP", False) and request.META.get("HTTP_X_REAL_IP"):
        return request.META["HTTP_X_REAL_IP"]
    return request.META.get("REMOTE_ADDR") or None


class AuditContextMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.META.get("HTTP_X_REQUEST_ID", "")
        request_id = incoming if 8 <= len(incoming) <= 64 and incoming.replace("-", "").isalnum() else uuid.uuid4().hex
        request.request_id = request_id
        token = _current.set(RequestContext(request_id=request_id, ip=client_ip(request)))
        try:
            response = self.get_response(request)
        finally:
            _current.reset(token)
        response["X-Request-ID"] = request_id
        return response
