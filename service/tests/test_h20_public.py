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


PUBLIC_PAGES = (
    "complaints:public-new",  # complaint filing
    "complaints:public-track",  # and tracking
    "cases:public",  # published handling results of problems (§5)
    "supervision:public",  # delisted supervision items
    "supervision:public-activities",  # the public inspections
    "enforcement_cases:public-exemptions",  # the exemption list in force (§14, issue 19)
    "evaluation:public",  # published evaluation rankings
    "public:contacts",  # the enterprise contact lookup
)


def test_the_landing_page_links_the_public_pages_in_both_languages(world, client):
    from cases.enforcement.clue_models import ExemptionItem
    from cases.enforcement.models import ViolationItem

    item = ViolationItem.objects.create(code="YS002", name="未随车携带道路运输证", exempt_first_offence=True)
    ExemptionItem.objects.create(violation_item=item, name="未随车携带道路运输证（首违）", effective_from="2024-01-01")
    response = client.get(reverse("public:home"))
    body = response.content.decode()
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session  # anonymous throughout
    personal = ("svc-leader", "svc-county", world["leader"].get_full_name(), "0371-66660001", world["enterprise"].name)
    for name in PUBLIC_PAGES:
        assert f'href="{reverse(name)}"' in body, name
        page = client.get(reverse(name))
        assert page.status_code == 200, name
        assert not any(value in page.content.decode() for value in personal), name
    assert not any(value in body for value in personal)
    exemptions = client.get(reverse("enforcement_cases:public-exemptions")).content.decode()
    assert "未随车携带道路运输证（首违）" in exemptions
    english = client.get(reverse("public:home"), headers={"accept-language": "en"}).content.decode()
    for text in ("Enterprise", "exempt from administrative penalty", "Complaint", "evaluation"):
        assert text.lower() in english.lower(), text
    for name in PUBLIC_PAGES:
        assert f'href="{reverse(name)}"' in english, name
