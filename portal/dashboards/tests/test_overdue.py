"""The overdue lists for supervisors and their .xlsx export: scoped, longest overdue first,
filterable, neutralised cells, audited."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from cases.models import Problem
from portal.audit.models import AuditEvent
from portal.dashboards.tests.conftest import client_for, days, problem

pytestmark = pytest.mark.django_db


def test_the_overdue_list_longest_overdue_first(world, people):
    response = client_for(people["province"]).get(reverse("overdue:own"))
    assert response.status_code == 200
    page = response.context["page"]
    assert page.paginator.count == Problem.objects.overdue().count() == 5
    assert [p.days_overdue for p in page] == [40, 12, 7, 5, 1]
    body = response.content.decode()
    assert reverse("cases:detail", kwargs={"pk": world["a_overdue_key"].pk}) in body


def test_the_overdue_list_of_a_region_and_of_a_unit(world, people, units):
    client = client_for(people["city"])
    own = client.get(reverse("overdue:own")).context["page"]
    assert {p.region_id for p in own} == {"410105", "410122", "410100"} and own.paginator.count == 4
    county = client.get(reverse("overdue:region", kwargs={"region_code": "410105"})).context["page"]
    assert {p.pk for p in county} == {world["a_overdue"].pk, world["a_overdue_key"].pk}
    unit = client.get(reverse("overdue:unit", kwargs={"pk": units["a2"].pk})).context["page"]
    assert [p.pk for p in unit] == [world["a2_overdue"].pk]


def test_the_overdue_list_filters(world, people):
    client = client_for(people["province"])
    url = reverse("overdue:own")
    assert client.get(url, {"days": "30"}).context["page"].paginator.count == 1
    assert client.get(url, {"key": "1"}).context["page"].paginator.count == 1
    assert client.get(url, {"days": "7"}).context["page"].paginator.count == 5  # not a choice: ignored


def test_the_overdue_export(world, people, units):
    problem(units["a"], deadline=days(-3), title='=HYPERLINK("http://evil")')
    client = client_for(people["city"])
    response = client.get(reverse("overdue:own-export"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in response["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("问题编号", "问题标题", "所属区划")
    assert len(rows) - 1 == 5  # the city's four and the new one
    titles = [row[1] for row in rows[1:]]
    assert '\'=HYPERLINK("http://evil")' in titles  # a formula is shown as text
    assert {row[2] for row in rows[1:]} <= {"金水区", "中牟县", "郑州市"}  # nothing of 洛阳
    assert [row[7] for row in rows[1:]] == sorted((row[7] for row in rows[1:]), reverse=True)
    event = AuditEvent.objects.filter(action="dashboard.overdue_export").latest("seq")
    assert event.changes["rows"] == 5 and event.changes["scope"] == "region:410100"
    assert event.actor_username == people["city"].username


def test_the_export_of_a_unit_with_filters(world, people, units):
    response = client_for(people["province"]).get(
        reverse("overdue:unit-export", kwargs={"pk": units["a"].pk}), {"key": "1"}
    )
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    assert [row[0] for row in rows[1:]] == [world["a_overdue_key"].code]
