"""Routes of the complaint API, included under /api/v1/ by portal/api_urls.py."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from complaints.api import views

router = SimpleRouter()

router.register("complaints", views.ComplaintViewSet, basename="complaint")

urlpatterns = [
    path("complaints/intake/", views.IntakeView.as_view(), name="complaint-intake"),
    path("complaints/intake/batch/", views.BatchIntakeView.as_view(), name="complaint-intake-batch"),
    path("complaints/statistics/", views.StatisticsView.as_view(), name="complaint-statistics"),
    *router.urls,
]
