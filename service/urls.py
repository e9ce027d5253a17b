from django.urls import path

from service import views

app_name = "service"

urlpatterns = [
    path("", views.enterprise_list, name="index"),
    path("enterprises/<int:pk>/", views.enterprise_detail, name="enterprise"),
    path("enterprises/import/", views.import_upload, name="import"),
    path("enterprises/import/template/", views.import_template, name="import-template"),
    path("leaders/", views.leader_list, name="leaders"),
    path("assignments/", views.assignment_list, name="assignments"),
    path("assignments/<int:pk>/remove/", views.assignment_remove, name="assignment-remove"),
    path("visits/", views.visit_list, name="visits"),
    path("issues/<int:pk>/close/", views.issue_close, name="issue-close"),
    path("station-days/", views.station_day_list, name="station-days"),
    path("mine/", views.my_service, name="mine"),
    path(
        "station-days/go/", views.station_days_go, name="station-days-go"
    ),  # the reminder's link  # a leader's own station days and visits
    path("months/", views.month_list, name="months"),
    path("records/", views.record_list, name="records"),
    path("records/<int:pk>/", views.record_detail, name="record"),
    path("photos/<int:pk>/", views.photo_download, name="photo"),
    path("meetings/", views.meeting_list, name="meetings"),
    path("meetings/<int:pk>/", views.meeting_detail, name="meeting"),
    path("decisions/<int:pk>/done/", views.decision_done, name="decision-done"),
    path("coverage/", views.coverage, name="coverage"),
]
