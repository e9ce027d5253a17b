"""Dashboard routes under /dashboard/; the reader's own dashboard is the home page (``/``)."""

from django.urls import path

from portal.dashboards import views

app_name = "dashboards"

urlpatterns = [
    path("region/<str:region_code>/", views.region, name="region"),
    path("unit/<int:pk>/", views.unit, name="unit"),
]
