"""Issue 15 §3: the dashboard figures of enforcement cases (by unit, mode and item; soft
measures against penalties) equal their lists, and the case tally they are computed from is
kept by the upload exactly as the cases say."""

from __future__ import annotations

import pytest
from django.urls import reverse

from cases.enforcement import services, tally
from cases.tests.enforcement import case
from portal.accounts.models import Role, User
from portal.dashboards import selectors as dashboards
from portal.dashboards.services import figures_refresh

pytestmark = pytest.mark.django_db


@pytest.fixture
def stored(system, agency, other_agency, items):
    """金水区: five cases of every mode, penalty and soft measure, one updated; 西工区: one."""
    services.case_upload_batch(
        actor=system,
        unit=agency,
        rows=[
            case("F-1", soft_measures=["persuasion"]),
            case(
                "F-2",
                mode="non_site",
                violation_item="YS002",
                penalty_type="none",
                penalty_amount=None,
                discretion="exempt",
                soft_measures=["persuasion", "warning"],
            ),
            case("F-3", mode="overload_station", soft_measures=[]),
            case("F-4", mode="non_site", penalty_type="warning", penalty_amount=None, soft_measures=["interview"]),
            case("F-5", penalty_type="none", penalty_amount=None, discretion="exempt", soft_measures=[]),
        ],
    )
    # F-1 changes mode, item and measures: the tally moves it, and counts it once
    services.case_upload_batch(
        actor=system,
        unit=agency,
        rows=[
            case(
                "F-1",
                mode="non_site",
                violation_item="YS002",
                soft_measures=["demonstration"],
                revised_at="2026-03-09T10:00:00+08:00",
            )
        ],
    )
    services.case_upload_batch(actor=system, unit=other_agency, rows=[case("W-1", region="410303")])


def test_the_tally_kept_by_the_upload_equals_the_cases(stored):
    kept = tally.case_tally()
    assert kept == tally.case_tally_from_cases()
    assert sum(kept.values()) == 6  # current versions: the update replaced F-1's first
    tally.case_tally_rebuild()
    assert tally.case_tally() == kept


def test_an_unchanged_or_late_batch_leaves_the_tally_alone(stored, system, agency):
    before = tally.case_tally()
    services.case_upload_batch(actor=system, unit=agency, rows=[case("F-3", mode="overload_station", soft_measures=[])])
    services.case_upload_batch(
        actor=system, unit=agency, rows=[case("F-1", mode="on_site", revised_at="2026-03-01T09:00:00+08:00")]
    )
    assert tally.case_tally() == before


def _user(username, region, role):
    return User.objects.create_user(username, region_id=region, roles=[role])


def _nums(board):
    """Every number the enforcement set shows: the KPIs and every row of its cards."""
    nums = [k.num for k in board.section("enforcement").kpis]
    for card in board.cards:
        if card.key.startswith("enforcement-"):
            for row in card.data["rows"]:
                nums += [v for v in row.values() if isinstance(v, dashboards.Num)]
            nums += [v for v in card.data.values() if isinstance(v, dashboards.Num)]
    return nums


@pytest.mark.parametrize(
    ("username", "region", "role", "total"),
    [("enf_county", "410105", Role.COUNTY_OFFICER, 5), ("enf_province", "410000", Role.PROVINCE_STAFF, 6)],
)
def test_every_figure_equals_its_list(client, stored, username, region, role, total):
    figures_refresh()
    user = _user(username, region, role)
    client.force_login(user)
    board = dashboards.dashboard(user, dashboards.scope_own(user))
    assert board.section("enforcement").kpis[0].num.value == total
    nums = _nums(board)
    assert len(nums) > 15
    for num in nums:
        assert num.url, f"{num.value} has no list"
        assert num.url.startswith(reverse("enforcement_cases:list"))
        response = client.get(num.url)
        assert response.status_code == 200
        assert len(response.context["rows"]) == num.value, num.url


def test_the_figures_count_soft_measures_against_penalties(stored):
    figures_refresh()
    user = _user("enf_county2", "410105", Role.COUNTY_OFFICER)
    board = dashboards.dashboard(user, dashboards.scope_own(user))
    kpis = [k.num.value for k in board.section("enforcement").kpis]
    # F-1 fine+demonstration, F-2 none+persuasion+warning, F-3 fine, F-4 warning+interview, F-5 none
    assert kpis == [5, 3, 3, 1]  # cases, penalized, soft measures, soft measures only
    soft = board.card("enforcement-soft").data["rows"]
    by_name = {row["name"]: (row["total"].value, row["penalized"].value, row["unpenalized"].value) for row in soft}
    assert by_name == {"说服教育": (1, 0, 1), "劝导示范": (1, 1, 0), "警示告诫": (1, 0, 1), "指导约谈": (1, 1, 0)}
    modes = board.card("enforcement-modes").data["rows"]
    assert [(row["name"], row["total"].value) for row in modes] == [
        ("现场执法", 1),
        ("非现场执法（闯卡抓拍等）", 3),
        ("超限检测站", 1),
    ]


def test_the_dashboard_page_shows_the_enforcement_cards(client, stored):
    figures_refresh()
    user = _user("enf_city", "410100", Role.CITY_STAFF)
    client.force_login(user)
    body = client.get(reverse("dashboards:region", kwargs={"region_code": "410100"})).content.decode()
    for marker in ('id="kpi-enforcement"', 'id="enforcement-modes"', 'id="enforcement-items"', 'id="enforcement-soft"'):
        assert marker in body
