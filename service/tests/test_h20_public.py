"""Issue 20 §3 and §6: the public contact lookup (exact name or credit code only, published
phones only, throttled) and the public landing page (no login, both languages, no personal
data)."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.urls import reverse

from service import services

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_throttle():
    cache.clear()
    yield
    cache.clear()


def test_found_by_exact_name_or_credit_code_with_published_phones_only(world, client):
    services.leader_set(actor=world["province"], user=world["city"], post="郑州市局副局长", phone="13800001111")
    services.assignment_add(actor=world["province"], leader=world["city"], enterprise=world["enterprise"])
    enterprise = world["enterprise"]
    for query in (enterprise.name, enterprise.credit_code, enterprise.credit_code.lower()):
        response = client.get(reverse("public:contacts"), {"q": query})
        body = response.content.decode()
        assert response.status_code == 200 and 'id="contact-result"' in body, query
        assert "金水区交通运输局局长" in body and "0371-66660001" in body
        assert "郑州市局副局长" in body and "13800001111" not in body  # not marked for publication
        assert "svc-leader" not in body and "svc-city" not in body  # never a login name


def test_no_partial_match_and_no_listing(world, client):
    for query in ("金水", "物流", world["enterprise"].credit_code[:10], "%", "*"):
        body = client.get(reverse("public:contacts"), {"q": query}).content.decode()
        assert 'id="contact-none"' in body and "0371-66660001" not in body, query
    body = client.get(reverse("public:contacts")).content.decode()
    assert world["enterprise"].name not in body


def test_the_lookup_is_throttled_per_address(world, client):
    for _ in range(20):
        assert client.get(reverse("public:contacts"), {"q": "x"}).status_code == 200
    response = client.get(reverse("public:contacts"), {"q": world["enterprise"].name})
    assert response.status_code == 429 and int(response["Retry-After"]) > 0
    assert "0371-66660001" not in response.content.decode()


def test_the_lookup_answers_in_a_fixed_number_of_queries(world, client, django_assert_max_num_queries):
    with django_assert_max_num_queries(4):
        client.get(reverse("public:contacts"), {"q": world["enterprise"].name})


def test_the_landing_page_links_the_public_pages_in_both_languages(client):
    response = client.get(reverse("public:home"))
    body = response.content.decode()
    assert response.status_code == 200
    for name in (
        "complaints:public-new",
        "complaints:public-track",
        "cases:public",
        "supervision:public",
        "evaluation:public",
        "public:contacts",
    ):
        assert f'href="{reverse(name)}"' in body, name
        assert client.get(reverse(name)).status_code == 200, name
    english = client.get(reverse("public:home"), headers={"accept-language": "en"})
    assert "Enterprise" in english.content.decode()
