"""Reads of the complaint loop, always scoped (``visible_to``) unless named as system reads.

The time-limit lights, for pages and for the alert ledger (portal.notifications):
- red: an open complaint past its handle-by ``deadline`` (from the first overdue day), or one
  still waiting to be accepted past its ``accept_deadline``;
- yellow: an open complaint on or after ``deadline_warn_from`` (``warn_days`` working days
  before the deadline, 1 by default) and not yet red;
- green: any other open complaint; "" for replied, called-back and closed ones (the handling
  clock has stopped).
``deadline_version`` changes whenever the deadline moves, so an alert keyed on
(complaint, light, deadline_version) is raised once per deadline. The system reads
``complaints_light_due`` and ``complaints_accept_overdue`` run on partial indexes.
"""

from __future__ import annotations

import datetime as dt
import hmac
from dataclasses import dataclass

from django.db import connection
from django.db.models import Case, CharField, Count, IntegerField, Q, QuerySet, Sum, Value, When
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from complaints import similarity
from complaints.models import Area, Callback, Channel, Complaint, Extension, Kind, Reply, ReturnRequest
from complaints.routing import refdata
from portal.accounts.capabilities import Cap
from portal.core import crypto
from portal.workdays.calendar import add_working_days

S = Complaint.Status
OPEN = Q(status__in=Complaint.OPEN_STATES)

RED, YELLOW, GREEN = "red", "yellow", "green"
LIGHT_LABELS = {RED: _("红灯（已超期）"), YELLOW: _("黄灯（临近期限）"), GREEN: _("绿灯"), "": _("—")}


def complaints_visible_to(user, cap: Cap | None = Cap.VIEW_RECORDS) -> QuerySet[Complaint]:
    return Complaint.objects.visible_to(user, cap)


# --- lights ---------------------------------------------------------------------------------------


def light_expression(today: dt.date):
    return Case(
        When(OPEN & Q(deadline__lt=today), then=Value(RED)),
        When(Q(status=S.RECEIVED, accept_deadline__lt=today), then=Value(RED)),
        When(OPEN & Q(deadline_warn_from__lte=today), then=Value(YELLOW)),
        When(OPEN, then=Value(GREEN)),
        default=Value(""),
        output_field=CharField(),
    )


def with_lights(queryset: QuerySet[Complaint], today: dt.date | None = None) -> QuerySet[Complaint]:
    today = today or timezone.localdate()
    return queryset.annotate(
        light=light_expression(today),
        light_rank=Case(
            When(OPEN & Q(deadline__lt=today), then=Value(0)),
            When(Q(status=S.RECEIVED, accept_deadline__lt=today), then=Value(0)),
            When(OPEN & Q(deadline_warn_from__lte=today), then=Value(1)),
            When(OPEN, then=Value(2)),
            default=Value(3),
            output_field=IntegerField(),
        ),
    )


def light_of(complaint: Complaint, today: dt.date | None = None) -> str:
    """The same rule in Python, for one complaint already in memory."""
    today = today or timezone.localdate()
    if complaint.status not in Complaint.OPEN_STATES:
        return ""
    if complaint.deadline < today or (complaint.status == S.RECEIVED and complaint.accept_deadline < today):
        return RED
    if complaint.deadline_warn_from <= today:
        return YELLOW
    return GREEN


def complaints_light_due(today: dt.date | None = None) -> QuerySet[Complaint]:
    """System read for alerts: open complaints whose light is yellow or red today (every region),
    with ``light`` annotated. Runs on the partial index ``complaint_open_warn_idx``."""
    today = today or timezone.localdate()
    return (
        Complaint.objects.filter(OPEN, deadline_warn_from__lte=today)
        .annotate(light=light_expression(today))
        .order_by("deadline", "id")
    )


def complaint_light_thresholds(today: dt.date | None = None) -> dict[str, dt.date]:
    """For set-based alert sweeps (portal.notifications): per light, the latest handle-by
    ``deadline`` that shows it today. Red: deadlines before today. Yellow: deadlines up to
    ``warn_days`` working days ahead (the largest of the classes' settings; each row's own
    ``deadline_warn_from`` is exact for pages). An open complaint whose deadline is at or before
    a threshold shows that light (the earliest threshold wins)."""
    from complaints.services import _plain

    today = today or timezone.localdate()
    warn_days = max((limit.warn_days for limit in refdata().limits.values()), default=1)
    return {
        "red": today - dt.timedelta(days=1),
        "yellow": _plain(add_working_days(today, warn_days)) if warn_days else today,
    }


