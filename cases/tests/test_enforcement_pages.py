"""The enforcement case pages: the scoped search (every filter, plates and IDs however typed),
the detail with its versions, masked parties on screen and in the Excel export, and query
budgets that do not grow with the data."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from cases.enforcement import services
from cases.enforcement.models import EnforcementCase
from cases.tests.enforcement import case
from portal.accounts.models import Role, User
from portal.audit.models import AuditEvent

pytestmark = pytest.mark.django_db

LIST = reverse("enforcement_cases:list")
EXPORT = reverse("enforcement_cases:export")


@pytest.fixture
def stored(system, agency, other_agency, items):
    """金水区: 3 cases (one with two versions); 西工区: 1 case."""
    services.case_upload_batch(
        actor=system,
        unit=agency,
        rows=[
            case("M-1", plate="豫A12345", party_name="张三丰"),
            case(
                "M-2",
                plate="豫B22222",
                mode="non_site",
                violation_item="YS002",
                filed_on="2026-05-01",
                decided_on="2026-05-02",
            ),
            case(
                "M-3",
                plate="豫C33333",
                party_id_number="410105199001011234",
                mode="overload_station",
                filed_on="2025-07-01",
                decided_on="2025-07-02",
            ),
        ],
    )
    services.case_upload_batch(
        actor=system,
        unit=agency,
        rows=[
            case(
                "M-1",
                status="closed",
                closed_on="2026-03-09",
                revised_at="2026-03-09T10:00:00+08:00",
                plate="豫A12345",
                party_name="张三丰",
            )
        ],
    )
    services.case_upload_batch(actor=system, unit=other_agency, rows=[case("W-1", region="410303")])


def signed_in(client, username, region, role):
    user = User.objects.create_user(username, region_id=region, roles=[role])
    client.force_login(user)
    return user


@pytest.fixture
def county(client):
    signed_in(client, "county_jinshui", "410105", Role.COUNTY_OFFICER)
    return client


@pytest.fixture
def province(client):
    signed_in(client, "province_enf", "410000", Role.PROVINCE_STAFF)
    return client


def numbers(response) -> list[str]:
    return [c.case_number for c in response.context["rows"]]


def test_the_list_shows_current_versions_in_scope_newest_first(county, stored):
    response = county.get(LIST)
    assert response.status_code == 200
    assert numbers(response) == ["M-2", "M-1", "M-3"]  # W-1 is 西工区's
    body = response.content.decode()
    assert "张**" in body and "张三丰" not in body  # the party masked
    assert "豫A·***45" in body and "豫A12345" not in body


def test_the_province_sees_every_region(province, stored):
    assert sorted(numbers(province.get(LIST))) == ["M-1", "M-2", "M-3", "W-1"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"case_number": "M-2"}, ["M-2"]),
        ({"plate": "豫a·12345"}, ["M-1"]),
        ({"plate": "豫Ｃ３３３３３"}, ["M-3"]),
        ({"party_id_number": "４１０１０５１９９００１０１１２３４"}, ["M-3"]),
        ({"mode": "non_site"}, ["M-2"]),
        ({"filed_from": "2026-01-01", "filed_to": "2026-04-01"}, ["M-1"]),
        ({"filed_to": "2025-12-31"}, ["M-3"]),
        ({"case_number": "W-1"}, []),  # out of scope: not found, like missing
    ],
)
def test_the_search_filters(county, stored, query, expected):
    assert numbers(county.get(LIST, query)) == expected


def test_the_search_by_unit_and_item(county, stored, agency, items):
    assert numbers(county.get(LIST, {"violation_item": items["YS002"].pk})) == ["M-2"]
    assert len(numbers(county.get(LIST, {"unit": agency.pk}))) == 3


def test_a_bad_search_explains_itself(county, stored):
    response = county.get(LIST, {"filed_from": "2026-05-01", "filed_to": "2026-01-01"})
    assert response.status_code == 200 and numbers(response) == []
    assert "结束日期不能早于开始日期" in response.content.decode()
    assert county.get(LIST, {"filed_from": "not a date"}).status_code == 200


def test_the_list_query_count_does_not_grow(county, stored, system, agency, django_assert_num_queries):
    county.get(LIST)  # session and user warmed like any later request
    # session, user, the user's region, the units, the items and the regions of the form, the page (no COUNT),
    # the inbox badge, the session's save (savepoint, update, release)
    with django_assert_num_queries(11):
        county.get(LIST)
    services.case_upload_batch(actor=system, unit=agency, rows=[case(f"N-{i}") for i in range(30)])
    with django_assert_num_queries(11):
        response = county.get(LIST)
    assert len(response.context["rows"]) == 20 and response.context["has_next"]
    assert len(county.get(LIST, {"page": 2}).context["rows"]) == 13


def test_the_detail_shows_its_versions(county, stored):
    current = EnforcementCase.objects.get(case_number="M-1", is_current=True)
    response = county.get(reverse("enforcement_cases:detail", args=[current.pk]))
    assert response.status_code == 200
    assert [v.version for v in response.context["versions"]] == [2, 1]
    body = response.content.decode()
    assert "张**" in body and "张三丰" not in body and "4101**********123X" in body
    old = EnforcementCase.objects.get(case_number="M-1", version=1)
    response = county.get(reverse("enforcement_cases:detail", args=[old.pk]))
    assert response.context["case"].version == 1 and "历史版本" in response.content.decode()


def test_the_detail_query_count(county, stored, django_assert_num_queries):
    current = EnforcementCase.objects.get(case_number="M-1", is_current=True)
    url = reverse("enforcement_cases:detail", args=[current.pk])
    county.get(url)
    # session, user, the user's region, the case, its versions, the inbox badge, the session's save (3)
    with django_assert_num_queries(9):
        county.get(url)


def test_another_regions_case_answers_like_a_missing_one(county, stored):
    other = EnforcementCase.objects.get(case_number="W-1")
    assert county.get(reverse("enforcement_cases:detail", args=[other.pk])).status_code == 404
    assert county.get(reverse("enforcement_cases:detail", args=[987654321])).status_code == 404


def test_the_export_is_scoped_masked_and_audited(county, stored):
    response = county.get(EXPORT, {"mode": "on_site"})
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "案号" and [r[0] for r in rows[1:]] == ["M-1"]
    party, id_number, plate = rows[1][10:13]
    assert (party, id_number, plate) == ("张**", "4101**********123X", "豫A·***45")
    assert AuditEvent.objects.filter(action="enforcement_case.export").count() == 1
    everything = load_workbook(io.BytesIO(county.get(EXPORT).content)).active
    assert sorted(r[0] for r in list(everything.iter_rows(values_only=True))[1:]) == ["M-1", "M-2", "M-3"]


def test_the_export_neutralises_formulas(county, system, agency, items):
    services.case_upload_batch(actor=system, unit=agency, rows=[case("=HYPERLINK(1)", place="@SUM(A1)")])
    sheet = load_workbook(io.BytesIO(county.get(EXPORT).content)).active
    row = list(sheet.iter_rows(values_only=True))[1]
    assert row[0] == "'=HYPERLINK(1)" and row[13] == "'@SUM(A1)"


def test_people_without_the_right_get_404(client, stored):
    signed_in(client, "auditor_enf", "410000", Role.SECURITY_AUDITOR)
    assert client.get(LIST).status_code == 404
    assert client.get(EXPORT).status_code == 404


def test_the_navigation_has_the_entry(county):
    assert LIST in county.get(LIST).content.decode()
