"""Reads of listed supervision, always scoped to the reader's region subtree (``visible_to``):
the province sees every item, a city its subtree, a county the items that cover it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import F, Prefetch, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal.accounts.capabilities import Cap
from portal.accounts.scoping import get_visible_or_404
from portal.audit.models import AuditEvent
from portal.regions.models import Region
from supervision.models import (
    Referral,
    SupervisionEvidence,
    SupervisionItem,
)

ITEM_OBJECT_TYPE = SupervisionItem._meta.label_lower

FILTERS = (
    "q",
    "level",
    "status",
    "overdue",
    "region",
    "unit",
    "domain",
    "listed_from",
    "listed_to",
    "delisted_from",
    "on_time",
)


def items_visible(user, cap: Cap = Cap.VIEW_RECORDS) -> QuerySet[SupervisionItem]:
    return SupervisionItem.objects.visible_to(user, cap)


def _date(value: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value)
    except (TypeError, ValueError):
        return None


def items_filtered(user, params, *, today: dt.date | None = None) -> tuple[QuerySet[SupervisionItem], dict]:
    """The ledger list (and its export) as filtered: level, state, overdue, city (region code,
    with its subtree), domain, listed date. Unknown values are ignored. One SELECT a page."""
    today = today or timezone.localdate()
    qs = items_visible(user).with_overdue(today).select_related("region", "unit", "domain", "listed_by_region")
    cleaned = {key: (params.get(key) or "").strip()[:64] for key in FILTERS}
    if q := cleaned["q"]:
        qs = qs.filter(Q(code__icontains=q) | Q(title__icontains=q))
    if cleaned["level"] in SupervisionItem.Level.values:
        qs = qs.filter(level=cleaned["level"])
    if cleaned["status"] in SupervisionItem.Status.values:
        qs = qs.filter(status=cleaned["status"])
    elif cleaned["status"] == "open":
        qs = qs.exclude(status=SupervisionItem.Status.DELISTED)
    if cleaned["overdue"] == "yes":
        qs = qs.filter(is_overdue=True)
    elif cleaned["overdue"] == "no":
        qs = qs.filter(is_overdue=False)
    if (code := cleaned["region"]).isdigit() and len(code) == 6:
        qs = qs.filter(region__in=Region.objects.filter(path__contains=f"{code}/").values("code"))
    if cleaned["unit"].isdigit():
        qs = qs.filter(unit_id=int(cleaned["unit"]))
    if start := _date(cleaned["delisted_from"]):
        tz = timezone.get_current_timezone()
        qs = qs.filter(delisted_at__gte=dt.datetime.combine(start, dt.time.min, tz))
    if cleaned["on_time"] == "yes":
        qs = qs.filter(delisted_at__isnull=False, delisted_at__date__lte=F("deadline"))
    if cleaned["domain"].isdigit():
        qs = qs.filter(domain_id=int(cleaned["domain"]))
    if start := _date(cleaned["listed_from"]):
        qs = qs.filter(listed_on__gte=start)
    if end := _date(cleaned["listed_to"]):
        qs = qs.filter(listed_on__lte=end)
    return qs.order_by("-listed_on", "-id"), cleaned


def item_for_detail(user, pk) -> SupervisionItem:
    return get_visible_or_404(
        SupervisionItem.objects.with_overdue().select_related(
            "region", "unit", "domain", "listed_by_region", "listed_by"
        ),
        user,
        Cap.VIEW_RECORDS,
        pk=pk,
    )


@dataclass(frozen=True)
class TimelineEntry:
    at: dt.datetime
    kind: str
    title: str
    text: str = ""
    who: str = ""
    files: tuple = ()


def item_detail_parts(item: SupervisionItem) -> dict:
    """Everything the detail page shows beside the item, in a fixed number of queries."""
    reports = list(item.reports.select_related("author").prefetch_related("files"))
    visits = list(item.visits.select_related("recorded_by").prefetch_related("members", "files"))
    stationings = list(item.stationings.prefetch_related(Prefetch("logs")))
    referrals = list(item.referrals.select_related("accountability", "sent_by"))
    events = list(AuditEvent.objects.filter(object_type=ITEM_OBJECT_TYPE, object_id=str(item.pk)).order_by("seq")[:200])
    return {
        "problems": list(item.problems.select_related("region", "unit")),
        "complaints": list(item.complaints.select_related("handling_region")),
        "team": list(item.team.select_related("region").order_by("username")),
        "reports": reports,
        "visits": visits,
        "stationings": stationings,
        "referrals": referrals,
        "open_referral": next((r for r in referrals if r.status == Referral.Status.PROPOSED), None),
        "events": events,
        "timeline": _timeline(reports, visits, stationings, referrals, events),
    }


EVENT_LABELS = {
    "supervision.list": _("挂牌督办"),
    "supervision.start": _("开始整改"),
    "supervision.document": _("印发督办文书"),
    "supervision.team": _("调整督导组"),
    "supervision.referral_send": _("提请追责"),
}


def _timeline(reports, visits, stationings, referrals, events) -> list[TimelineEntry]:
    entries = [
        TimelineEntry(
            e.occurred_at,
            "event",
            str(EVENT_LABELS[e.action]),
            str((e.changes or {}).get("number", "")) if e.action == "supervision.document" else "",
            e.actor_username,
        )
        for e in events
        if e.action in EVENT_LABELS
    ]
    for r in reports:
        entries.append(
            TimelineEntry(
                r.created_at, r.kind, r.get_kind_display(), r.text, r.author.get_username(), tuple(r.files.all())
            )
        )
    for v in visits:
        entries.append(
            TimelineEntry(
                v.created_at,
                f"visit-{v.result}",
                f"{v.visited_on:%Y-%m-%d} {v.get_result_display()}",
                v.findings,
                "、".join(m.get_username() for m in v.members.all()),
                tuple(v.files.all()),
            )
        )
    for s in stationings:
        entries.append(TimelineEntry(s.created_at, "stationing", f"{s.starts_on} – {s.ends_on}", s.place))
        entries.extend(TimelineEntry(log.created_at, "station-log", f"{log.day}", log.text) for log in s.logs.all())
    for r in referrals:
        entries.append(TimelineEntry(r.proposed_at, "referral", r.get_reason_display(), r.get_status_display()))
    return sorted(entries, key=lambda e: e.at)


def evidence_for_download(user, pk) -> SupervisionEvidence:
    return get_visible_or_404(SupervisionEvidence, user, Cap.VIEW_RECORDS, pk=pk)


def public_items() -> QuerySet[SupervisionItem]:
    """Delisted items for the public page: the fields shown there only (no people)."""
    return (
        SupervisionItem.objects.filter(status=SupervisionItem.Status.DELISTED)
        .select_related("region")
        .only("code", "title", "level", "region__name", "listed_on", "delisted_at", "handling_result", "deadline")
        .order_by("-delisted_at", "-id")
    )
