from django.urls import path

from evaluation import views

app_name = "evaluation"

urlpatterns = [
    path("", views.index, name="index"),
    path("ranking/", views.ranking, name="ranking"),
    path("close/", views.close, name="close"),
    path("publish/", views.publish, name="publish"),
    path("scores/<int:pk>/", views.entity, name="entity"),
    path("survey/", views.survey_upload, name="survey"),
    path("survey/template/", views.survey_template, name="survey-template"),
    path("public/", views.public_results, name="public"),
]
