"""Every number on a dashboard that links to a list equals the count of that list: each link
is followed with the test client and the list's own total read from the page."""

from __future__ import annotations

from dataclasses import fields, is_dataclass
from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import resolve, reverse

from complaints.selectors import complaint_search
from portal.dashboards import links as links_module
from portal.dashboards.registry import drill_lists
from portal.dashboards.selectors import Num, Place
from portal.dashboards.tests.conftest import client_for

pytestmark = pytest.mark.django_db


def linked_numbers(value, seen=None):
    """Every Num with a URL anywhere in a dashboard (KPIs, tables, rankings, places)."""
    seen = seen if seen is not None else set()
    if id(value) in seen:
        return
    seen.add(id(value))
    if isinstance(value, Num):
        if value.url:
            yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from linked_numbers(item, seen)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from linked_numbers(item, seen)
    elif is_dataclass(value) and not isinstance(value, type):
        for f in fields(value):
            if f.name not in ("scope", "snapshot", "period", "charts"):
                yield from linked_numbers(getattr(value, f.name), seen)


def list_total(client, user, url) -> int:
    """The total the linked list itself shows."""
    response = client.get(url)
    assert response.status_code == 200, url
    match = resolve(urlsplit(url).path)
    lists = {drill.url_name for drill in drill_lists().values()}
    assert match.view_name in lists, f"{url} is not a list"
    if match.view_name == "enforcement_cases:list":
        # the case list reads one row more than it shows and never counts (10M cases): count
        # what it lists with its own form and selector
        from cases.enforcement.views import cases_for_query

        return cases_for_query(user, response.wsgi_request.GET).count()
    if match.view_name == "complaints:list":
        # the list's own selector agrees with the page
        params = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
        assert complaint_search(user, params)[0].count() == response.context["page"].paginator.count
    return response.context["page"].paginator.count


@pytest.mark.parametrize(
    ("who", "where"),
    [
        ("province", "/"),
        ("province", "region:410100"),
        ("province", "region:410105"),
        ("province", "unit:a"),
        ("city", "/"),
        ("county", "/"),
        ("county", "unit:a_station"),
    ],
)
def test_every_linked_number_equals_its_list(world, people, units, who, where):
    user = people[who]
    client = client_for(user)
    if where == "/":
        url = "/"
    elif where.startswith("region:"):
        url = reverse("dashboards:region", kwargs={"region_code": where.split(":")[1]})
    else:
        url = reverse("dashboards:unit", kwargs={"pk": units[where.split(":")[1]].pk})
    response = client.get(url)
    assert response.status_code == 200
    numbers = list(linked_numbers(response.context["d"]))
    body = response.content.decode()
    checked = 0
    for num in numbers:
        if num.value:  # the page shows the link it was given (a zero stays plain)
            assert num.url.replace("&", "&amp;") in body, num
        assert list_total(client, user, num.url) == num.value, num
        checked += 1
    # overdue, key overdue, by state, by category (total and overdue), the places' overdue
    assert checked >= 8, [n.url for n in numbers]
    if not where.startswith("unit:"):
        # issue 20: the combined open days / experience weeks figure, its list filtered by both kinds
        combined = [n for n in numbers if "kind=open_day&kind=experience" in n.url]
        assert combined and any(n.value for n in combined), [n.url for n in numbers]


def test_numbers_link_only_where_the_list_can_reproduce_them(world, people):
    response = client_for(people["province"]).get("/")
    d = response.context["d"]
    kpis = {k.label: k.num for k in d.section("problems").kpis}
    assert kpis["逾期未整改"].url == "/cases/?region=410000&overdue=yes"
    assert kpis["重点问题逾期"].url == "/cases/?region=410000&is_key=true&overdue=yes"
    supported = links_module.list_filters("problems")
    # What the problem list cannot filter yet stays a plain number (see links.py).
    assert ("open" in supported) == bool(kpis["在办问题"].url)
    assert ("closed_from" in supported) == bool(kpis["本月销号"].url)
    if "domain" not in supported:
        assert all(not row["total"].url for row in d.card("problems-domains").data["rows"])
    places = [p for p in d.places if isinstance(p, Place) and not p.own_level]
    assert all(p.nums["overdue"].url == f"/cases/?region={p.key}&overdue=yes" for p in places)
    own = next(p for p in d.places if p.own_level)
    assert not own.nums["overdue"].url  # "the province itself only" is no filter of the list


def test_complaint_numbers_link_on_the_readers_own_dashboard(world, people):
    """The complaint list is limited to the reader's subtree and has no region filter: the
    reader's own dashboard links its complaint counts, a region below it cannot."""
    own = client_for(people["city"]).get("/").context["d"]
    counts = [k.num for k in own.section("complaints").kpis if k.num.kind == "count"]
    assert counts and all(num.url.startswith("/complaints/all/?") for num in counts)
    assert {k.label: k.num.url for k in own.section("complaints").kpis}["超期未办结"] == "/complaints/all/?light=red"
    below = client_for(people["province"]).get(reverse("dashboards:region", kwargs={"region_code": "410100"}))
    supported = links_module.list_filters("complaints")
    below_counts = [k.num for k in below.context["d"].section("complaints").kpis if k.num.kind == "count"]
    assert all(bool(num.url) == ("region" in supported) for num in below_counts)
