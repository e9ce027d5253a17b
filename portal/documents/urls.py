from django.urls import path

from portal.documents import views

app_name = "documents"

urlpatterns = [
    path("", views.index, name="index"),
    path("<int:pk>/download/", views.download, name="download"),
    path("<int:pk>/void/", views.void, name="void"),
]
