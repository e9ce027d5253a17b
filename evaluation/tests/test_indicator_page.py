"""The indicator page (point 1): the province edits a year's indicators; an unknown figure is
refused with the known names listed, the weight check is said; the admin inline runs the same."""

import pytest
from django.test import Client
from django.urls import reverse

from evaluation.forms import IndicatorForm
from evaluation.models import Indicator, IndicatorSystem, Period
from portal.accounts.models import Role, User
from portal.audit.models import AuditEvent

pytestmark = pytest.mark.django_db

FIELDS = {
    "code": "D9",
    "name": "按期整改率",
    "dimension": "daily",
    "level": "county",
    "weight": "100",
    "rule": "computed",
    "figure": "problems.no_such",
    "target": "0.95",
    "zero_at": "0.6",
    "description": "",
    "sort_order": "1",
}


@pytest.fixture
def province():
    client = Client()
    client.force_login(User.objects.create(username="ind-prov", region_id="410000", roles=[Role.PROVINCE_STAFF]))
    return client


def test_unknown_figure_refused_with_known_names_and_weights_said(province):
    system = IndicatorSystem.objects.create(year=2032)
    url = reverse("evaluation:indicator-save")
    response = province.post(url, {**FIELDS, "year": 2032})
    body = response.content.decode()
    assert response.status_code == 400 and "problems.no_such" in body and "problems.on_time_rate" in body
    assert not Indicator.objects.exists()
    response = province.post(url, {**FIELDS, "year": 2032, "figure": "problems.on_time_rate", "weight": "60"})
    assert response.status_code == 302
    indicator = Indicator.objects.get()
    assert AuditEvent.objects.filter(action="evaluation.indicator_add").exists()
    page = province.get(reverse("evaluation:indicators"), {"year": 2032}).content.decode()
    assert "合计为 60" in page  # county weights sum to 60, not 100
    # edit: weight to 100; the same code twice is refused by name
    edited = {**FIELDS, "year": 2032, "figure": "problems.on_time_rate", "indicator": indicator.pk}
    response = province.post(url, edited)
    assert response.status_code == 302 and Indicator.objects.get().weight == 100
    response = province.post(url, {**FIELDS, "year": 2032, "figure": "problems.on_time_rate"})
    assert response.status_code == 400 and Indicator.objects.count() == 1
    # a closed period freezes the system
    Period.objects.create(
        system=system,
        kind="year",
        starts_on="2032-01-01",
        ends_on="2032-12-31",
        status="closed",
        closed_at="2032-12-31T10:00:00Z",
        closed_by=User.objects.get(username="ind-prov"),
    )
    response = province.post(url, {**edited, "weight": "50"})
    assert response.status_code == 302
    assert Indicator.objects.get().weight == 100


def test_admin_inline_runs_the_same_check():
    system = IndicatorSystem.objects.create(year=2033)
    form = IndicatorForm({**FIELDS}, instance=Indicator(system=system))
    assert not form.is_valid() and "problems.on_time_rate" in form.errors["figure"][0]
    from evaluation.admin import IndicatorInline

    assert IndicatorInline.form is IndicatorForm


def test_a_county_cannot_reach_the_indicator_page():
    client = Client()
    client.force_login(User.objects.create(username="ind-county", region_id="410105", roles=[Role.COUNTY_OFFICER]))
    assert client.get(reverse("evaluation:indicators")).status_code == 404
