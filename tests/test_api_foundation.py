"""The API shell (issue 2 §9): DRF under /api/v1/ with session and token authentication,
OpenAPI 3 at /api/schema/, docs served offline, and /healthz reporting database and broker."""

import re

import pytest
from django.urls import reverse
from rest_framework.authtoken.models import Token

from portal.accounts.models import Role, User

pytestmark = pytest.mark.django_db


@pytest.fixture
def officer():
    return User.objects.create_user("officer", region_id="410105", roles=[Role.COUNTY_OFFICER])


def test_healthz_reports_database_and_broker(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "broker": "ok"}
    assert response["Cache-Control"].startswith("max-age=0")


def test_healthz_says_which_part_is_down(client):
    from portal.celery import app

    original = app.conf.broker_url
    app.conf.broker_url = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    try:
        response = client.get("/healthz")
    finally:
        app.conf.broker_url = original
    assert response.status_code == 503
    assert response.json() == {"status": "error", "database": "ok", "broker": "error"}


def test_token_and_session_authentication(client, officer):
    token = Token.objects.create(user=officer)
    by_token = client.get("/api/v1/regions/?within=410100", HTTP_AUTHORIZATION=f"Token {token.key}")
    assert by_token.status_code == 200
    codes = {row["code"] for row in by_token.json()["results"]}
    assert "410105" in codes and "410300" not in codes
    assert client.get("/api/v1/regions/").status_code == 401  # anonymous
    client.force_login(officer)
    assert client.get("/api/v1/domains/").status_code == 200


def test_openapi_schema_and_offline_docs(client, officer):
    client.force_login(officer)
    schema = client.get(reverse("api-schema"), {"format": "json"})
    assert schema.status_code == 200
    document = schema.json()
    assert document["openapi"].startswith("3.")
    assert "/api/v1/regions/" in document["paths"] and "/api/v1/problems/" in document["paths"]
    docs = client.get(reverse("api-docs")).content.decode()
    sources = re.findall(r'(?:src|href)="([^"]+)"', docs)
    assert sources and all(s.startswith("/static/") or s.startswith("/api/") for s in sources), sources
    assert "cdn" not in docs.lower()


@pytest.mark.parametrize("route", ["api-schema", "api-docs", "api-redoc"])
def test_integrators_read_the_schema_and_docs_with_their_token(client, officer, route):
    url = reverse(route)
    token = Token.objects.create(user=officer)
    by_token = client.get(
        url, {"format": "json"} if route == "api-schema" else {}, HTTP_AUTHORIZATION=f"Token {token.key}"
    )
    assert by_token.status_code == 200
    if route == "api-schema":
        assert "/api/v1/complaints/intake/" in by_token.json()["paths"]
    assert client.get(url, HTTP_AUTHORIZATION="Token forged").status_code == 401
    anonymous = client.get(url)
    assert anonymous.status_code == 302 and anonymous["Location"].startswith(reverse("login"))


def test_the_benchmarks_ping_is_no_part_of_the_api(client, officer):
    client.force_login(officer)
    paths = client.get(reverse("api-schema"), {"format": "json"}).json()["paths"]
    assert not [path for path in paths if "ping" in path]
