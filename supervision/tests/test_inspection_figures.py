"""The dashboard figure of cross-region supervision (issue 17 §6): per city and the province,
activities held this quarter, targets visited, findings and problems raised; equal to the
activity list its number links to, and scoped like every figure."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlparse

import pytest
from django.urls import reverse
from django.utils import timezone

from cases.models import Category
from portal.dashboards.selectors import dashboard, scope_own, scope_region
from portal.dashboards.services import figures_refresh
from portal.regions.models import EnforcementDomain
from supervision import activities
from supervision.models import Activity
from supervision.tests import factories as f
from supervision.tests.test_draws import HOMES

pytestmark = pytest.mark.django_db


def _started_today(act):
    today = timezone.localdate()
    year, quarter = activities.quarter_of(today)
    Activity.objects.filter(pk=act.pk).update(starts_on=today, ends_on=today, year=year, quarter=quarter)
    act.refresh_from_db()
    return act


@pytest.fixture
def held():
    province = f.user("prov", "410000")
    city = f.user("zz", "410100", role="city_staff")
    city_b = f.user("ly", "410300", role="city_staff")
    county = f.user("jinshui", "410105", role="county_officer")
    f.pool(province, HOMES)
    # the province's activity: two targets, one visited with two findings, one raised
    act = f.activity(province)
    one = activities.target_add(actor=province, activity=act, unit=f.unit("410303"))
    activities.target_add(actor=province, activity=act, unit=f.unit("410202"))
    f.drawn_team(province, act)
    act = _started_today(act)
    member = act.team.first().inspector_id
    activities.record_visit(actor=province, target_id=one.pk, answers={}, member_ids=[member])
    first = activities.finding_add(actor=province, activity_id=act.pk, target_id=one.pk, text="未亮证执法")
    activities.finding_add(actor=province, activity_id=act.pk, target_id=one.pk, text="台账不全")
    activities.finding_raise_problem(
        actor=province,
        finding_id=first.pk,
        category=Category.objects.filter(parent__isnull=False).order_by("pk").first(),
        domain=EnforcementDomain.objects.order_by("pk").first(),
    )
    # 郑州's own: held (started today), nothing recorded yet
    _started_today(f.activity(city, title="郑州市第四季度异地执法监督"))
    # 洛阳's: planned for later, not held
    f.activity(city_b, days_ahead=200, title="洛阳市下季度异地执法监督")
    figures_refresh()
    return {"province": province, "city": city, "city_b": city_b, "county": county}


def _numbers(board) -> dict:
    section = next(s for s in board.sections if s.key == "inspection")
    return {k.label: k.num for k in section.kpis}


def test_the_province_and_each_city_have_their_quarter_figures_equal_to_the_list(client, held):
    board = dashboard(held["province"], scope_own(held["province"]))
    nums = _numbers(board)
    assert [n.value for n in nums.values()] == [2, 1, 2, 1]  # held, visited, findings, raised
    # the number links to the activity list; the list shows as many
    url = nums["已开展活动"].url
    assert url.startswith(reverse("supervision:activities"))
    client.force_login(held["province"])
    response = client.get(url)
    assert response.status_code == 200 and response.context["page"].paginator.count == 2
    # per city, in the places table: 郑州 1, 洛阳 0
    places = {p.key: p for p in board.places}
    assert places["410100"].nums["insp_held"].value == 1 and places["410300"].nums["insp_held"].value == 0
    city_url = places["410100"].nums["insp_held"].url
    assert dict(q.split("=") for q in urlparse(city_url).query.split("&"))["region"] == "410100"
    assert client.get(city_url).context["page"].paginator.count == 1
    # 郑州's own dashboard: its own activity only, equal to its list
    board = dashboard(held["city"], scope_own(held["city"]))
    nums = _numbers(board)
    assert [n.value for n in nums.values()] == [1, 0, 0, 0]
    client.force_login(held["city"])
    assert client.get(nums["已开展活动"].url).context["page"].paginator.count == 1
    # a county organises nothing: zeros, and the province's figure is not in its scope
    assert [n.value for n in _numbers(dashboard(held["county"], scope_own(held["county"]))).values()] == [0, 0, 0, 0]
    with pytest.raises(Exception):  # noqa: B017 - out of scope answers like a missing region
        scope_region(held["city"], "410000")


def test_the_list_filters_read_bad_values_as_no_match(client, held):
    client.force_login(held["province"])
    url = reverse("supervision:activities")
    assert client.get(url).context["page"].paginator.count == 3
    for query in ("region=abc", "year=20x6", "quarter=9", "held=maybe", "region=999999"):
        response = client.get(f"{url}?{query}")
        assert response.status_code == 200 and response.context["page"].paginator.count == 0, query
    year, quarter = activities.quarter_of(timezone.localdate() + dt.timedelta(days=200))
    assert client.get(f"{url}?region=410300&year={year}&quarter={quarter}").context["page"].paginator.count == 1
