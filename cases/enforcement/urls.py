"""The enforcement case pages, mounted at /enforcement-cases/ by cases' AppConfig.url_mounts."""

from django.urls import path

from cases.enforcement import views

app_name = "enforcement_cases"

urlpatterns = [
    path("", views.case_list, name="list"),
    path("export/", views.case_export, name="export"),
    path("<int:pk>/", views.case_detail, name="detail"),
]
