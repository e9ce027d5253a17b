"""Issue 20 §7: the demo data — enterprises and assignments for every demo level, a closed
month with a leader below 2 station days, records in every register, and every coverage figure
equal to the list it links to. Re-running adds nothing."""

from __future__ import annotations

import random

import pytest
from django.test import Client

from portal.accounts import seed as accounts_seed
from portal.core.seeding import SeedContext
from portal.regions import seed as regions_seed
from service import seed as service_seed
from service.models import Assignment, Decision, Enterprise, ServiceRecord, StationMonth, Visit

pytestmark = pytest.mark.django_db


def test_the_demo_seed_and_its_coverage_figures(client: Client):
    ctx = SeedContext(scale="small", rng=random.Random(1))  # noqa: S311 - a reproducible seed, not a secret
    regions_seed.seed(ctx)
    accounts_seed.seed_role_users(ctx)
    service_seed.seed(ctx)
    counts = (Enterprise.objects.count(), Assignment.objects.count(), ServiceRecord.objects.count())
    service_seed.seed(ctx)
    assert (Enterprise.objects.count(), Assignment.objects.count(), ServiceRecord.objects.count()) == counts
    assert Enterprise.objects.exclude(check_override_reason="").count() == 1
    levels = set(Assignment.objects.values_list("leader__region__level", flat=True))
    assert levels == {"province", "city", "county"}
    assert set(ServiceRecord.objects.values_list("kind", flat=True)) == set(ServiceRecord.Kind.values)
    assert all(r.photos.exists() for r in ServiceRecord.objects.all())
    assert StationMonth.objects.filter(below=True).exists() and StationMonth.objects.filter(below=False).exists()
    assert Visit.objects.exists() and Decision.objects.filter(status="open").count() == 2

    from django.contrib.auth import get_user_model

    client.force_login(get_user_model().objects.get(username="shengting"))
    rows = client.get("/service/coverage/").context["rows"]
    checked = 0
    for row in rows:
        for key, url in row["links"].items():
            assert url, (row["region"].code, key)  # every figure links, the combined one too
            listed = client.get(url).context["page"].paginator.count
            assert listed == row["counts"][key], (row["region"].code, key)
            checked += 1
    assert checked > 0
    assert "kind=open_day&kind=experience" in rows[0]["links"]["open_days"]
    assert sum(r["counts"]["open_days"] for r in rows) >= 2  # both kinds are in it
    zhengzhou = next(r for r in rows if r["region"].code == "410100")
    assert zhengzhou["counts"]["unassigned"] == 0 and zhengzhou["counts"]["months_below"] >= 1
    luoyang = next(r for r in rows if r["region"].code == "410300")
    assert luoyang["counts"]["unassigned"] == 1

    from portal.dashboards.services import figures_refresh
    from service.models import ServiceFigure

    figures_refresh()
    for row in rows:
        figure = ServiceFigure.objects.filter(region_id=row["region"].code, unit__isnull=True, dim="all")
        for key in ("enterprises", "unassigned", "months_below", "party_branches", "rest_rooms", "open_days"):
            assert sum(figure.values_list(key, flat=True)) == row["counts"][key], (row["region"].code, key)

    # the dashboard's combined "open days / experience weeks" number links to a list equal to it
    board = client.get("/").context["d"]
    kpi = next(k for k in board.section("service").kpis if str(k.label) == "开放日/体验周")
    assert kpi.num.url and "kind=open_day" in kpi.num.url and "kind=experience" in kpi.num.url
    assert kpi.num.value == sum(r["counts"]["open_days"] for r in rows) >= 2
    assert client.get(kpi.num.url).context["page"].paginator.count == kpi.num.value


def test_the_large_seed_step_is_additive_and_feeds_the_public_lookup(client: Client):
    """seed_large (the bench's provincial scale, here with 400 enterprises): every county has
    enterprises, each assigned to its county's leader, codes pass the check; a re-run adds
    nothing; the public lookup finds one by its exact name with its published phones only."""
    from portal.regions.models import Region
    from service.creditcode import check_ok
    from service.models import LeaderContact

    ctx = SeedContext(scale="large", rng=random.Random(1))  # noqa: S311 - a reproducible seed, not a secret
    regions_seed.seed(ctx)
    service_seed.seed_large(ctx, n=400)
    counties = Region.objects.filter(level="county").count()
    large = Enterprise.objects.filter(name__startswith=service_seed.LARGE_PREFIX)
    assert large.count() == 400 and large.values("region").distinct().count() == min(400, counties)
    assert all(check_ok(code) for code in large.values_list("credit_code", flat=True))
    assert not large.filter(assignments__isnull=True).exists()
    assert Assignment.objects.filter(enterprise__isnull=False).count() == 400 + 40  # every tenth: its city's too
    assert LeaderContact.objects.count() == Region.objects.filter(level__in=["city", "county"]).count()
    before = (Enterprise.objects.count(), Assignment.objects.count(), LeaderContact.objects.count())
    service_seed.seed_large(ctx, n=400)
    assert (Enterprise.objects.count(), Assignment.objects.count(), LeaderContact.objects.count()) == before

    first = large.order_by("credit_code").first()
    body = client.get("/public/contacts/", {"q": first.name}).content.decode()
    assert 'id="contact-result"' in body
    for row in Assignment.objects.filter(enterprise=first).select_related("leader__leader_contact"):
        contact = row.leader.leader_contact
        assert contact.post in body and (contact.phone in body) == contact.published