def complaints_accept_overdue(today: dt.date | None = None) -> QuerySet[Complaint]:
    """System read for alerts: complaints not accepted by their accept-by date."""
    today = today or timezone.localdate()
    return Complaint.objects.filter(status=S.RECEIVED, accept_deadline__lt=today).order_by("accept_deadline", "id")


# --- lists -----------------------------------------------------------------------------------------

LIST_RELATED = ("handling_unit", "category", "region")
LIST_FIELDS = (
    "id",
    "tracking_number",
    "channel",
    "kind",
    "area",
    "subject",
    "complainant_name",
    "plate",
    "status",
    "escalated",
    "received_at",
    "accept_deadline",
    "deadline",
    "deadline_warn_from",
    "suspected_duplicates",
    "reopen_count",
    "handling_unit__name",
    "category__name",
    "region__name",
    "handling_unit_id",
    "category_id",
    "region_id",
    "handling_region_id",
    "version",
)

CHOICE_FILTERS = {"status": S.values, "kind": Kind.values, "area": Area.values, "channel": Channel.values}
FILTERS = ("q", "status", "kind", "area", "channel", "category", "light", "date_from", "date_to", "escalated")


def _parse_date(value: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value)
    except (TypeError, ValueError):
        return None


def complaint_search(user, params, *, cap: Cap = Cap.VIEW_RECORDS, today: dt.date | None = None):
    """The list page's, export's and API's filters over what the user may see. Returns the
    queryset (lights annotated, the list's related rows joined) and the cleaned filters."""
    today = today or timezone.localdate()
    qs = with_lights(complaints_visible_to(user, cap), today).select_related(*LIST_RELATED)
    # PostgreSQL text cannot hold NUL, so no stored value contains one: dropped, not a 500.
    cleaned = {key: (params.get(key) or "").replace("\x00", "").strip()[:64] for key in FILTERS}
    if q := cleaned["q"]:
        phone = crypto.normalise_phone(q)
        if q.upper().startswith(("TS", "DM")):
            qs = qs.filter(tracking_number=q.upper())
        elif phone.isdigit() and 7 <= len(phone) <= 15:
            qs = qs.filter(phone_hash=crypto.search_hash(phone, kind="phone"))
        elif len(crypto.normalise_id_number(q)) in (15, 18) and crypto.normalise_id_number(q)[:6].isdigit():
            qs = qs.filter(id_number_hash=crypto.search_hash(crypto.normalise_id_number(q), kind="id_number"))
        else:
            qs = qs.filter(Q(subject__icontains=q) | Q(plate=crypto.normalise_plate(q)) | Q(external_id=q))
    for name, values in CHOICE_FILTERS.items():
        if cleaned[name] in values:
            qs = qs.filter(**{name: cleaned[name]})
    if cleaned["category"].isdigit():
        qs = qs.filter(Q(category_id=int(cleaned["category"])) | Q(category__parent_id=int(cleaned["category"])))
    if cleaned["light"] in (RED, YELLOW, GREEN):
        qs = qs.filter(light=cleaned["light"])
    if cleaned["escalated"] in ("1", "true", "yes"):
        qs = qs.filter(escalated=True)
    tz = timezone.get_current_timezone()
    if start := _parse_date(cleaned["date_from"]):
        qs = qs.filter(received_at__gte=dt.datetime.combine(start, dt.time.min, tz))
    if end := _parse_date(cleaned["date_to"]):
        qs = qs.filter(received_at__lt=dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tz))
    return qs.order_by("-received_at", "-id"), cleaned


def inbox_for(user, *, today: dt.date | None = None) -> QuerySet[Complaint]:
    """A unit's inbox: the open complaints the user's units handle (their subtree), reddest
    first, then by deadline. Two queries for a page (count and rows) whatever the volume."""
    today = today or timezone.localdate()
    return (
        with_lights(complaints_visible_to(user).filter(OPEN), today)
        .select_related(*LIST_RELATED)
        .order_by("light_rank", "deadline", "id")
    )


# --- detail ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TimelineEntry:
    at: dt.datetime
    kind: str  # "event" | "reply" | "callback" | "return" | "extension"
    title: str
    actor: str
    text: str = ""


