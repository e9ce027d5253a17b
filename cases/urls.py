from importlib.util import find_spec

from django.urls import path

from cases import views

app_name = "cases"

urlpatterns = [
    path("", views.index, name="index"),
    path("mine/", views.mine, name="mine"),
    path("new/", views.register, name="register"),
    path("units/options/", views.unit_options, name="unit-options"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/transition/", views.transition, name="transition"),
    path("<int:pk>/progress/", views.progress, name="progress"),
    path("<int:pk>/plan/", views.plan, name="plan"),
    path("<int:pk>/plan/milestone-done/", views.milestone_done, name="milestone-done"),
    path("<int:pk>/verification/", views.verification, name="verification"),
    path("<int:pk>/extension/", views.extension_request, name="extension-request"),
    path("<int:pk>/extension/decide/", views.extension_decide, name="extension-decide"),
    path("<int:pk>/accountability/", views.accountability, name="accountability"),
    path("<int:pk>/disclosure/", views.disclosure, name="disclosure"),
    path("<int:pk>/archive/", views.archive, name="archive"),
    path("evidence/<int:pk>/", views.evidence_download, name="evidence-download"),
    # The public pages (§5): no login, published results only.
    path("public/", views.public_list, name="public"),
    path("public/result/", views.public_detail, name="public-detail"),
]

# The Excel ledgers (台账 import/export) live in cases/views_ledger.py, whose ``urlpatterns``
# join these when that module exists (URL names ``ledger-export``, ``ledger-import`` ...).
if find_spec("cases.views_ledger") is not None:
    from cases import views_ledger

    urlpatterns += getattr(views_ledger, "urlpatterns", [])
