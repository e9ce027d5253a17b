"""The enforcement case pages, mounted at /enforcement-cases/ by cases' AppConfig.url_mounts."""

from django.urls import path

from cases.enforcement import clue_views, views

app_name = "enforcement_cases"

urlpatterns = [
    path("", views.case_list, name="list"),
    path("export/", views.case_export, name="export"),
    path("<int:pk>/", views.case_detail, name="detail"),
    # issue 19: the clues found in the case data, the exemption list and benchmarks
    path("clues/", clue_views.clue_list, name="clues"),
    path("clues/<int:pk>/", clue_views.clue_detail, name="clue"),
    path("clues/<int:pk>/accept/", clue_views.clue_accept_view, name="clue-accept"),
    path("clues/<int:pk>/dismiss/", clue_views.clue_dismiss_view, name="clue-dismiss"),
    path("exemptions/", clue_views.exemption_list, name="exemptions"),
    # the public (no login): the exemption list in force
    path("public/exemptions/", clue_views.public_exemptions, name="public-exemptions"),
]
