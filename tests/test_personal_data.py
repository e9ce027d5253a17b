import pytest
from django.urls import reverse

from portal.accounts.models import Role, User
from portal.audit.models import AuditEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def people():
    def make(name, code, roles, phone=""):
        return User.objects.create_user(name, region_id=code, roles=roles, phone=phone)

    return {
        "target": make("target", "410105", [Role.COUNTY_OFFICER], "13812341234"),
        "elsewhere": make("elsewhere", "410303", [Role.COUNTY_OFFICER], "13900001111"),
        "city_staff": make("city_staff", "410100", [Role.CITY_STAFF]),
        "leader": make("leader", "410100", [Role.LEADER]),
    }


def reveal(client, user, target):
    client.force_login(user)
    return client.post(reverse("reveal-personal-data"), {"target": target})


def test_reveal_gives_the_value_and_is_audited(client, people):
    response = reveal(client, people["city_staff"], f"accounts.user:{people['target'].pk}:phone")
    assert response.status_code == 200
    assert response.content.decode() == "13812341234"
    assert response["Cache-Control"] == "no-store"
    event = AuditEvent.objects.get(action="personal_data.reveal")
    assert event.actor_username == "city_staff" and event.object_id == str(people["target"].pk)
    assert event.changes == {"field": "phone"}


def test_out_of_scope_or_unregistered_or_without_the_right_is_404(client, people):
    city = people["city_staff"]
    assert reveal(client, city, f"accounts.user:{people['elsewhere'].pk}:phone").status_code == 404
    assert reveal(client, city, f"accounts.user:{people['target'].pk}:password").status_code == 404
    assert reveal(client, city, "accounts.user:not-a-pk:phone").status_code == 404
    assert reveal(client, people["leader"], f"accounts.user:{people['target'].pk}:phone").status_code == 404
    assert reveal(client, city, "garbage").status_code == 400
    assert not AuditEvent.objects.filter(action="personal_data.reveal").exists()
