"""Reads of the clues, the exemption list and the benchmarks. Clues are always scoped
(``visible_to``); a clue's cases are read through the case data's own scoping, so a reader sees
only the cases of their subtree. The list and benchmarks are reference data, the same for all."""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from cases.enforcement.clue_models import Clue, ClueRule, DiscretionBenchmark, ExemptionItem
from cases.enforcement.models import EnforcementCase
from portal.accounts.capabilities import Cap
from portal.accounts.scoping import get_visible_or_404
from portal.regions.models import Region

CASES_SHOWN = 100


def clues_visible_to(
    user, *, rule: str = "", unit: int | None = None, status: str = "", region: Region | None = None
) -> QuerySet[Clue]:
    qs = Clue.objects.visible_to(user, Cap.VIEW_RECORDS)
    if region is not None:  # the region's subtree, as the dashboards count it
        qs = qs.filter(region__in=Region.objects.subtree_of(region).values("code"))
    if rule:
        qs = qs.filter(rule__code=rule)
    if unit:
        qs = qs.filter(unit_id=unit)
    if status in Clue.Status.values:
        qs = qs.filter(status=status)
    return qs.select_related("rule", "unit", "region").order_by("-found_at", "-id")


def clue_for_detail(user, pk: int) -> Clue:
    qs = Clue.objects.select_related("rule", "unit", "region", "problem", "handled_by")
    return get_visible_or_404(qs, user, Cap.VIEW_RECORDS, pk=pk)


def clue_cases(user, clue: Clue) -> list[EnforcementCase]:
    """The current versions of the clue's cases that the reader may see."""
    return list(
        EnforcementCase.objects.visible_to(user, Cap.VIEW_RECORDS)
        .filter(is_current=True, key_id__in=clue.case_keys[:CASES_SHOWN])
        .select_related("unit", "violation_item")
        .order_by("decided_on", "id")
    )


def clue_counts_by_rule(user) -> list[dict]:
    """Open and all clues per rule in the reader's subtree (the queue's summary line)."""
    rows = (
        Clue.objects.visible_to(user, Cap.VIEW_RECORDS)
        .values("rule__code", "rule__name")
        .annotate(total=Count("id"), open=Count("id", filter=Q(status=Clue.Status.OPEN)))
        .order_by("rule__code")
    )
    return list(rows)


def rules() -> list[ClueRule]:
    return list(ClueRule.objects.order_by("code"))


def exemptions_in_force(day: dt.date | None = None) -> list[ExemptionItem]:
    day = day or timezone.localdate()
    return list(
        ExemptionItem.objects.filter(Q(effective_to__isnull=True) | Q(effective_to__gt=day), effective_from__lte=day)
        .select_related("violation_item")
        .order_by("violation_item__code")
    )


def exemption_versions() -> list[ExemptionItem]:
    return list(
        ExemptionItem.objects.select_related("violation_item").order_by("violation_item__code", "-effective_from")
    )


def benchmark_versions() -> list[DiscretionBenchmark]:
    return list(
        DiscretionBenchmark.objects.select_related("violation_item").order_by(
            "violation_item__code", "level", "-effective_from"
        )
    )
