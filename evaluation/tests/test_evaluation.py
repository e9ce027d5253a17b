import io
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from cases.models import Problem
from evaluation import services
from evaluation.models import EntityScore, Indicator, IndicatorScore, IndicatorSystem, Period
from portal.accounts.models import Role, User

pytestmark = pytest.mark.django_db


@pytest.fixture
def province():
    return User.objects.create(username="eval-prov", region_id="410000", roles=[Role.PROVINCE_STAFF])


@pytest.fixture
def seeded():
    call_command("seed_demo", scale="small", stdout=io.StringIO())
    return User.objects.get(username="shengting")


def test_competition_ranking_shares_ranks_and_skips():
    ranks = services.competition_ranks([("a", Decimal(90)), ("b", Decimal(90)), ("c", Decimal(80))])
    assert ranks == {"a": 1, "b": 1, "c": 3}


def test_linear_curve_both_directions():
    rate = Indicator(target=0.95, zero_at=0.6)
    assert rate.fraction(0.97) == 1 and rate.fraction(0.5) == 0
    assert rate.fraction(0.775) == pytest.approx(0.5)
    count = Indicator(target=0, zero_at=10)
    assert count.fraction(0) == 1 and count.fraction(5) == pytest.approx(0.5) and count.fraction(12) == 0


def test_unknown_figure_is_refused_and_nothing_saved(province):
    system = IndicatorSystem.objects.create(year=2030)
    with pytest.raises(ValidationError) as exc:
        services.indicator_add(
            actor=province,
            system=system,
            code="X",
            name="x",
            dimension="daily",
            level="city",
            weight=10,
            rule="computed",
            figure="problems.no_such_figure",
        )
    assert "problems.no_such_figure" in str(exc.value) and "problems.on_time_rate" in str(exc.value)
    assert not system.indicators.exists()


def test_weights_not_summing_to_100_are_named_and_block_closing(province):
    system = IndicatorSystem.objects.create(year=2030)
    services.indicator_add(
        actor=province,
        system=system,
        code="A",
        name="a",
        dimension="daily",
        level="city",
        weight=40,
        rule="computed",
        figure="problems.on_time_rate",
        target=0.95,
        zero_at=0.6,
    )
    problems = services.weight_problems(system)
    assert any("40" in p for p in problems) and len(problems) == 2
    period = services.period_open(actor=province, system=system, kind="year")
    with pytest.raises(ValidationError):
        services.period_close(actor=province, period_id=period.pk)
    assert Period.objects.get(pk=period.pk).status == "open"
    assert not EntityScore.objects.filter(period=period).exists()


def test_new_year_copies_the_last(seeded):
    year = timezone.localdate().year
    copied = services.system_for_year(actor=seeded, year=year + 1)
    assert copied.copied_from.year == year
    assert copied.indicators.count() == IndicatorSystem.objects.get(year=year).indicators.count() == 12
    assert services.weight_problems(copied) == []


def test_demo_last_year_published_this_half_open_and_174_entities(seeded):
    last = Period.objects.get(system__year=timezone.localdate().year - 1)
    assert last.status == "published" and last.closed_by.username == "shengting"
    assert last.scores.count() == 174
    assert Period.objects.get(system__year=timezone.localdate().year).status == "open"


def test_computed_indicator_equals_its_linked_list(seeded):
    client = Client()
    client.force_login(seeded)
    period = services.period_open(
        actor=seeded, system=IndicatorSystem.objects.get(year=timezone.localdate().year), kind="year"
    )
    services.period_preview(actor=seeded, period=period)
    checked = 0
    for item in IndicatorScore.objects.filter(
        entity__period=period, entity__region_id__in=["410105", "410122"], indicator__figure__startswith="problems."
    ).select_related("entity", "indicator"):
        listing = item.inputs["list"]
        region = item.entity.region_id
        expected = Problem.objects.filter(region_id=region)
        if listing["params"].get("overdue"):
            expected = expected.filter(status__in=Problem.OPEN_STATES, deadline__lt=timezone.localdate())
        else:
            expected = expected.filter(status="closed", closed_at__date__gte=period.starts_on)
        assert item.inputs["list_count"] == expected.count()
        page = client.get(reverse("evaluation:entity", args=[item.entity.pk]))
        assert page.status_code == 200
        assert "region=" + region in page.content.decode()
        checked += 1
    assert checked == 4


def test_closed_scores_do_not_move_when_records_change(seeded):
    last = Period.objects.get(system__year=timezone.localdate().year - 1)
    before = (
        dict(IndicatorScore.objects.filter(entity__period=last).values_list("pk", "points")),
        dict(last.scores.values_list("pk", "total")),
    )
    long_ago = timezone.localdate().replace(year=2000)
    Problem.objects.filter(region_id="410105").update(deadline=long_ago, status="rectifying")
    after = (
        dict(IndicatorScore.objects.filter(entity__period=last).values_list("pk", "points")),
        dict(last.scores.values_list("pk", "total")),
    )
    assert before == after
    with pytest.raises(Exception, match="冻结"):
        services.period_preview(actor=seeded, period=last)


def test_half_year_closed_without_survey_is_flagged_and_records_who(seeded):
    period = Period.objects.get(system__year=timezone.localdate().year)
    closed = services.period_close(actor=seeded, period_id=period.pk)
    assert closed.survey_missing and closed.closed_by == seeded and closed.appeal_until > timezone.localdate()
    audit = __import__("portal.audit.models", fromlist=["AuditEvent"]).AuditEvent
    assert audit.objects.filter(action="evaluation.period_close").count() == 2


def test_ranking_is_scoped_and_bounded_in_queries(seeded, django_assert_max_num_queries):
    last = Period.objects.get(system__year=timezone.localdate().year - 1)
    county = User.objects.get(username="jinshui")
    client = Client()
    client.force_login(county)
    page = client.get(reverse("evaluation:ranking"), {"period": last.pk})
    rows = page.context["rows"]
    assert [r.region_id for r in rows] == ["410105"]
    other = last.scores.get(region_id="410303")
    assert client.get(reverse("evaluation:entity", args=[other.pk])).status_code == 404
    assert client.get(reverse("evaluation:entity", args=[rows[0].pk])).status_code == 200
    client.force_login(seeded)
    with django_assert_max_num_queries(10):
        page = client.get(reverse("evaluation:ranking"), {"period": last.pk})
    assert len(page.context["rows"]) == 156
    ranks = [r.rank for r in page.context["rows"]]
    assert ranks == sorted(ranks)


def test_public_page_shows_published_results():
    call_command("seed_demo", scale="small", stdout=io.StringIO())
    page = Client().get(reverse("evaluation:public"))
    assert page.status_code == 200 and len(page.context["rows"]["city"]) == 18
