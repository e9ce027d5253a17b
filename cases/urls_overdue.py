"""The overdue lists, mounted under /dashboard/ beside the dashboards (``CasesConfig.url_mounts``)."""

from django.urls import path

from cases import views_overdue as views

app_name = "overdue"

urlpatterns = [
    path("overdue/", views.overdue, name="own"),
    path("region/<str:region_code>/overdue/", views.region_overdue, name="region"),
    path("unit/<int:pk>/overdue/", views.unit_overdue, name="unit"),
    path("overdue/export/", views.overdue_export, name="own-export"),
    path("region/<str:region_code>/overdue/export/", views.region_overdue_export, name="region-export"),
    path("unit/<int:pk>/overdue/export/", views.unit_overdue_export, name="unit-export"),
]
