"""The draw anyone can re-check (issue 17 §3): determinism, hash mismatch, uniformity and
avoidance over 10,000 simulated draws, the order of commitment and value, redraws."""

from __future__ import annotations

import datetime as dt
import hashlib
import io

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.utils import timezone

from portal.audit.models import AuditEvent
from portal.regions.models import Region
from supervision import activities, draws
from supervision.models import Avoidance, Draw, InspectorStatus
from supervision.tests import factories as f

pytestmark = pytest.mark.django_db

# Homes: 5 in 郑州 (410100, target city), others elsewhere.
HOMES = [
    "410102",
    "410103",
    "410105",
    "410122",
    "410100",
    "410302",
    "410303",
    "410300",
    "410202",
    "410203",
    "410000",
    "410502",
    "410602",
    "410702",
    "410802",
]


@pytest.fixture
def setup():
    province = f.user("prov", "410000")
    target_unit = f.unit("410105")
    inspectors = f.pool(province, HOMES)
    act = f.activity(province)
    activities.target_add(actor=province, activity=act, unit=target_unit)
    return province, act, inspectors


def test_normalised_value_full_width_and_spaces_read_the_same():
    assert draws.normalise_value("０３ ５\u30007") == draws.normalise_value("0357") == "0357"
    with pytest.raises(ValueError):
        draws.normalise_value("03a5")
    with pytest.raises(ValueError):
        draws.normalise_value("   ")


def test_same_inputs_give_the_same_team_and_the_algorithm_is_as_documented():
    candidates = draws.normalise_candidates(["JD00003", "JD00001", "JD00002", "JD00001", "JD00005"])
    assert candidates == ["JD00001", "JD00002", "JD00003", "JD00005"]
    digest = draws.candidate_hash(7, "team", 2, candidates)
    assert digest == hashlib.sha256(b"activity:7\nkind:team\nsize:2\nJD00001\nJD00002\nJD00003\nJD00005\n").hexdigest()
    seed = draws.seed_of(7, digest, "0357")
    assert seed == hashlib.sha256(f"7|{digest}|0357".encode()).hexdigest()
    first = draws.pick(seed, candidates, 2)
    assert first == draws.pick(seed, candidates, 2)
    assert len(set(first)) == 2 and set(first) <= set(candidates)


def test_eligibility_excludes_home_city_leave_domain_and_declared(setup):
    province, act, inspectors = setup
    by_home = {i.home_region_id: i for i in inspectors}
    activities.inspector_status_set(
        actor=province,
        inspector=by_home["410302"],
        status=InspectorStatus.Status.ON_LEAVE,
        starts_on=act.starts_on - dt.timedelta(days=3),
        ends_on=act.starts_on,
    )
    activities.avoidance_add(
        actor=province, inspector=by_home["410303"], reason="配偶在该单位", unit=act.targets.get().unit
    )
    result = activities.eligibility(act)
    codes = {i.home_region_id for i in result.eligible}
    # province activity: never from the target's city (郑州 410100 and its counties)
    assert not codes & {"410102", "410103", "410105", "410122", "410100"}
    assert "410302" not in codes and "410303" not in codes
    assert result.excluded["home"] == 5 and result.excluded["status"] == 1 and result.excluded["declared"] == 1
    assert len(result.eligible) == len(HOMES) - 7


def test_draw_commit_reveal_verify_and_audit(setup):
    province, act, _inspectors = setup
    draw = f.drawn_team(province, act, size=3, value="０３５")
    assert draw.value == "035" and len(draw.result) == 3
    assert list(act.team.order_by("id").values_list("inspector__code", flat=True)) == draw.result
    check = draws.verify(draw)
    assert check.ok, check.reasons
    actions = set(AuditEvent.objects.filter(object_id=str(act.pk)).values_list("action", flat=True))
    assert {"draw.commit", "draw.reveal"} <= actions
    out = io.StringIO()
    call_command("verify_draw", str(draw.pk), stdout=out)
    assert "MATCH" in out.getvalue() and "MISMATCH" not in out.getvalue()


def test_changed_candidate_list_changes_the_hash_and_verify_reports_mismatch(setup):
    province, act, _inspectors = setup
    draw = f.drawn_team(province, act)
    tampered = [*draw.candidates[:-1], "JD99999"]
    assert draws.candidate_hash(act.pk, "team", draw.size, sorted(tampered)) != draw.candidates_hash
    Draw.objects.filter(pk=draw.pk).update(candidates=sorted(tampered))
    out = io.StringIO()
    with pytest.raises(SystemExit) as exit_:
        call_command("verify_draw", str(draw.pk), stdout=out)
    assert exit_.value.code == 1
    text = out.getvalue()
    assert "MISMATCH" in text and "哈希" in text


def test_verify_reports_a_commitment_after_the_value(setup):
    province, act, _inspectors = setup
    draw = f.drawn_team(province, act)
    Draw.objects.filter(pk=draw.pk).update(committed_at=timezone.now())  # committed after the lottery day
    draw.refresh_from_db()
    check = draws.verify(draw)
    assert not check.ok and any("固定须在公开随机数产生之前" in r for r in check.reasons)


