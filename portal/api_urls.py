"""The REST API under /api/v1/. The core's viewsets register here; each app with an
``<app>/api/urls.py`` is included too, so apps add routes without editing this file."""

from importlib.util import find_spec

from django.urls import include, path
from rest_framework.routers import DefaultRouter

from portal.regions.api.views import EnforcementDomainViewSet, RegionViewSet, UnitViewSet

APPS_WITH_API = ["cases", "complaints", "supervision", "evaluation", "portal.notifications", "portal.dashboards"]


def _has_module(name: str) -> bool:
    try:
        return find_spec(name) is not None
    except ModuleNotFoundError:  # a parent package is missing
        return False


router = DefaultRouter()
router.register("regions", RegionViewSet, basename="region")
router.register("units", UnitViewSet, basename="unit")
router.register("domains", EnforcementDomainViewSet, basename="domain")

urlpatterns = [
    *router.urls,
    *[path("", include(f"{app}.api.urls")) for app in APPS_WITH_API if _has_module(f"{app}.api.urls")],
]
