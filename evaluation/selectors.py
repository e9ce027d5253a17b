"""Reads of the performance evaluation, always scoped (a county sees its own scores and rank,
a city its own and its counties', the province everything)."""

from __future__ import annotations

from evaluation.models import EntityScore, Period
from portal.accounts.capabilities import Cap
from portal.accounts.scoping import get_visible_or_404

CAP = Cap.VIEW_DASHBOARD


def periods() -> list[Period]:
    return list(Period.objects.select_related("system", "closed_by").order_by("-starts_on", "kind"))


def ranking(user, period: Period, level: str) -> list[EntityScore]:
    return list(
        EntityScore.objects.visible_to(user, CAP)
        .filter(period=period, level=level)
        .select_related("region__parent")
        .order_by("rank", "region_id")
    )


def entity_score(user, pk) -> EntityScore:
    return get_visible_or_404(EntityScore.objects.select_related("period__system", "region"), user, CAP, pk=pk)


def public_ranking(period: Period, level: str) -> list[EntityScore]:
    return list(
        EntityScore.objects.filter(period=period, level=level).select_related("region").order_by("rank", "region_id")
    )
