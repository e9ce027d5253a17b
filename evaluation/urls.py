from django.urls import path

from evaluation import views

app_name = "evaluation"

urlpatterns = [
    path("", views.index, name="index"),
    path("periods/<int:pk>/ranking/", views.ranking, name="ranking"),
    path("periods/<int:pk>/ranking/<str:level>/", views.ranking, name="ranking-level"),
    path("periods/<int:pk>/close/", views.close, name="close"),
    path("periods/<int:pk>/publish/", views.publish, name="publish"),
    path("scores/<int:pk>/", views.entity, name="entity"),
    path("public/", views.public_results, name="public"),
]
