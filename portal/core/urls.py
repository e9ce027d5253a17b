from django.urls import path

from portal.core import metrics, views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("metrics", metrics.metrics, name="metrics"),
    path("personal-data/reveal/", views.reveal_personal_data, name="reveal-personal-data"),
]
