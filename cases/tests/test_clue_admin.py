"""Issue 19's admin: a benchmark with min above max, overlapping versions and a threshold that is
not a number are refused on the form with a message, and nothing is saved."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from cases.enforcement.clue_models import ClueRule, DiscretionBenchmark, ExemptionItem
from cases.enforcement.clues import clue_rules_ensure
from portal.accounts.models import Role, User
from portal.audit.models import AuditEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    user = User.objects.create_user("clue_admin", region_id="410000", roles=[Role.PROVINCE_ADMIN], is_staff=True)
    user.user_permissions.set(
        Permission.objects.filter(
            content_type__app_label="cases",
            content_type__model__in=["discretionbenchmark", "exemptionitem", "cluerule"],
        )
    )
    client.force_login(user)
    return client


def bench(items, lo, hi, start, end=""):
    return {
        "violation_item": items["CZ001"].pk,
        "level": "general",
        "min_amount": lo,
        "max_amount": hi,
        "effective_from": start,
        "effective_to": end,
        "provenance": "admin",
        "note": "",
    }


def test_benchmark_min_above_max_and_overlap_are_refused_on_the_form(admin_client, items):
    url = reverse("admin:cases_discretionbenchmark_add")
    response = admin_client.post(url, bench(items, "500", "100", "2025-01-01"))
    assert response.status_code == 200 and "低于下限" in response.content.decode()
    assert admin_client.post(url, bench(items, "100", "500", "2025-01-01", "2026-01-01")).status_code == 302
    response = admin_client.post(url, bench(items, "100", "800", "2025-06-01"))
    assert "时间重叠" in response.content.decode()
    assert DiscretionBenchmark.objects.count() == 1
    assert AuditEvent.objects.filter(action="discretion_benchmark.create").count() == 1


def test_overlapping_exemption_versions_are_refused_on_the_form(admin_client, items):
    url = reverse("admin:cases_exemptionitem_add")
    data = {
        "violation_item": items["YS002"].pk,
        "name": "未随车携带道路运输证",
        "legal_basis": "",
        "conditions": ["first_offence", "corrected"],
        "first_offence_days": 365,
        "effective_from": "2024-01-01",
        "effective_to": "",
        "provenance": "admin",
        "note": "",
    }
    assert admin_client.post(url, data).status_code == 302
    response = admin_client.post(url, {**data, "effective_from": "2025-01-01"})
    assert "时间重叠" in response.content.decode() and ExemptionItem.objects.count() == 1


def test_a_threshold_that_is_not_a_number_is_refused_on_the_form(admin_client):
    rule = clue_rules_ensure()["decision_overdue"]
    url = reverse("admin:cases_cluerule_change", args=[rule.pk])
    response = admin_client.post(url, {"enabled": "on", "params": '{"limit_days": "ninety"}'})
    assert response.status_code == 200 and "须为数字" in response.content.decode()
    rule.refresh_from_db()
    assert rule.params == {"limit_days": 90}
    assert admin_client.post(url, {"enabled": "on", "params": '{"limit_days": 60}'}).status_code == 302
    assert ClueRule.objects.get(pk=rule.pk).params == {"limit_days": 60}
