"""The demo data of issue 19: every rule is triggered once in the demo unit, and the cases
made to come close (just inside each threshold) raise nothing."""

from __future__ import annotations

import random

import pytest

from cases.enforcement import clue_seed
from cases.enforcement.clue_models import Clue, ExemptionItem
from cases.enforcement.clues import RULES
from cases.enforcement.models import ViolationItem
from portal.core.seeding import SeedContext

pytestmark = pytest.mark.django_db


def _demo() -> SeedContext:
    """The reference data and the demo cases, seeded as ``seed_demo`` does."""
    ViolationItem.objects.create(code="YS001", name="未取得道路运输经营许可从事经营")
    ctx = SeedContext(scale="small", rng=random.Random(1))  # noqa: S311 - demo data, not secrets
    clue_seed.seed_reference(ctx)
    clue_seed.seed_demo_cases(ctx)
    return ctx


def test_the_demo_triggers_every_rule_and_its_near_misses_do_not(items):
    ctx = _demo()
    clue_seed.seed_demo_cases(ctx)  # idempotent
    known = ExemptionItem.objects.filter(provenance="design")
    assert known.count() == 3 and all(len(item.conditions) == 5 for item in known)
    per_rule = {code: Clue.objects.filter(rule__code=code, unit__name="线索演示执法大队").count() for code in RULES}
    assert per_rule == {
        "fine_when_exempt": 1,
        "exempt_unlisted": 1,
        "exempt_repeat": 1,
        "outside_benchmark": 1,
        "few_officers": 1,
        "decision_overdue": 1,
        "station_fine": 1,
        "capture_penalty": 1,
        "period_end_bunching": 1,
        "officer_same_plate": 2,  # the two officers of the three fines; the pair 91 days apart: none
    }


def test_a_batch_of_every_case_finds_what_the_rescan_finds(items):
    """The two scopes of the engine (an upload's batch, compared with the batch's parties,
    plates and unit-months; the nightly rescan over all cases) are one set of rules: over the
    same cases they raise the same clues, with the same figures and cases."""
    from cases.enforcement.clues import clues_check
    from cases.enforcement.models import EnforcementCaseKey

    _demo()

    def found():
        rows = Clue.objects.values_list("rule__code", "key", "figures", "case_keys")
        return {(code, key, str(sorted(figures.items())), tuple(keys)) for code, key, figures, keys in rows}

    Clue.objects.all().delete()
    clues_check(keys=list(EnforcementCaseKey.objects.values_list("pk", flat=True)), kind="upload")
    batch = found()
    Clue.objects.all().delete()
    clues_check(kind="nightly")
    assert batch == found()
    assert {code for code, *_rest in batch} == set(RULES)  # every rule took part
