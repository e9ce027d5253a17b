from django.urls import path

from supervision import activity_views as av
from supervision import risk_views as rv
from supervision import views
from supervision import warning_views as wv

app_name = "supervision"

urlpatterns = [
    path("", views.index, name="index"),
    path("export/", views.export, name="export"),
    path("new/", views.new, name="new"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/transition/", views.transition, name="transition"),
    path("<int:pk>/progress/", views.progress, name="progress"),
    path("<int:pk>/stationing/", views.stationing, name="stationing"),
    path("<int:pk>/stationing/log/", views.station_log, name="station-log"),
    path("<int:pk>/referral/", views.referral, name="referral"),
    path("<int:pk>/document/", views.document, name="document"),
    path("evidence/<int:pk>/", views.evidence_download, name="evidence-download"),
    path("candidates/", views.candidates, name="candidates"),
    path("candidates/records/", views.candidate_records, name="candidate-records"),
    path("candidates/dismiss/", views.candidate_dismiss, name="candidate-dismiss"),
    # The public page (§5, §9): delisted items and their handling results, no personal data.
    path("public/", views.public_list, name="public"),
    path("public/activities/", views.public_activities, name="public-activities"),
    # risks (风险预警): negative lists and three-level incident reporting
    path("risks/", rv.risk_list, name="risks"),
    path("risks/new/", rv.risk_new, name="risk-new"),
    path("risks/above/", rv.risk_above, name="risks-above"),
    path("risks/<int:pk>/", rv.risk_item, name="risk-item"),
    path("risks/incidents/", rv.incident_list, name="incidents"),
    path("risks/incidents/new/", rv.incident_new, name="incident-new"),
    path("risks/incidents/<int:pk>/", rv.incident_detail, name="incident"),
    # monitoring warnings (监测预警, issue 18 §2); the 风险预警 tabs link here
    path("warnings/", wv.warning_list, name="warnings"),
    path("warnings/analysis/", wv.analysis, name="warnings-analysis"),
    path("warnings/analysis/docx/", wv.analysis_docx, name="warnings-analysis-docx"),
    path("warnings/<int:pk>/", wv.warning_detail, name="warning"),
    path("warnings/<int:pk>/move/", wv.warning_move, name="warning-move"),
    # enforcement supervision (执法监督): the pool, activities, draws, on-site records
    path("pool/", av.pool, name="pool"),
    path("pool/<int:pk>/", av.inspector_detail, name="inspector"),
    path("activities/", av.activity_list, name="activities"),
    path("activities/new/", av.activity_new, name="activity-new"),
    path("activities/<int:pk>/", av.activity_detail, name="activity"),
    path("activities/<int:pk>/targets/", av.target_add, name="activity-target"),
    path("activities/<int:pk>/draw/", av.draw_commit, name="activity-draw"),
    path("activities/<int:pk>/reveal/", av.draw_reveal, name="activity-reveal"),
    path("activities/<int:pk>/publish/", av.activity_publish, name="activity-publish"),
    path("visits/<int:pk>/", av.visit, name="visit"),
    path("findings/<int:pk>/raise/", av.finding_raise, name="finding-raise"),
]
