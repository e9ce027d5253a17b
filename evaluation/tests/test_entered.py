"""Values the province enters with evidence (point 1, rule ``entered``): the page and the
service; bad input named, nothing saved; a closed period refuses."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from evaluation import services
from evaluation.models import EnteredValue, Indicator, IndicatorSystem
from portal.accounts.models import Role, User
from portal.audit.models import AuditEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def setup():
    province = User.objects.create(username="en-prov", region_id="410000", roles=[Role.PROVINCE_STAFF])
    system = IndicatorSystem.objects.create(year=2031)
    common = {"system": system, "rule": "entered", "target": 100, "zero_at": 0, "dimension": "onsite"}
    county = Indicator.objects.create(code="F1", name="实地检查评分", level="county", weight=100, **common)
    Indicator.objects.create(code="F1", name="实地检查评分", level="city", weight=100, **common)
    period = services.period_open(actor=province, system=system, kind="year")
    return province, period, county


def pdf():
    return SimpleUploadedFile("检查记录.pdf", b"%PDF-1.4\n", content_type="application/pdf")


def test_the_province_enters_a_value_with_evidence_and_it_scores(setup):
    province, period, indicator = setup
    client = Client()
    client.force_login(province)
    url = reverse("evaluation:entered-save")
    client.post(url, {"period": period.pk, "indicator": indicator.pk, "region": "410100", "value": "x"})
    assert not EnteredValue.objects.exists()  # a city for a county indicator, not a number, no evidence
    messages = [str(m) for m in client.get(reverse("evaluation:entered")).context["messages"]]
    assert any("410100" in m for m in messages) and any("数字" in m for m in messages)
    response = client.post(
        url, {"period": period.pk, "indicator": indicator.pk, "region": "410105", "value": "80", "evidence": pdf()}
    )
    assert response.status_code == 302
    row = EnteredValue.objects.get()
    assert row.value == 80 and row.region_id == "410105" and row.entered_by == province
    assert AuditEvent.objects.filter(action="evaluation.value_enter").exists()
    assert "实地检查评分" in client.get(reverse("evaluation:entered")).content.decode()
    closed = services.period_close(actor=province, period_id=period.pk)
    score = closed.scores.get(region_id="410105").indicator_scores.get()
    assert score.value == 80 and score.inputs["entered"]["value"] == 80
    client.post(
        url, {"period": period.pk, "indicator": indicator.pk, "region": "410105", "value": "90", "evidence": pdf()}
    )
    assert EnteredValue.objects.get().value == 80  # frozen


def test_a_county_cannot_enter_values(setup):
    _province, period, indicator = setup
    client = Client()
    client.force_login(User.objects.create(username="en-county", region_id="410105", roles=[Role.COUNTY_OFFICER]))
    assert client.get(reverse("evaluation:entered")).status_code == 404
    response = client.post(
        reverse("evaluation:entered-save"),
        {"period": period.pk, "indicator": indicator.pk, "region": "410105", "value": "80", "evidence": pdf()},
    )
    assert response.status_code == 404 and not EnteredValue.objects.exists()