EVENT_LABELS = {
    "complaint.submit": _("登记"),
    "complaint.accept": _("受理"),
    "complaint.reply": _("答复"),
    "complaint.callback": _("回访"),
    "complaint.callback_unsatisfied": _("回访不满意，重办"),
    "complaint.close": _("办结"),
    "complaint.close_without_callback": _("无法回访，办结"),
    "complaint.reject": _("不予受理"),
    "complaint.request_return": _("申请退单"),
    "complaint.approve_return": _("同意退单并改派"),
    "complaint.refuse_return": _("驳回退单"),
    "complaint.reroute": _("改派"),
    "complaint.reopen": _("重新办理"),
    "complaint.extension_request": _("申请延期"),
    "complaint.extension_decide": _("延期审批"),
    "complaint.merge": _("并案（并入其他投诉）"),
    "complaint.merged_in": _("并案（其他投诉并入）"),
    "complaint.problem_raised": _("列入问题清单"),
    "personal_data.reveal": _("查看个人信息"),
}


def complaint_timeline(complaint: Complaint) -> list[TimelineEntry]:
    """Audit events of the complaint (who did what, when) with the replies, callbacks, returns
    and extensions written out, oldest first. Five queries whatever the history's length."""
    from portal.audit.models import AuditEvent

    entries = [
        TimelineEntry(
            at=occurred_at,
            kind="event",
            title=str(EVENT_LABELS.get(action, action)),
            actor=username,
            text=str(changes.get("reason", "")) if isinstance(changes, dict) else "",
        )
        for occurred_at, action, username, changes in AuditEvent.objects.filter(
            object_type="complaints.complaint", object_id=str(complaint.pk)
        )
        .order_by("seq")
        .values_list("occurred_at", "action", "actor_username", "changes")
    ]
    for reply in Reply.objects.filter(complaint=complaint).select_related("author"):
        entries.append(
            TimelineEntry(
                reply.created_at, "reply", f"{_('答复')}（{reply.get_method_display()}）", str(reply.author), reply.text
            )
        )
    for callback in Callback.objects.filter(complaint=complaint).select_related("caller"):
        entries.append(
            TimelineEntry(
                callback.created_at,
                "callback",
                f"{_('回访')}：{callback.get_satisfaction_display()}",
                str(callback.caller),
                callback.note,
            )
        )
    for request in ReturnRequest.objects.filter(complaint=complaint).select_related("requested_by"):
        entries.append(
            TimelineEntry(
                request.requested_at,
                "return",
                f"{_('退单申请')}（{request.get_decision_display()}）",
                str(request.requested_by),
                request.reason + (f"\n{request.decision_note}" if request.decision_note else ""),
            )
        )
    for extension in Extension.objects.filter(complaint=complaint).select_related("requested_by"):
        entries.append(
            TimelineEntry(
                extension.requested_at,
                "extension",
                f"{_('延期申请')}（{extension.get_decision_display()}）",
                str(extension.requested_by),
                extension.reason,
            )
        )
    order = {"event": 1}
    entries.sort(key=lambda e: (e.at, order.get(e.kind, 0)))
    return entries


def callback_due(complaint: Complaint) -> dt.date | None:
    """When a replied complaint is due its callback: ``callback_days`` working days after the
    reply (the next working day by default); None when no callback is waiting."""
    if complaint.status != S.REPLIED or complaint.replied_at is None:
        return None
    from complaints.services import _plain

    days = refdata().limit(complaint.kind).callback_days
    return _plain(add_working_days(timezone.localdate(complaint.replied_at), days))


def problems_for(complaint: Complaint):
    """The problems this complaint raised (the other side of ``ProblemLink``)."""
    from cases.models import Problem

    return Problem.objects.filter(
        links__object_type="complaints.complaint", links__object_id=str(complaint.pk)
    ).order_by("-created_at")


def pending_extension(complaint: Complaint) -> Extension | None:
    return complaint.extensions.filter(decision="pending").first()


def pending_return(complaint: Complaint) -> ReturnRequest | None:
    return complaint.returns.filter(decision="pending").first()


# --- duplicates ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Candidate:
    id: int
    reasons: tuple[str, ...]
    score: float


