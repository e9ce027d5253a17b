"""Pools, activities and draws for the enforcement-supervision tests (no time travel: a
commit is moved back in time by rewriting its dates, as a draw committed days ago would be)."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from portal.accounts.models import Role, User
from portal.regions.models import EnforcementDomain, Region, Unit
from supervision import activities
from supervision.models import Activity, Draw


def user(name, code, role=Role.PROVINCE_STAFF, **extra):
    return User.objects.create_user(name, region_id=code, roles=[role], **extra)


def unit(code, name=None, kind=Unit.Kind.STATION):
    obj = Unit.objects.create(name=name or f"{code} 执法站", kind=kind, region_id=code)
    obj.domains.set(EnforcementDomain.objects.all())
    return obj


def pool(actor, homes, *, pool_region=None):
    """One inspector per home region code, every domain."""
    domains = list(EnforcementDomain.objects.all())
    return [
        activities.inspector_add(
            actor=actor,
            name=f"检查员{i:03d}",
            home_region=Region.objects.get(code=code),
            domains=domains,
            pool_region=pool_region,
            available_from=dt.date(2020, 1, 1),
        )
        for i, code in enumerate(homes)
    ]


def activity(actor, *, days_ahead=10, length=3, **extra) -> Activity:
    start = timezone.localdate() + dt.timedelta(days=days_ahead)
    return activities.activity_create(
        actor=actor,
        title=extra.pop("title", "第四季度异地交叉执法监督"),
        method=extra.pop("method", Activity.Method.UNANNOUNCED),
        starts_on=start,
        ends_on=start + dt.timedelta(days=length),
        **extra,
    )


def age(draw: Draw, days=2) -> Draw:
    """As if committed ``days`` ago with yesterday's lottery: ready to reveal."""
    today = timezone.localdate()
    Draw.objects.filter(pk=draw.pk).update(
        committed_at=timezone.now() - dt.timedelta(days=days), value_date=today - dt.timedelta(days=days - 1)
    )
    draw.refresh_from_db()
    return draw


def drawn_team(actor, act, size=3, value="0 3 5") -> Draw:
    draw = activities.draw_commit(
        actor=actor,
        activity=act,
        kind=Draw.Kind.TEAM,
        size=size,
        value_source="中国福利彩票3D",
        value_date=timezone.localdate() + dt.timedelta(days=1),
    )
    return activities.draw_reveal(actor=actor, draw=age(draw), value_raw=value)


def start_now(act: Activity) -> Activity:
    """The visit has started today (the embargo lifts)."""
    today = timezone.localdate()
    Activity.objects.filter(pk=act.pk).update(starts_on=today, ends_on=today + dt.timedelta(days=2))
    act.refresh_from_db()
    return act
