"""The REST API under /api/v1/: one router that every app registers its viewsets with."""

from rest_framework.routers import DefaultRouter

from portal.regions.api.views import EnforcementDomainViewSet, RegionViewSet, UnitViewSet

router = DefaultRouter()
router.register("regions", RegionViewSet, basename="region")
router.register("units", UnitViewSet, basename="unit")
router.register("domains", EnforcementDomainViewSet, basename="domain")

urlpatterns = router.urls
