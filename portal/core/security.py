"""The content security policy on every answer (``CONTENT_SECURITY_POLICY``; empty: none).

The portal's pages load scripts, styles, fonts and images only from itself (everything is
vendored in static/; no CDN, no inline script), so the default policy forbids every other source
and inline scripts; inline ``style`` attributes stay allowed (templates and htmx use them). An
answer that sets its own policy keeps it (evidence files are served with ``sandbox``).
"""

from __future__ import annotations

from django.conf import settings

DEFAULT_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        policy = getattr(settings, "CONTENT_SECURITY_POLICY", DEFAULT_POLICY)
        if policy and "Content-Security-Policy" not in response:
            response["Content-Security-Policy"] = policy
        return response
