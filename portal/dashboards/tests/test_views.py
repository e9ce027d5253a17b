"""The dashboard pages: who sees which dashboard, out of scope answers like missing, the home
page is the reader's own dashboard, and the query budget does not grow with the data."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cases.models import Accountability, Problem
from complaints.models import Complaint
from portal.dashboards.registry import figure_sets
from portal.dashboards.services import figures_refresh
from portal.dashboards.tests.conftest import accountability, client_for, complaint, days, problem
from portal.regions.models import Region, Unit

pytestmark = pytest.mark.django_db

# session, user, the user's region, snapshot, regions, units per place; the header's inbox
# badge and the session timeout's touch of the session (savepoint, update, release); and per
# registered figure set its rows by dimension and its rows by place
PROVINCE_QUERIES = 10 + 2 * len(figure_sets())


CSRF = re.compile(rb'(csrfmiddlewaretoken" value="|"X-CSRFToken": ")[^"]+')


def page_of(response) -> bytes:
    """The body without what differs between any two requests: the CSRF token and the path
    (the language switch sends you back where you were)."""
    return CSRF.sub(rb"\1<token>", response.content).replace(response.wsgi_request.path.encode(), b"<path>")


def region_url(code):
    return reverse("dashboards:region", kwargs={"region_code": code})


def unit_url(unit):
    return reverse("dashboards:unit", kwargs={"pk": unit.pk})


def test_the_home_page_is_the_readers_own_dashboard(world, people):
    for who, title, places in (
        ("province", "河南省", "郑州市"),
        ("city", "郑州市", "金水区"),
        ("county", "金水区", "金水区治超执法站"),
    ):
        response = client_for(people[who]).get("/")
        assert response.status_code == 200
        d = response.context["d"]
        assert d.scope.root and d.scope.name == title
        body = response.content.decode()
        assert f"数据看板 · {title}" in body and places in body
        assert 'id="dashboard-charts"' in body and "portal/dashboards.js" in body
        assert "数据截至" in body


def test_readers_without_the_dashboard_land_elsewhere(world, people):
    response = client_for(people["auditor"]).get("/")
    assert response.status_code == 302 and response["Location"] == reverse("audit:events")
    assert client_for(people["auditor"]).get(region_url("410100")).status_code == 404


def test_drilling_down_province_city_county_unit(world, people, units):
    client = client_for(people["province"])
    province = client.get("/")
    assert region_url("410100") in province.content.decode()
    city = client.get(region_url("410100"))
    assert city.status_code == 200 and not city.context["d"].scope.root
    assert [name for name, _url in city.context["d"].crumbs] == ["河南省", "郑州市"]
    assert region_url("410105") in city.content.decode()
    county = client.get(region_url("410105"))
    assert county.status_code == 200 and county.context["d"].scope.places_are_units
    assert unit_url(units["a"]) in county.content.decode()
    unit = client.get(unit_url(units["a"]))
    assert unit.status_code == 200
    d = unit.context["d"]
    assert [name for name, _url in d.crumbs] == ["河南省", "郑州市", "金水区", units["a"].name]
    assert not d.places and "region-chart" not in d.charts
    assert {k.label: k.num.value for k in d.section("problems").kpis}["逾期未整改"] == 2


def test_out_of_scope_regions_and_units_answer_like_missing_ones(world, people, units):
    missing_region = client_for(people["county"]).get(region_url("419999"))
    missing_unit = client_for(people["county"]).get(reverse("dashboards:unit", kwargs={"pk": 987654321}))
    assert missing_region.status_code == missing_unit.status_code == 404
    cases = [
        ("county", region_url("410100")),  # the county's own city
        ("county", region_url("410122")),  # a neighbouring county
        ("county", region_url("410000")),
        ("county", unit_url(units["a2"])),
        ("county", unit_url(units["b"])),
        ("city", region_url("410303")),
        ("city", region_url("410300")),
        ("city", unit_url(units["b"])),
        ("city", unit_url(units["province"])),
        ("city_leader", region_url("410300")),
        ("county", reverse("overdue:region", kwargs={"region_code": "410122"})),
        ("county", reverse("overdue:unit", kwargs={"pk": units["b"].pk})),
        ("county", reverse("overdue:region-export", kwargs={"region_code": "410100"})),
        ("city", reverse("overdue:unit-export", kwargs={"pk": units["b"].pk})),
        ("county", region_url("41010")),  # not a region code at all
    ]
    for who, url in cases:
        client = client_for(people[who])
        response = client.get(url)
        assert response.status_code == 404, (who, url)
        assert page_of(response) == page_of(client.get(region_url("419999"))), (who, url)
    # and inside the subtree it works
    assert client_for(people["county"]).get(unit_url(units["a_station"])).status_code == 200
    assert client_for(people["city"]).get(region_url("410122")).status_code == 200


def test_a_leader_reads_the_dashboard_without_links_to_the_records(world, people):
    response = client_for(people["leader"]).get("/")
    assert response.status_code == 200
    body = response.content.decode()
    assert 'class="dash-num"' not in body  # the lists need VIEW_RECORDS, a leader has not
    assert reverse("overdue:own") in body
    assert reverse("overdue:own-export") not in body
    assert client_for(people["leader"]).get(reverse("overdue:own")).status_code == 200
    assert client_for(people["leader"]).get(reverse("overdue:own-export")).status_code == 404
    staff = client_for(people["province"]).get("/").content.decode()
    assert 'class="dash-num"' in staff


def test_a_dashboard_before_the_first_refresh(db, people):
    response = client_for(people["province"]).get("/")
    assert response.status_code == 200
    assert "统计数据正在生成" in response.content.decode()


def _count(client, url) -> int:
    client.get(url)  # warm: the first request may fill caches
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured.captured_queries)


def test_the_query_budget_does_not_grow_with_the_data(world, people, units, django_assert_num_queries):
    client = client_for(people["province"])
    city_client = client_for(people["city"])
    before = {
        "province": _count(client, "/"),
        "city": _count(city_client, "/"),
        "county": _count(client, region_url("410105")),
        "unit": _count(client, unit_url(units["a"])),
        "overdue": _count(client, reverse("overdue:own")),
    }
    # Fixed queries plus two per registered figure set: the budget grows with the sets an app
    # registers, never with the data (checked below at ten times the records).
    assert before["province"] == PROVINCE_QUERIES
    # Ten times the records, in every city, with new units, complaints and accountability.
    for city in Region.objects.filter(level=Region.Level.CITY):
        for county in Region.objects.filter(parent=city)[:3]:
            unit = Unit.objects.create(name=f"{county.name}执法大队", kind=Unit.Kind.ENFORCEMENT_AGENCY, region=county)
            made = [problem(unit, deadline=days(-i - 1)) for i in range(3)]
            made.append(problem(unit, status=Problem.Status.CLOSED, deadline=days(-1), closed_on=days(-2)))
            accountability(made[0], measure=Accountability.Measure.DISCIPLINE)
            complaint(unit)
            complaint(unit, status=Complaint.Status.CLOSED, closed_on=days(-1), received_on=days(-5))
    figures_refresh()
    assert Problem.objects.count() > 10 * 15
    after = {
        "province": _count(client, "/"),
        "city": _count(city_client, "/"),
        "county": _count(client, region_url("410105")),
        "unit": _count(client, unit_url(units["a"])),
        "overdue": _count(client, reverse("overdue:own")),
    }
    assert after == before
    with django_assert_num_queries(PROVINCE_QUERIES):
        client.get("/")
