"""The pages of issue 19: the clue queue (filters, scoped, a fixed number of queries), a clue's
detail with its cases, accepting (once: the second answers 409 naming the problem) and
dismissing (a reason required: 400, nothing saved), the exemption list and benchmarks with their
versions, and the list in force on the public site (no login)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from cases.enforcement import clues, services
from cases.enforcement.clue_models import Clue, DiscretionBenchmark, ExemptionItem
from cases.models import Category, Problem
from cases.tests.enforcement import case
from portal.accounts.models import Role, User
from portal.regions.models import EnforcementDomain

pytestmark = pytest.mark.django_db


@pytest.fixture
def found(system, agency, other_agency, items):
    """Two clues in 金水区 (Zhengzhou) and one in 西工区 (Luoyang)."""
    ExemptionItem.objects.create(
        violation_item=items["YS002"],
        name="未随车携带道路运输证（首违）",
        legal_basis="演示",
        effective_from="2024-01-01",
    )
    services.case_upload_batch(
        actor=system,
        unit=agency,
        rows=[case("金交1号", mode="overload_station"), case("金交2号", mode="non_site", party_id_number="X2")],
    )
    other = User.objects.create_user("case_system_xigong", region_id="410303")
    from cases.enforcement.models import CaseUploadClient

    CaseUploadClient.objects.create(user=other, unit=other_agency, name="西工区执法办案系统")
    services.case_upload_batch(
        actor=other, unit=other_agency, rows=[case("西交1号", mode="overload_station", region="410303")]
    )
    clues.clues_check(kind="upload")  # what the upload's task runs after commit (test_clues runs that task)
    return {c.key: c for c in Clue.objects.all()}


def login(client, name, region, role):
    user = User.objects.create_user(name, region_id=region, roles=[role])
    client.force_login(user)
    return user


def test_the_queue_is_scoped_filtered_and_its_queries_do_not_grow(client, found, django_assert_num_queries):
    login(client, "pg_city", "410100", Role.CITY_STAFF)
    url = reverse("enforcement_cases:clues")
    response = client.get(url)
    body = response.content.decode()
    assert response.status_code == 200
    assert body.count("金水区执法大队") >= 2 and "西工区执法大队" not in body
    filtered = client.get(url, {"rule": "station_fine", "status": "open"}).content.decode()
    listed = filtered.split('id="clue-list"')[1]
    assert "超限检测站直接罚款" in listed and "依闯卡抓拍直接处罚" not in listed and "西工区" not in listed
    with django_assert_num_queries(12):
        client.get(url)
    clues.clues_check()  # more clues do not mean more queries
    with django_assert_num_queries(12):
        client.get(url)


def test_a_clue_shows_its_rule_figures_and_cases_and_another_city_gets_404(client, found):
    clue = Clue.objects.get(rule__code="station_fine", unit__region_id="410105")
    login(client, "pg_city", "410100", Role.CITY_STAFF)
    body = client.get(reverse("enforcement_cases:clue", args=[clue.pk])).content.decode()
    assert "金交1号" in body and "overload_station" in body and 'id="clue-accept"' in body
    client.logout()
    login(client, "pg_luoyang", "410300", Role.CITY_STAFF)
    assert client.get(reverse("enforcement_cases:clue", args=[clue.pk])).status_code == 404


def test_accepting_twice_answers_409_and_one_problem_exists(client, found):
    clue = Clue.objects.get(rule__code="station_fine", unit__region_id="410105")
    login(client, "pg_city", "410100", Role.CITY_STAFF)
    data = {
        "expected_version": clue.version,
        "category": Category.objects.get(code="lyj-directfine").pk,
        "domain": EnforcementDomain.objects.get(code="highway").pk,
        "severity": "general",
    }
    url = reverse("enforcement_cases:clue-accept", args=[clue.pk])
    assert client.post(url, data).status_code == 302
    problem = Problem.objects.get(source="data")
    again = client.post(url, data)
    assert again.status_code == 409 and problem.code in again.content.decode()
    assert Problem.objects.filter(source="data").count() == 1


def test_dismissing_without_a_reason_is_400_and_a_county_cannot_handle(client, found):
    clue = Clue.objects.get(rule__code="station_fine", unit__region_id="410105")
    login(client, "pg_county", "410105", Role.COUNTY_OFFICER)
    page = client.get(reverse("enforcement_cases:clue", args=[clue.pk])).content.decode()
    assert 'id="clue-dismiss"' not in page
    url = reverse("enforcement_cases:clue-dismiss", args=[clue.pk])
    assert client.post(url, {"expected_version": clue.version, "note": "x"}).status_code == 400
    client.logout()
    login(client, "pg_prov", "410000", Role.PROVINCE_STAFF)
    response = client.post(url, {"expected_version": clue.version, "note": "   "})
    assert response.status_code == 400 and "排除理由" in response.content.decode()
    clue.refresh_from_db()
    assert clue.status == "open"
    assert client.post(url, {"expected_version": clue.version, "note": "依法移交，非直接罚款"}).status_code == 302
    clue.refresh_from_db()
    assert clue.status == "dismissed"


def test_the_exemption_page_lists_versions_and_benchmarks(client, found, items):
    DiscretionBenchmark.objects.create(
        violation_item=items["CZ001"], level="general", min_amount=200, max_amount=1000, effective_from="2025-01-01"
    )
    login(client, "pg_county", "410105", Role.COUNTY_OFFICER)
    body = client.get(reverse("enforcement_cases:exemptions")).content.decode()
    assert "未随车携带道路运输证（首违）" in body and "200.00" in body and "1000.00" in body
    assert "其余 19 项" in body  # the 20-item official list: the rest waits for an administrator


def test_the_public_page_shows_the_list_in_force_without_login(client, items):
    ExemptionItem.objects.create(
        violation_item=items["YS002"], name="旧版事项", effective_from="2020-01-01", effective_to="2024-01-01"
    )
    ExemptionItem.objects.create(violation_item=items["YS002"], name="现行事项", effective_from="2024-01-01")
    ExemptionItem.objects.create(
        violation_item=items["CZ001"], name="将来事项", effective_from=timezone.localdate() + dt.timedelta(days=30)
    )
    body = client.get(reverse("enforcement_cases:public-exemptions")).content.decode()
    assert "现行事项" in body and "旧版事项" not in body and "将来事项" not in body
