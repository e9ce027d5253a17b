from django.urls import path

from evaluation import views

app_name = "evaluation"

urlpatterns = [
    path("", views.index, name="index"),
    path("ranking/", views.ranking, name="ranking"),
    path("close/", views.close, name="close"),
    path("publish/", views.publish, name="publish"),
    path("scores/<int:pk>/", views.entity, name="entity"),
    path("scores/<int:pk>/appeal/", views.appeal_file, name="appeal-file"),
    path("appeals/", views.appeals, name="appeals"),
    path("appeals/<int:pk>/", views.appeal, name="appeal"),
    path("appeals/<int:pk>/decide/", views.appeal_decide, name="appeal-decide"),
    path("appeals/<int:pk>/evidence/", views.appeal_evidence, name="appeal-evidence"),
    path("notices/", views.notices, name="notices"),
    path("notices/issue/", views.notice_issue, name="notice-issue"),
    path("findings/", views.findings, name="findings"),
    path("findings/<int:pk>/problem/", views.finding_problem, name="finding-problem"),
    path("indicators/", views.indicators, name="indicators"),
    path("indicators/save/", views.indicator_save, name="indicator-save"),
    path("entered/", views.entered, name="entered"),
    path("entered/save/", views.entered_save, name="entered-save"),
    path("survey/", views.survey_upload, name="survey"),
    path("survey/template/", views.survey_template, name="survey-template"),
    path("public/", views.public_results, name="public"),
]
