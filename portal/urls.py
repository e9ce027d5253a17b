from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.i18n import set_language
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView

from portal.accounts.access import public, signed_in_or_token
from portal.accounts.views import PortalLoginView
from portal.core.plugins import url_mounts

# The core's own routes; every app mounts its pages through its config's ``url_mounts``
# (portal.core.plugins), so a new domain adds no line here.
urlpatterns = [
    path("", include("portal.core.urls")),
    *[path(prefix, include(module)) for prefix, module in url_mounts()],
    path("accounts/login/", public(PortalLoginView.as_view()), name="login"),
    path("accounts/logout/", public(auth_views.LogoutView.as_view()), name="logout"),
    path("accounts/", include("portal.accounts.urls")),
    path("i18n/setlang/", public(set_language), name="set_language"),
    path("audit/", include("portal.audit.urls")),
    path("notifications/", include("portal.notifications.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", include("portal.api_urls")),
    # read by people (session) and by integrators' programs (API token)
    path("api/schema/", signed_in_or_token(SpectacularAPIView.as_view()), name="api-schema"),
    # the split view serves its script from a URL, not inline (the content security policy)
    path("api/docs/", signed_in_or_token(SpectacularSwaggerSplitView.as_view(url_name="api-schema")), name="api-docs"),
    path("api/redoc/", signed_in_or_token(SpectacularRedocView.as_view(url_name="api-schema")), name="api-redoc"),
]

handler400 = "portal.core.views.bad_request"
handler403 = "portal.core.views.permission_denied"
handler404 = "portal.core.views.page_not_found"
handler500 = "portal.core.views.server_error"
