"""The REST API under /api/v1/. The core's viewsets register here; each installed app with an
``<app>/api/urls.py`` is included too, so apps add routes without editing this file."""

from django.urls import include, path
from rest_framework.routers import DefaultRouter

from portal.core.plugins import apps_with
from portal.regions.api.views import EnforcementDomainViewSet, RegionViewSet, UnitViewSet

router = DefaultRouter()
router.register("regions", RegionViewSet, basename="region")
router.register("units", UnitViewSet, basename="unit")
router.register("domains", EnforcementDomainViewSet, basename="domain")

urlpatterns = [
    *router.urls,
    *[path("", include(module)) for module in apps_with("api.urls")],
]
