"""Issue 19 §3: the dashboard card of clues by rule and unit. Every number of the clue set (its
KPIs and both tables of its card) equals the clue queue it links to, on the county's, the
city's and the province's dashboards, a region's under the reader's and a unit's."""

from __future__ import annotations

import pytest
from django.urls import reverse

from cases.enforcement import clue_services, clues, services
from cases.enforcement.clue_models import Clue
from cases.enforcement.models import CaseUploadClient
from cases.tests.enforcement import case
from portal.accounts.models import Role, User
from portal.dashboards import selectors as dashboards
from portal.dashboards.services import figures_refresh
from portal.regions.models import Region

pytestmark = pytest.mark.django_db


@pytest.fixture
def found(system, agency, other_agency, items):
    """金水区: a direct fine at a station and a penalty from a capture (two rules), one of them
    dismissed; 西工区: a direct fine at a station."""
    services.case_upload_batch(
        actor=system,
        unit=agency,
        rows=[case("图1号", mode="overload_station"), case("图2号", mode="non_site", party_id_number="X2")],
    )
    other = User.objects.create_user("clue_fig_xigong", region_id="410303")
    CaseUploadClient.objects.create(user=other, unit=other_agency, name="西工区执法办案系统")
    services.case_upload_batch(
        actor=other, unit=other_agency, rows=[case("西图1号", mode="overload_station", region="410303")]
    )
    clues.clues_check(kind="upload")
    province = User.objects.create_user("clue_fig_prov", region_id="410000", roles=[Role.PROVINCE_STAFF])
    capture = Clue.objects.get(rule__code="capture_penalty")
    clue_services.clue_dismiss(actor=province, clue_id=capture.pk, note="抓拍后经现场核实，依法处罚")
    figures_refresh()
    return Clue.objects.all()


def _nums(board):
    nums = [k.num for k in board.section("clues").kpis]
    card = board.card("clues")
    for row in [*card.data["rows"], *card.data["units"]]:
        nums += [v for v in row.values() if isinstance(v, dashboards.Num)]
    return nums


def _queue_count(client, url) -> int:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.context["page"].paginator.count


@pytest.mark.parametrize(
    ("username", "region", "role", "where"),
    [
        ("clf_county", "410105", Role.COUNTY_OFFICER, None),
        ("clf_city", "410100", Role.CITY_STAFF, None),
        ("clf_province", "410000", Role.PROVINCE_STAFF, None),
        ("clf_province2", "410000", Role.PROVINCE_STAFF, "410300"),
        ("clf_province3", "410000", Role.PROVINCE_STAFF, "unit"),
    ],
)
def test_every_clue_number_equals_the_queue_it_links_to(client, found, agency, username, region, role, where):
    user = User.objects.create_user(username, region_id=region, roles=[role])
    client.force_login(user)
    if where is None:
        scope = dashboards.scope_own(user)
        total = found.filter(region__in=Region.objects.subtree_of(scope.region).values("code")).count()
    elif where == "unit":
        scope = dashboards.scope_unit(user, agency.pk)
        total = found.filter(unit=agency).count()
    else:
        scope = dashboards.scope_region(user, where)
        total = found.filter(region__in=Region.objects.subtree_of(scope.region).values("code")).count()
    assert total
    board = dashboards.dashboard(user, scope)
    kpis = [k.num.value for k in board.section("clues").kpis]
    assert kpis[0] == total
    assert sum(row["total"].value for row in board.card("clues").data["rows"]) == total
    assert sum(row["total"].value for row in board.card("clues").data["units"]) == total
    nums = _nums(board)
    assert len(nums) >= 12
    places = [p.nums["clue_open"] for p in board.places if p.nums.get("clue_open") and p.nums["clue_open"].url]
    assert bool(places) == (where != "unit")  # the places table's column (a unit has no places)
    nums += places
    for num in nums:
        assert num.url.startswith(reverse("enforcement_cases:clues")), num
        assert _queue_count(client, num.url) == num.value, num.url


def test_the_card_counts_by_rule_and_unit(found, agency, other_agency):
    user = User.objects.create_user("clf_p", region_id="410000", roles=[Role.PROVINCE_STAFF])
    board = dashboards.dashboard(user, dashboards.scope_own(user))
    total, dismissed = found.count(), found.filter(status=Clue.Status.DISMISSED).count()
    assert dismissed == 1
    assert [k.num.value for k in board.section("clues").kpis] == [total, total - 1, 0, 1]
    card = board.card("clues").data
    rules = {row["name"]: (row["total"].value, row["open"].value, row["dismissed"].value) for row in card["rows"]}
    expected = {}
    for clue in found.select_related("rule"):
        n, o, d = expected.get(str(clues.RULES[clue.rule.code].name), (0, 0, 0))
        expected[str(clues.RULES[clue.rule.code].name)] = (
            n + 1,
            o + (clue.status == "open"),
            d + (clue.status == "dismissed"),
        )
    assert rules == expected
    assert rules[str(clues.RULES["capture_penalty"].name)][2] == 1
    units = {row["name"]: (row["total"].value, row["open"].value) for row in card["units"]}
    mine = found.filter(unit=agency)
    assert units == {
        agency.name: (mine.count(), mine.count() - 1),
        other_agency.name: (found.filter(unit=other_agency).count(),) * 2,
    }


def test_the_dashboard_page_shows_the_clue_card_and_a_bad_filter_lists_nothing(client, found):
    user = User.objects.create_user("clf_c", region_id="410100", roles=[Role.CITY_STAFF])
    client.force_login(user)
    body = client.get(reverse("dashboards:region", kwargs={"region_code": "410100"})).content.decode()
    for marker in ('id="kpi-clues"', 'id="clues-by-rule"', 'id="clues-by-unit"'):
        assert marker in body
    # a region outside the reader's subtree is no filter of theirs: nothing listed, not everything
    response = client.get(reverse("enforcement_cases:clues"), {"region": "410300"})
    assert response.status_code == 200
    assert response.context["page"].paginator.count == 0
    assert response.context["form"].errors["region"]
