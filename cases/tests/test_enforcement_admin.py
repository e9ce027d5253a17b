"""Issue 15: the admin of the violation items and of the units' case systems (the token made
with the client, shown once, stored as DRF's tokens are; lists scoped to the region subtree)."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from cases.enforcement.models import CaseUploadClient, ViolationItem
from cases.tests.enforcement import case
from portal.accounts.models import Role, User
from portal.audit.models import AuditEvent

pytestmark = pytest.mark.django_db

ADD = reverse("admin:cases_caseuploadclient_add")
CHANGELIST = reverse("admin:cases_caseuploadclient_changelist")


def admin_of(region, username):
    user = User.objects.create_user(username, region_id=region, roles=[Role.PROVINCE_ADMIN], is_staff=True)
    user.user_permissions.set(
        Permission.objects.filter(content_type__app_label="cases", codename__endswith="caseuploadclient")
        | Permission.objects.filter(content_type__app_label="cases", codename__endswith="violationitem")
    )
    return user


@pytest.fixture
def zhengzhou(client):
    client.force_login(admin_of("410100", "zz_sysadmin"))
    return client


def test_a_new_client_gets_its_token_once_and_can_upload(zhengzhou, agency, items):
    response = zhengzhou.post(
        ADD, {"username": "jinshui_case_api", "name": "金水区办案系统", "unit": agency.pk, "active": "on"}, follow=True
    )
    assert response.status_code == 200
    shown = [str(m) for m in response.context["messages"]]
    token = re.search(r"[0-9a-f]{40}", " ".join(shown)).group(0)
    client = CaseUploadClient.objects.get(name="金水区办案系统")
    assert client.unit == agency and client.user.username == "jinshui_case_api"
    assert not client.user.has_usable_password()  # an API account: no page login
    assert Token.objects.get(user=client.user).key == token  # stored as every API token is
    assert AuditEvent.objects.filter(action="enforcement.client_add").count() == 1
    # the change page never shows it again
    again = zhengzhou.get(reverse("admin:cases_caseuploadclient_change", args=[client.pk])).content.decode()
    assert token not in again
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    answer = api.post("/api/v1/enforcement-cases/upload/", {"cases": [case("A-1")]}, format="json")
    assert answer.status_code == 200 and answer.json()["new"] == 1


def test_a_username_in_use_is_refused_with_a_message(zhengzhou, agency):
    User.objects.create_user("taken")
    response = zhengzhou.post(ADD, {"username": "taken", "name": "x", "unit": agency.pk, "active": "on"})
    assert response.status_code == 200 and "已被使用" in response.content.decode()
    assert not CaseUploadClient.objects.exists()


def test_the_list_and_the_choices_are_the_admins_subtree(zhengzhou, system, agency, other_agency):
    luoyang = User.objects.create_user("case_system_xigong", region_id="410303")
    CaseUploadClient.objects.create(user=luoyang, unit=other_agency, name="西工区执法办案系统")
    body = zhengzhou.get(CHANGELIST).content.decode()
    assert "金水区执法办案系统" in body and "西工区执法办案系统" not in body
    form = zhengzhou.get(ADD).context["adminform"].form
    assert agency in form.fields["unit"].queryset and other_agency not in form.fields["unit"].queryset
    refused = zhengzhou.post(ADD, {"username": "xg", "name": "x", "unit": other_agency.pk, "active": "on"})
    assert refused.status_code == 200 and not CaseUploadClient.objects.filter(name="x").exists()
    other = CaseUploadClient.objects.get(unit=other_agency)
    assert zhengzhou.get(reverse("admin:cases_caseuploadclient_change", args=[other.pk])).status_code == 302


def test_reissuing_a_token_voids_the_old_one(zhengzhou, system):
    old = Token.objects.create(user=system).key
    client = CaseUploadClient.objects.get(user=system)
    response = zhengzhou.post(CHANGELIST, {"action": "reissue_token", "_selected_action": [client.pk]}, follow=True)
    new = re.search(r"[0-9a-f]{40}", " ".join(str(m) for m in response.context["messages"])).group(0)
    assert new != old and list(Token.objects.filter(user=system).values_list("key", flat=True)) == [new]
    assert AuditEvent.objects.filter(action="enforcement.client_token").count() == 1


def test_violation_items_are_edited_audited_and_never_deleted(zhengzhou, items):
    item = items["CZ001"]
    url = reverse("admin:cases_violationitem_change", args=[item.pk])
    response = zhengzhou.post(url, {"name": "车辆超限超载运输", "legal_basis": "《公路法》", "active": "on"})
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.name == "车辆超限超载运输" and item.code == "CZ001"
    assert AuditEvent.objects.filter(action="enforcement.item_change").count() == 1
    delete = zhengzhou.get(reverse("admin:cases_violationitem_delete", args=[item.pk]))
    assert delete.status_code in (403, 404)  # no deleting: cases point at their item
    added = zhengzhou.post(
        reverse("admin:cases_violationitem_add"), {"code": "YS009", "name": "新事项", "legal_basis": "", "active": "on"}
    )
    assert added.status_code == 302 and ViolationItem.objects.filter(code="YS009").exists()
