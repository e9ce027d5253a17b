"""The problem API and the enforcement case upload, included under /api/v1/ by portal/api_urls.py."""

from django.urls import path
from rest_framework.routers import DefaultRouter

from cases.api import enforcement
from cases.api.views import ProblemViewSet

router = DefaultRouter()
router.include_root_view = False
router.register("problems", ProblemViewSet, basename="problem")

urlpatterns = [
    path("enforcement-cases/upload/", enforcement.CaseUploadView.as_view(), name="enforcement-case-upload"),
    path("enforcement-cases/items/", enforcement.ViolationItemListView.as_view(), name="enforcement-case-items"),
    *router.urls,
]
