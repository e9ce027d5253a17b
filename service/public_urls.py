"""The public site (§6): one place the public reaches without login."""

from django.urls import path

from service import views

app_name = "public"

urlpatterns = [
    path("", views.public_home, name="home"),
    path("contacts/", views.public_contacts, name="contacts"),
]
