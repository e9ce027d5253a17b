"""The problem API, included under /api/v1/ by portal/api_urls.py."""

from rest_framework.routers import DefaultRouter

from cases.api.views import ProblemViewSet

router = DefaultRouter()
router.include_root_view = False
router.register("problems", ProblemViewSet, basename="problem")

urlpatterns = router.urls
