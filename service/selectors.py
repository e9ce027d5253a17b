"""Reads of service-oriented enforcement, always through ``visible_to`` (the one scoping
mechanism); the list filters are the ones the dashboards' figures link with."""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, Exists, OuterRef, Prefetch, Q

from portal.accounts.capabilities import Cap
from portal.regions.models import Region
from service import creditcode
from service.models import Assignment, Enterprise, LeaderContact, ServiceRecord, StationDay, StationMonth, Visit

ENTERPRISE_FILTERS = frozenset({"q", "region", "kind", "unassigned"})
MONTH_FILTERS = frozenset({"region", "below", "month_from", "month"})
RECORD_FILTERS = frozenset({"region", "kind", "status"})


def _clean(params, keys) -> dict[str, str]:
    return {key: (params.get(key) or "").strip()[:64] for key in keys}


def _in_region(code: str) -> Q | None:
    if code.isdigit() and len(code) == 6:
        return Q(region__in=Region.objects.filter(path__contains=f"{code}/").values("code"))
    return None


def _date(text: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        return None


def assigned_q() -> Exists:
    return Exists(Assignment.objects.filter(enterprise=OuterRef("pk")))


def enterprises(user, params) -> tuple:
    cleaned = _clean(params, ENTERPRISE_FILTERS)
    qs = (
        Enterprise.objects.visible_to(user, Cap.VIEW_RECORDS)
        .select_related("region")
        .annotate(leaders=Count("assignments", distinct=True))
    )
    if q := cleaned["q"]:
        qs = qs.filter(Q(name__icontains=q) | Q(credit_code__icontains=q.upper()))
    if (where := _in_region(cleaned["region"])) is not None:
        qs = qs.filter(where)
    if cleaned["kind"] in Enterprise.Kind.values:
        qs = qs.filter(kind=cleaned["kind"])
    if cleaned["unassigned"] == "yes":
        qs = qs.filter(~assigned_q())
    return qs.filter(active=True).order_by("region_id", "name"), cleaned


def enterprise_detail(user, pk):
    from portal.accounts.scoping import get_visible_or_404

    return get_visible_or_404(
        Enterprise.objects.select_related("region").prefetch_related(
            Prefetch("assignments", queryset=Assignment.objects.select_related("leader", "leader__leader_contact"))
        ),
        user,
        Cap.VIEW_RECORDS,
        pk=pk,
    )


def station_months(user, params) -> tuple:
    cleaned = _clean(params, MONTH_FILTERS)
    qs = StationMonth.objects.visible_to(user, Cap.VIEW_RECORDS).select_related("leader", "region")
    if (where := _in_region(cleaned["region"])) is not None:
        qs = qs.filter(where)
    if cleaned["below"] == "yes":
        qs = qs.filter(below=True)
    if start := _date(cleaned["month_from"]):
        qs = qs.filter(month__gte=start)
    if month := _date(cleaned["month"]):
        qs = qs.filter(month=month.replace(day=1))
    return qs.order_by("-month", "region_id", "leader_id"), cleaned


def record_kinds(params) -> list[str]:
    """The known kinds asked for, in the order given, each once (``kind`` may repeat); unknown
    values are ignored, as for every filter of the lists."""
    given = params.getlist("kind") if hasattr(params, "getlist") else [params.get("kind") or ""]
    if isinstance(given, str):
        given = [given]
    wanted = {(k or "").strip()[:64] for k in given}
    return [k for k in ServiceRecord.Kind.values if k in wanted]


def records(user, params) -> tuple:
    cleaned = _clean(params, RECORD_FILTERS)
    qs = (
        ServiceRecord.objects.visible_to(user, Cap.VIEW_RECORDS)
        .select_related("region", "unit")
        .annotate(n_photos=Count("photos"))
    )
    if (where := _in_region(cleaned["region"])) is not None:
        qs = qs.filter(where)
    # kind may repeat (kind=open_day&kind=experience: the dashboards' combined figure)
    kinds = record_kinds(params)
    cleaned["kinds"] = kinds
    if kinds:
        qs = qs.filter(kind__in=kinds)
    if cleaned["status"] in ServiceRecord.Status.values:
        qs = qs.filter(status=cleaned["status"])
    return qs.order_by("kind", "region_id", "-id"), cleaned


def visits(user):
    return (
        Visit.objects.visible_to(user, Cap.VIEW_RECORDS)
        .select_related("enterprise", "leader")
        .prefetch_related("issues")
        .order_by("-visited_on", "-id")
    )


def station_days(user):
    return (
        StationDay.objects.visible_to(user, Cap.VIEW_RECORDS)
        .select_related("station", "leader")
        .order_by("-day", "-id")
    )


def month_progress(user, today: dt.date) -> list[dict]:
    """This month so far: each leader in scope with a station assigned and their days."""
    first = today.replace(day=1)
    contacts = (
        LeaderContact.objects.visible_to(user, Cap.VIEW_RECORDS)
        .filter(user__in=Assignment.objects.filter(station__isnull=False).values("leader"))
        .select_related("user", "region")
        .order_by("region_id", "user__username")
    )
    days = dict(
        StationDay.objects.filter(day__gte=first, day__lte=today, leader__in=[c.user_id for c in contacts])
        .values("leader")
        .annotate(n=Count("day", distinct=True))
        .values_list("leader", "n")
    )
    return [{"contact": c, "days": days.get(c.user_id, 0)} for c in contacts]


def own_service(user, today: dt.date) -> dict:
    """A leader's own: its assignments, this month's station days, its recent days and visits
    (the leader's page; a fixed number of queries)."""
    first = today.replace(day=1)
    assignments = list(
        Assignment.objects.filter(leader=user)
        .select_related("enterprise", "station", "region")
        .order_by("station_id", "enterprise__name")
    )
    days = list(StationDay.objects.filter(leader=user).select_related("station").order_by("-day")[:20])
    return {
        "stations": [a.station for a in assignments if a.station_id],
        "enterprises": [a.enterprise for a in assignments if a.enterprise_id],
        "days": days,
        "month_days": StationDay.objects.filter(leader=user, day__gte=first, day__lte=today).count(),
        "visits": list(
            Visit.objects.filter(leader=user)
            .select_related("enterprise")
            .prefetch_related("issues")
            .order_by("-visited_on", "-id")[:20]
        ),
    }


# --- the public contact list (no login): one enterprise, by exact name or credit code ----------


def public_contacts(query: str) -> tuple[Enterprise | None, list[dict]]:
    """The enterprise whose name or credit code is exactly ``query``, and its assigned leaders'
    published phones (only those marked for publication). No partial match, no listing."""
    text = "".join(query.split())
    if not text:
        return None, []
    code = creditcode.normalise(text)
    enterprise = (
        Enterprise.objects.filter(active=True)
        .filter(Q(name=query.strip()) | Q(credit_code=code))
        .select_related("region")
        .only("name", "credit_code", "region__name", "kind")
        .first()
    )
    if enterprise is None:
        return None, []
    rows = (
        Assignment.objects.filter(enterprise=enterprise)
        .select_related("leader__leader_contact")
        .order_by("leader__leader_contact__region_id", "leader_id")
    )
    leaders = []
    for row in rows:
        contact = getattr(row.leader, "leader_contact", None)
        if contact is None:
            continue
        name = row.leader.get_full_name()  # never the login name
        leaders.append({"name": name, "post": contact.post, "phone": contact.phone if contact.published else ""})
    return enterprise, leaders
