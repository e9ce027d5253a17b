from django.urls import path

from portal.accounts import views
from portal.accounts.access import signed_in

app_name = "accounts"

urlpatterns = [
    path("password/", signed_in(views.password_change), name="password_change"),
    path("2fa/", signed_in(views.totp_enrol), name="totp_enrol"),
    path("2fa/verify/", signed_in(views.totp_verify), name="totp_verify"),
]
