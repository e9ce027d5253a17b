from django.urls import path

from complaints import views

app_name = "complaints"

urlpatterns = [
    path("", views.index, name="index"),
    path("all/", views.complaint_list, name="list"),
    path("export/", views.complaint_export, name="export"),
    path("new/", views.new, name="new"),
    path("new/duplicates/", views.new_duplicates, name="new-duplicates"),
    path("statistics/", views.statistics, name="statistics"),
    path("volunteers/", views.volunteers, name="volunteers"),
    path("routing/", views.rules, name="rules"),
    path("routing/<int:pk>/", views.rule_edit, name="rule-edit"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/act/", views.act, name="act"),
    path("<int:pk>/extension/", views.extension, name="extension"),
    path("<int:pk>/duplicates/", views.merge, name="merge"),
    path("<int:pk>/problem/", views.raise_problem, name="problem"),
    # the public: no login
    path("public/new/", views.public_new, name="public-new"),
    path("public/track/", views.public_track, name="public-track"),
]
