"""Open311 GeoReport v2 routes, included at /open311/v2/ by portal/urls.py."""

from django.urls import path, register_converter

from complaints.open311 import views


class FormatConverter:
    regex = "json|xml"

    def to_python(self, value):
        return value

    def to_url(self, value):
        return value


register_converter(FormatConverter, "open311format")

app_name = "open311"

urlpatterns = [
    path("services.<open311format:format>", views.services, name="services"),
    path("requests.<open311format:format>", views.requests_, name="requests"),
    path("requests/<str:service_request_id>.<open311format:format>", views.request_detail, name="request"),
]
