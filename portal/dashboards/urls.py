"""Dashboard routes under /dashboard/; the reader's own dashboard is the home page (``/``)."""

from django.urls import path

from portal.dashboards import views

app_name = "dashboards"

urlpatterns = [
    path("region/<str:region_code>/", views.region, name="region"),
    path("unit/<int:pk>/", views.unit, name="unit"),
    path("overdue/", views.overdue, name="overdue"),
    path("region/<str:region_code>/overdue/", views.region_overdue, name="region-overdue"),
    path("unit/<int:pk>/overdue/", views.unit_overdue, name="unit-overdue"),
    path("overdue/export/", views.overdue_export, name="overdue-export"),
    path("region/<str:region_code>/overdue/export/", views.region_overdue_export, name="region-overdue-export"),
    path("unit/<int:pk>/overdue/export/", views.unit_overdue_export, name="unit-overdue-export"),
]
