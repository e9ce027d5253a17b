"""Demo evaluation: last year's indicator system with its year period closed and published,
and this year's (a copy) with the current half-year open. Re-running adds nothing."""

from __future__ import annotations

from decimal import Decimal

from django.utils import timezone

from evaluation import services
from evaluation.models import Dimension, Indicator, IndicatorSystem, Level, Period
from portal.accounts.models import User
from portal.core.seeding import SeedContext

# (code, name, dimension, weight, rule, figure, target, zero_at): weights sum to 100 per level.
DEFAULT_INDICATORS = [
    ("D1", "按期整改率", Dimension.DAILY, 25, Indicator.Rule.COMPUTED, "problems.on_time_rate", 0.95, 0.60),
    ("D2", "逾期未整改问题", Dimension.DAILY, 15, Indicator.Rule.COMPUTED, "problems.overdue", 0, 10),
    ("S1", "投诉限时办结率", Dimension.DATA, 20, Indicator.Rule.COMPUTED, "complaints.in_time_rate", 0.95, 0.60),
    (
        "S2",
        "挂牌督办按期摘牌率",
        Dimension.DATA,
        10,
        Indicator.Rule.COMPUTED,
        "supervision.delisted_on_time_rate",
        1.0,
        0.5,
    ),
    ("F1", "实地检查评分", Dimension.ONSITE, 10, Indicator.Rule.ENTERED, "", 100, 60),
    ("P1", "第三方满意率", Dimension.SOCIAL, 20, Indicator.Rule.IMPORTED, "satisfaction", 0.95, 0.60),
]


def default_indicators(system: IndicatorSystem) -> None:
    Indicator.objects.bulk_create(
        [
            Indicator(
                system=system,
                code=code,
                name=name,
                dimension=dimension,
                level=level,
                weight=Decimal(weight),
                rule=rule,
                figure=figure,
                target=target,
                zero_at=zero_at,
                sort_order=index,
            )
            for level in Level.values
            for index, (code, name, dimension, weight, rule, figure, target, zero_at) in enumerate(DEFAULT_INDICATORS)
        ]
    )


def seed(ctx: SeedContext) -> None:
    if ctx.large or IndicatorSystem.objects.exists():
        return
    actor = User.objects.filter(username="shengting").first()
    if actor is None:
        return
    today = timezone.localdate()
    last = IndicatorSystem.objects.create(year=today.year - 1)
    default_indicators(last)
    period = services.period_open(actor=actor, system=last, kind=Period.Kind.YEAR)
    services.period_close(actor=actor, period_id=period.pk, today=today)
    services.period_publish(actor=actor, period_id=period.pk)
    current = services.system_for_year(actor=actor, year=today.year)
    services.period_open(actor=actor, system=current, kind=Period.Kind.HALF, half=1 if today.month <= 6 else 2)
