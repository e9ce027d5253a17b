from django.urls import path

from portal.notifications import views

app_name = "notifications"

urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("read/", views.inbox_read, name="inbox-read"),
    path("badge/", views.unread_badge, name="unread-badge"),
    path("preferences/", views.preferences, name="preferences"),
    path("status/", views.status, name="status"),
]