# |A ∩ B| of the column's bigram set and the parameter's, then Jaccard = |A ∩ B| / |A ∪ B|.
DUPLICATES_SQL = """
SELECT id, array_agg(DISTINCT why ORDER BY why), max(score) FROM (
  (SELECT id, 'phone' AS why, 1.0::float8 AS score FROM complaints_complaint
    WHERE %(phone)s <> '' AND phone_hash = %(phone)s AND received_at BETWEEN %(since)s AND %(until)s
      AND id <> %(exclude)s AND (unit_id = %(unit)s OR handling_unit_id = %(hunit)s)
    ORDER BY received_at DESC LIMIT %(limit)s)
  UNION ALL
  (SELECT id, 'plate', 1.0::float8 FROM complaints_complaint
    WHERE %(plate)s <> '' AND plate = %(plate)s AND received_at BETWEEN %(since)s AND %(until)s
      AND id <> %(exclude)s AND (unit_id = %(unit)s OR handling_unit_id = %(hunit)s)
    ORDER BY received_at DESC LIMIT %(limit)s)
  UNION ALL
  (SELECT id, 'text', shared / (n + %(n)s - shared) FROM (
      SELECT id, cardinality(bigrams) AS n,
        cardinality(ARRAY(SELECT unnest(bigrams) INTERSECT SELECT unnest(%(bigrams)s::int[])))::float8 AS shared
      FROM complaints_complaint
      WHERE %(n)s > 0 AND region_id = %(region)s AND received_at BETWEEN %(since)s AND %(until)s
        AND id <> %(exclude)s AND bigrams && %(bigrams)s::int[]
    ) AS overlap
    WHERE shared / (n + %(n)s - shared) >= %(threshold)s
    ORDER BY 3 DESC LIMIT %(limit)s)
) AS found
GROUP BY id ORDER BY max(score) DESC, id DESC LIMIT %(limit)s
"""


def duplicate_candidates(
    *,
    phone_hash: str = "",
    plate: str = "",
    region: str | None = None,
    unit_id: int | None = None,
    handling_unit_id: int | None = None,
    bigrams: list[int] | None = None,
    exclude_pk: int | None = None,
    before: dt.datetime | None = None,
    limit: int = 10,
) -> list[Candidate]:
    """Likely duplicates within the configured window before ``before`` (now): the same phone
    (by keyed hash) or plate against the same unit, or similar text (character-bigram Jaccard
    at or above the threshold) from the same region. System read: callers scope the result.
    One statement; each branch runs on its own index."""
    ref = refdata()
    until = before or timezone.now()
    since = until - dt.timedelta(days=ref.duplicate_window_days)
    bigrams = list(bigrams or [])
    params = {
        "phone": phone_hash or "",
        "plate": crypto.normalise_plate(plate),
        "since": since,
        "until": until,
        "exclude": exclude_pk or 0,
        "unit": unit_id,
        "hunit": handling_unit_id,
        "region": region or "",
        "bigrams": bigrams,
        "n": len(bigrams),
        "threshold": ref.similarity_threshold,
        "limit": limit,
    }
    with connection.cursor() as cursor:
        cursor.execute(DUPLICATES_SQL, params)
        return [Candidate(pk, tuple(reasons), float(score)) for pk, reasons, score in cursor.fetchall()]


def duplicate_suggestions(user, *, complaint: Complaint | None = None, **criteria) -> list[tuple[Complaint, Candidate]]:
    """Candidates the user may see, with their rows, best first: for a stored complaint, or for
    what an operator is typing (``phone``, ``plate``, ``region``, ``unit_id``, ``text``)."""
    if complaint is not None:
        candidates = duplicate_candidates(
            phone_hash=complaint.phone_hash,
            plate=complaint.plate,
            region=complaint.region_id,
            unit_id=complaint.unit_id,
            handling_unit_id=complaint.handling_unit_id,
            bigrams=complaint.bigrams,
            exclude_pk=complaint.pk,
            before=max(complaint.received_at, timezone.now()),
        )
    else:
        phone = crypto.normalise_phone(criteria.get("phone", ""))
        handling_unit_id = None
        region = criteria.get("region") or None
        ref = refdata()
        if region and ref.region(region) and criteria.get("area"):
            try:
                handling_unit_id = ref.route(region=region, area=criteria["area"]).unit.id
            except LookupError:
                handling_unit_id = None
        candidates = duplicate_candidates(
            phone_hash=crypto.search_hash(phone, kind="phone") if len(phone) >= 7 else "",
            plate=criteria.get("plate", ""),
            region=region,
            unit_id=criteria.get("unit_id"),
            handling_unit_id=handling_unit_id,
            bigrams=similarity.bigrams(criteria.get("text", "")),
        )
    if not candidates:
        return []
    rows = {
        c.pk: c
        for c in complaints_visible_to(user).filter(pk__in=[c.id for c in candidates]).select_related("handling_unit")
    }
    return [(rows[c.id], c) for c in candidates if c.id in rows]


