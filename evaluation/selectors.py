"""Reads of the performance evaluation, always scoped (a county sees its own scores and rank,
a city its own and its counties', the province everything)."""

from __future__ import annotations

from django.db.models import Case, Q, When

from evaluation.models import Appeal, EntityScore, MysteryFinding, Period
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


def appeals(user, *, status: str | None = None, limit: int = 500) -> list[Appeal]:
    rows = Appeal.objects.visible_to(user, CAP).select_related(
        "entity__period__system", "entity__region", "indicator", "filed_by"
    )
    if status in Appeal.Status.values:
        rows = rows.filter(status=status)
    return list(rows.order_by(Case(When(status="pending", then=0), default=1), "-filed_at")[:limit])


def appeal(user, pk) -> Appeal:
    return get_visible_or_404(
        Appeal.objects.select_related(
            "entity__period__system", "entity__region", "indicator", "filed_by", "decided_by"
        ),
        user,
        CAP,
        pk=pk,
    )


def appeals_of(score: EntityScore) -> list[Appeal]:
    return list(score.appeals.select_related("indicator").order_by("-filed_at"))


def notice_entities(period: Period, level: str, count: int, *, top: bool) -> list[EntityScore]:
    """The top (or bottom) ``count`` entities of a level, ties included (a tie at the edge
    names every entity sharing it)."""
    from evaluation.services import competition_ranks

    scores = list(
        EntityScore.objects.filter(period=period, level=level)
        .select_related("region")
        .prefetch_related("indicator_scores__indicator")
        .order_by("rank", "region_id")
    )
    if top:
        return [s for s in scores if s.rank <= count]
    reverse = competition_ranks([(s.region_id, -s.total) for s in scores])
    return sorted((s for s in scores if reverse[s.region_id] <= count), key=lambda s: (-s.rank, s.region_id))


def notice_accountability(period: Period, regions) -> list:
    """Accountability decided in the period in the given entities' subtrees (the people the
    data names, for the criticism)."""
    from cases.models import Accountability

    if not regions:
        return []
    q = Q()
    for region in regions:
        q |= Q(problem__region__path__startswith=region.path)
    return list(
        Accountability.objects.filter(q, decided_on__gte=period.starts_on, decided_on__lte=period.ends_on)
        .select_related("unit")
        .order_by("decided_on", "pk")
    )


def period_accountability(user, period: Period) -> list:
    """The period's accountability records the reviewer may pick for the warning circular."""
    from cases.models import Accountability

    return list(
        Accountability.objects.visible_to(user, Cap.VIEW_RECORDS)
        .filter(decided_on__gte=period.starts_on, decided_on__lte=period.ends_on)
        .select_related("problem", "unit__region")
        .order_by("-serious", "-discipline_breach", "-decided_on", "pk")
    )


def findings(user, limit: int = 500) -> list[MysteryFinding]:
    return list(
        MysteryFinding.objects.visible_to(user, Cap.VIEW_RECORDS)
        .select_related("period__system", "region", "problem")
        .order_by(Case(When(problem__isnull=True, then=0), default=1), "-visited_on", "pk")[:limit]
    )


def finding(user, pk) -> MysteryFinding:
    return get_visible_or_404(MysteryFinding.objects.select_related("region"), user, Cap.VIEW_RECORDS, pk=pk)
