import io

import pytest
from django.core.management import call_command
from django.utils import timezone

from supervision.models import Referral, StationLog, SupervisionItem

pytestmark = pytest.mark.django_db


def test_demo_seed_has_items_in_every_state_reached_by_the_demo_logins():
    out = io.StringIO()
    call_command("seed_demo", scale="small", stdout=out)
    items = SupervisionItem.objects.filter(candidate_key__startswith="demo:")
    assert set(items.values_list("status", flat=True)) == set(SupervisionItem.Status.values)
    assert items.filter(failed_acceptances=1, status="rectifying").exists()
    assert items.filter(level="city").exists() and StationLog.objects.exists() and Referral.objects.exists()
    assert all(item.team.filter(username="jiandu").exists() for item in items)
    assert set(items.values_list("region_id", flat=True)) <= {"410105", "410122", "410100"}


def test_demo_seed_has_pools_a_past_activity_with_findings_and_a_planned_one():
    from supervision import draws
    from supervision.models import Activity, Draw, Finding, InspectionRecord, Inspector
    from supervision.seed import DEMO_ACTIVITY, PLANNED_ACTIVITY

    call_command("seed_demo", scale="small", stdout=io.StringIO())
    counts = (Inspector.objects.count(), Activity.objects.count(), Draw.objects.count(), Finding.objects.count())
    assert set(Inspector.objects.values_list("pool_region_id", flat=True)) == {"410000", "410100", "410300"}
    assert Inspector.objects.filter(user__username="jiandu", pool_region_id="410000").exists()
    past = Activity.objects.get(title=DEMO_ACTIVITY)
    assert past.status == Activity.Status.PUBLISHED and past.ends_on < timezone.localdate()
    draw = past.draws.get()
    assert draw.revealed_at is not None and draws.verify(draw).ok and past.team.count() == 3
    assert InspectionRecord.objects.filter(activity=past).count() == 2
    assert past.findings.count() == 2 and past.findings.filter(problem__source="cross_region").count() == 1
    planned = Activity.objects.get(title=PLANNED_ACTIVITY)
    assert planned.region_id == "410300" and planned.starts_on > timezone.localdate()
    assert planned.draws.get().revealed_at is None and not planned.team.exists()
    # re-running adds nothing
    call_command("seed_demo", scale="small", stdout=io.StringIO())
    assert counts == (
        Inspector.objects.count(),
        Activity.objects.count(),
        Draw.objects.count(),
        Finding.objects.count(),
    )


def test_the_checklist_admin_adds_versions_and_never_edits_a_used_one(admin_client):
    from portal.audit.models import AuditEvent
    from supervision.models import ChecklistVersion, Inspector

    v1 = ChecklistVersion.objects.filter(method="inspection").order_by("-version").first()
    url = f"/admin/supervision/checklistversion/{v1.pk}/change/"
    assert admin_client.get(url).status_code == 200
    response = admin_client.post(
        "/admin/supervision/checklistversion/add/",
        {"method": "inspection", "version": v1.version + 1, "active": "on", "items_text": "是否亮证执法\n\n是否文明"},
    )
    assert response.status_code == 302
    v2 = ChecklistVersion.objects.get(method="inspection", version=v1.version + 1)
    assert v2.items == ["是否亮证执法", "是否文明"]
    assert AuditEvent.objects.filter(action="supervision.checklist_add").exists()
    response = admin_client.post(
        "/admin/supervision/checklistversion/add/", {"method": "inspection", "version": 9, "items_text": "\n \n"}
    )
    assert response.status_code == 200 and "items_text" in response.context["adminform"].form.errors
    assert not ChecklistVersion.objects.filter(version=9).exists()
    assert admin_client.get("/admin/supervision/inspector/").status_code == 200
    assert not Inspector.objects.exists()


def test_a_checklist_version_records_used_is_not_edited_in_the_admin(admin_client):
    from supervision import activities
    from supervision.models import Activity, ChecklistVersion
    from supervision.tests import factories as f
    from supervision.tests.test_draws import HOMES

    province = f.user("prov", "410000")
    f.pool(province, HOMES)
    act = f.activity(province, method=Activity.Method.INSPECTION)
    target = activities.target_add(actor=province, activity=act, unit=f.unit("410303"))
    f.drawn_team(province, act)
    f.start_now(act)
    record = activities.record_visit(
        actor=province, target_id=target.pk, answers={}, member_ids=[act.team.first().inspector_id]
    )
    used = record.checklist
    before = list(used.items)
    response = admin_client.post(
        f"/admin/supervision/checklistversion/{used.pk}/change/",
        {"method": used.method, "version": used.version, "active": "on", "items_text": "改过的事项"},
    )
    assert response.status_code == 200 and "不能修改检查事项" in response.content.decode()
    assert ChecklistVersion.objects.get(pk=used.pk).items == before
    # switching it off (its items unchanged) is allowed
    response = admin_client.post(
        f"/admin/supervision/checklistversion/{used.pk}/change/",
        {"method": used.method, "version": used.version, "items_text": "\n".join(before)},
    )
    assert response.status_code == 302 and not ChecklistVersion.objects.get(pk=used.pk).active


def test_demo_seed_has_a_negative_list_per_level_and_an_incident_on_time_and_one_late():
    from supervision.models import Incident, RiskItem

    call_command("seed_demo", scale="small", stdout=io.StringIO())
    assert set(RiskItem.objects.values_list("region_id", flat=True)) == {"410000", "410100", "410105"}
    assert RiskItem.objects.filter(region_id="410100", adopted_from__region_id="410000").exists()
    assert all(item.measures.exists() for item in RiskItem.objects.all())
    incidents = list(Incident.objects.all())
    assert len(incidents) == 2
    on_time = [i for i in incidents if not i.city_late and not i.province_late]
    late = [i for i in incidents if i.city_late and i.province_late]
    assert len(on_time) == 1 and on_time[0].status == "closed"
    assert len(late) == 1 and late[0].status == "open"
    call_command("seed_demo", scale="small", stdout=io.StringIO())  # re-running adds nothing
    assert Incident.objects.count() == 2