# --- statistics ------------------------------------------------------------------------------------


def _measures(today: dt.date) -> dict:
    """The statistics' counts: the dashboards' own definitions (``complaints.figures``: received,
    per kind, escalated, closed, closed on time, called back, satisfied, open, overdue as the red
    light), so the statistics page, the monthly analysis and the dashboards count alike, plus
    what only the statistics show (returns, misroutes, reopened)."""
    from complaints.figures import COMPLAINT_OPEN, complaint_red, complaint_window_measures

    figures = complaint_window_measures()
    return {
        "total": figures["received"],
        "complaints": figures["complaints"],
        "open": Count("id", filter=COMPLAINT_OPEN),
        "overdue": Count("id", filter=complaint_red(today)),
        "closed": figures["closed"],
        "closed_on_time": figures["closed_on_time"],
        "escalated": figures["escalated"],
        "called_back": figures["called_back"],
        "satisfied": figures["satisfied"],
        "returns": Sum("return_count"),
        "misroutes": Sum("misroute_count"),
        "reopened": Count("id", filter=Q(reopen_count__gt=0)),
    }


def complaint_statistics(user, *, date_from: dt.date | None = None, date_to: dt.date | None = None, today=None):
    """Counts by unit complained about, by handling unit, by category and by month, for what the
    user may see, in four grouped queries (plus one for the totals). Rates are left to the caller."""
    today = today or timezone.localdate()
    qs = complaints_visible_to(user)
    tz = timezone.get_current_timezone()
    if date_from:
        qs = qs.filter(received_at__gte=dt.datetime.combine(date_from, dt.time.min, tz))
    if date_to:
        qs = qs.filter(received_at__lt=dt.datetime.combine(date_to + dt.timedelta(days=1), dt.time.min, tz))
    measures = _measures(today)
    by_unit = list(
        qs.filter(unit__isnull=False)
        .values("unit_id", "unit__name", "unit__region__name")
        .annotate(**measures)
        .order_by("-total", "unit_id")[:200]
    )
    by_handling_unit = list(
        qs.values("handling_unit_id", "handling_unit__name", "handling_unit__region__name")
        .annotate(**measures)
        .order_by("-total", "handling_unit_id")[:200]
    )
    by_category = list(
        qs.values("category_id", "category__name").annotate(**measures).order_by("-total", "category_id")
    )
    by_month = list(
        qs.annotate(month=TruncMonth("received_at", tzinfo=tz)).values("month").annotate(**measures).order_by("month")
    )
    totals = qs.aggregate(**measures)
    return {
        "totals": totals,
        "by_unit": by_unit,
        "by_handling_unit": by_handling_unit,
        "by_category": by_category,
        "by_month": by_month,
    }


# --- the public ------------------------------------------------------------------------------------

PUBLIC_FIELDS = (
    "id",
    "tracking_number",
    "status",
    "kind",
    "area",
    "received_at",
    "accepted_at",
    "replied_at",
    "callback_at",
    "closed_at",
    "deadline",
    "phone",
    "handling_unit__name",
    "close_kind",
)


def public_status(tracking_number: str, phone_last4: str) -> Complaint | None:
    """The complaint for a tracking number when the last four digits of its phone match; None
    otherwise (the same answer for a wrong number and a wrong phone). Callers show only status
    fields: never the complainant's name, phone, ID number, plate or the complaint's text."""
    number = (tracking_number or "").strip().upper()[:20]
    last4 = (phone_last4 or "").strip()
    if not number or len(last4) != 4 or not last4.isdigit():
        return None
    complaint = (
        Complaint.objects.filter(tracking_number=number).select_related("handling_unit").only(*PUBLIC_FIELDS).first()
    )
    if complaint is None or len(complaint.phone) < 4:
        crypto.search_hash("0000", kind="phone")  # about the same work either way
        return None
    if not hmac.compare_digest(complaint.phone[-4:], last4):
        return None
    return complaint
