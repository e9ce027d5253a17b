"""Security administrators manage accounts (and only they): scoped, audited, no escalation."""

import pytest
from django.core.management import call_command
from django.urls import reverse

from portal.accounts.models import Role, User
from portal.audit.models import AuditEvent

pytestmark = pytest.mark.django_db


def make(name, code, roles, staff=False):
    return User.objects.create_user(name, password="Demo#Pass2026x", region_id=code, roles=roles, is_staff=staff)


@pytest.fixture
def people():
    return {
        "city_security": make("zz_anquan", "410100", [Role.SECURITY_ADMIN], staff=True),
        "province_security": make("anquan", "410000", [Role.SECURITY_ADMIN], staff=True),
        "system_admin": make("xitong", "410000", [Role.PROVINCE_ADMIN], staff=True),
        "jinshui": make("jinshui_officer", "410105", [Role.COUNTY_OFFICER]),
        "xigong": make("xigong_officer", "410303", [Role.COUNTY_OFFICER]),
    }


def test_a_city_security_admin_sees_its_subtree_only(client, people):
    client.force_login(people["city_security"])
    body = client.get(reverse("admin:accounts_user_changelist")).content.decode()
    assert "jinshui_officer" in body and "xigong_officer" not in body
    other = client.get(reverse("admin:accounts_user_change", args=[people["xigong"].pk]))
    missing = client.get(reverse("admin:accounts_user_change", args=[987654]))
    assert (other.status_code, other["Location"]) == (missing.status_code, missing["Location"])


def test_system_administration_does_not_manage_accounts(client, people):
    client.force_login(people["system_admin"])
    assert client.get(reverse("admin:accounts_user_changelist")).status_code == 404  # denied like missing


def change(client, user, **fields):
    data = {
        "username": user.username,
        "first_name": user.first_name,
        "last_name": "",
        "email": "",
        "phone": "",
        "region": user.region_id,
        "unit": "",
        "roles": fields.pop("roles", user.roles),
        "is_active": "on",
        "last_login_0": "",
        "last_login_1": "",
        "date_joined_0": "2026-01-01",
        "date_joined_1": "00:00:00",
    }
    data.update(fields)
    return client.post(reverse("admin:accounts_user_change", args=[user.pk]), data)


def test_roles_change_is_audited_and_bounded(client, people):
    client.force_login(people["city_security"])
    response = change(client, people["jinshui"], roles=[Role.COUNTY_OFFICER, Role.INSPECTOR])
    assert response.status_code == 302, response.content.decode()[:2000]
    people["jinshui"].refresh_from_db()
    assert people["jinshui"].roles == [Role.COUNTY_OFFICER, Role.INSPECTOR]
    event = AuditEvent.objects.get(action="user.update")
    assert event.changes["roles"] == [["county_officer"], ["county_officer", "inspector"]]
    # a city cannot hand out province roles, nor move a user out of its subtree, nor edit itself
    assert change(client, people["jinshui"], roles=[Role.PROVINCE_STAFF]).status_code == 200
    assert change(client, people["jinshui"], region="410303").status_code == 200
    assert change(client, people["city_security"], roles=[Role.SECURITY_ADMIN, Role.CITY_STAFF]).status_code == 200
    people["jinshui"].refresh_from_db()
    assert people["jinshui"].region_id == "410105" and Role.PROVINCE_STAFF not in people["jinshui"].roles
    assert AuditEvent.objects.filter(action="user.update").count() == 1


def test_seed_demo_has_a_user_for_every_role_in_two_cities_and_three_counties():
    call_command("seed_demo", scale="small")
    users = User.objects.all()
    assert set(Role.values) <= {role for roles in users.values_list("roles", flat=True) for role in roles}
    regions = set(users.values_list("region_id", flat=True))
    assert {"410100", "410300"} <= regions and {"410105", "410122", "410303"} <= regions