def test_the_value_must_be_a_future_date_and_revealed_only_once_it_exists(setup):
    province, act, _inspectors = setup
    with pytest.raises(ValidationError) as exc:
        activities.draw_commit(
            actor=province,
            activity=act,
            kind=Draw.Kind.TEAM,
            size=2,
            value_source="3D",
            value_date=timezone.localdate(),
        )
    assert "晚于今天" in str(exc.value)
    draw = activities.draw_commit(
        actor=province,
        activity=act,
        kind=Draw.Kind.TEAM,
        size=2,
        value_source="3D",
        value_date=timezone.localdate() + dt.timedelta(days=1),
    )
    with pytest.raises(ValidationError) as exc:
        activities.draw_reveal(actor=province, draw=draw, value_raw="123")
    assert "尚未到来" in str(exc.value)
    assert Draw.objects.get(pk=draw.pk).revealed_at is None


def test_drawing_more_than_eligible_says_how_many_and_why(setup):
    province, act, _inspectors = setup
    with pytest.raises(ValidationError) as exc:
        activities.draw_commit(
            actor=province,
            activity=act,
            kind=Draw.Kind.TEAM,
            size=12,
            value_source="3D",
            value_date=timezone.localdate() + dt.timedelta(days=1),
        )
    text = str(exc.value)
    assert "符合条件的只有 10 人" in text and "本地回避" in text and "5 人" in text
    assert not Draw.objects.exists()


def test_redraw_needs_a_reason_keeps_the_first_and_is_counted(setup):
    province, act, _inspectors = setup
    first = f.drawn_team(province, act)
    with pytest.raises(ValidationError) as exc:
        activities.draw_commit(
            actor=province,
            activity=act,
            kind=Draw.Kind.TEAM,
            size=3,
            value_source="3D",
            value_date=timezone.localdate() + dt.timedelta(days=1),
        )
    assert "理由" in str(exc.value)
    second = activities.draw_commit(
        actor=province,
        activity=act,
        kind=Draw.Kind.TEAM,
        size=3,
        value_source="3D",
        value_date=timezone.localdate() + dt.timedelta(days=1),
        reason="一名成员住院",
    )
    second = activities.draw_reveal(actor=province, draw=f.age(second), value_raw="918")
    assert second.seq == 2 and Draw.objects.filter(pk=first.pk, seq=1).exists()
    assert activities.redraw_count(act) == 1
    assert draws.verify(Draw.objects.get(pk=first.pk)).ok and draws.verify(second).ok


def test_not_the_same_inspector_on_the_same_target_twice_in_a_row(setup):
    province, act, _inspectors = setup
    first = f.drawn_team(province, act)
    later = f.activity(province, days_ahead=30)
    activities.target_add(actor=province, activity=later, unit=act.targets.get().unit)
    result = activities.eligibility(later)
    assert not {i.code for i in result.eligible} & set(first.result)
    assert result.excluded["repeat"] == 3


def test_city_activity_never_from_the_target_county_or_unit():
    city = f.user("city", "410100", role="city_staff")
    target = f.unit("410122")
    inspectors = f.pool(city, ["410122", "410105", "410100", "410102"])
    inspectors[1].home_unit = target
    inspectors[1].save(update_fields=["home_unit"])
    f.pool(f.user("prov", "410000"), ["410302"])  # another pool: never drawn by the city
    act = f.activity(city)
    activities.target_add(actor=city, activity=act, unit=target)
    codes = {i.home_region_id for i in activities.eligibility(act).eligible}
    assert codes == {"410100", "410102"}


def test_ten_thousand_draws_are_uniform_and_always_respect_avoidance(setup):
    """Over 10,000 simulated draws (fresh public values) every eligible inspector is selected
    with a frequency within a chi-square bound of uniform, and no avoided one ever is."""
    _province, act, inspectors = setup
    eligible = activities.eligibility(act)
    candidates = draws.normalise_candidates(i.code for i in eligible.eligible)
    excluded = {i.code for i in inspectors} - set(candidates)
    target_codes = act.targets.get().region.ancestor_codes
    k, runs = 3, 10_000
    digest = draws.candidate_hash(act.pk, "team", k, candidates)
    counts = dict.fromkeys(candidates, 0)
    by_code = {i.code: i for i in inspectors}
    for n in range(runs):
        team = draws.pick(draws.seed_of(act.pk, digest, f"{n:05d}"), candidates, k)
        assert len(set(team)) == k and not set(team) & excluded
        for code in team:
            counts[code] += 1
            assert by_code[code].home_region.ancestor_codes[:2] != target_codes[:2]
    expected = runs * k / len(candidates)
    chi2 = sum((c - expected) ** 2 / expected for c in counts.values())
    # 9 degrees of freedom: P(chi2 > 27.88) = 0.001. (Selections within one draw are without
    # replacement, which only narrows the spread.)
    assert chi2 < 27.88, (chi2, counts)


def test_every_region_code_in_homes_exists():
    assert Region.objects.filter(code__in=HOMES).count() == len(HOMES)


def test_avoidance_needs_a_unit_or_region(setup):
    province, _act, inspectors = setup
    with pytest.raises(ValidationError):
        activities.avoidance_add(actor=province, inspector=inspectors[0], reason="x")
    assert not Avoidance.objects.exists()
