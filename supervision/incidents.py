"""Three-level incident reporting (突发事件信息报送, 三级负责制): writes and reads.

An incident is reported at a county (``incident_report``: the initial report; the server's
clock is its receipt time, ``received_at``, and the city's limit ``city_due_at`` starts then).
The county forwards it to the city (``incident_forward``: the city's receipt time is the
server's clock at forwarding, and the province's limit starts), the city forwards it to the
province. Limits are the incident class's minutes (30 and 60 by default), clock time, nights
and holidays included. Forwarding twice, or a report after the final one, is refused with the
time it already happened; every move is compare-and-swap on the incident's open limit, so two
clicks at once forward once. Alerts when a limit passes: ``supervision/alerts.py``
(``IncidentLimitSource``, swept every minute round the clock)."""

from __future__ import annotations

import datetime as dt
import uuid

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Q
from django.db.models.functions import Now
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.accounts.capabilities import Cap, has_cap
from portal.accounts.scoping import ensure_writable, get_visible_or_404
from portal.audit.services import audit_record
from portal.core.api import ConflictError
from portal.regions.models import Region
from supervision.models import Incident, IncidentClass, IncidentReport

COUNTY_LEVELS = (Region.Level.COUNTY, Region.Level.ZONE)


def _local(moment) -> str:
    return f"{timezone.localtime(moment):%Y-%m-%d %H:%M}"


# --- reads ----------------------------------------------------------------------------------------


def incidents_visible_to(user):
    return Incident.objects.visible_to(user).select_related("incident_class", "region", "region__parent")


def incident_get(user, pk: int) -> Incident:
    return get_visible_or_404(incidents_visible_to(user), user, pk=pk)


INCIDENT_FILTERS = frozenset({"status", "region", "unit", "received_from", "missed"})


def missed_q(now=None) -> Q:
    """A limit missed: forwarded to the city or to the province after the class's limit, or still
    open, not forwarded, and the limit passed (clock minutes, as the minute sweep alerts). The one
    definition of the list's ``missed`` filter, the strip and the dashboards' figure; ``now``
    (the database's clock when None) is for tests that fix the moment."""
    moment = now or Now()
    return (
        Q(forwarded_to_city_at__gt=F("city_due_at"))
        | Q(forwarded_to_province_at__gt=F("province_due_at"))
        | Q(status=Incident.Status.OPEN, forwarded_to_city_at__isnull=True, city_due_at__lt=moment)
        | Q(status=Incident.Status.OPEN, forwarded_to_province_at__isnull=True, province_due_at__lt=moment)
    )


def _day(text: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        return None


def incidents_filtered(user, params, *, now=None) -> tuple:
    """The incident list as its query string filters it: ``status``, ``region`` (a region code:
    incidents of the counties under it), ``unit``, ``received_from`` (a date: received on or after
    it, local time) and ``missed=yes``. Unknown values are ignored. The dashboards' incident
    figures link here with the same filters, so a number and its list agree."""
    qs = incidents_visible_to(user)
    cleaned = {key: (params.get(key) or "").strip()[:64] for key in INCIDENT_FILTERS}
    if cleaned["status"] in Incident.Status.values:
        qs = qs.filter(status=cleaned["status"])
    if (code := cleaned["region"]).isdigit() and len(code) == 6:
        qs = qs.filter(region__in=Region.objects.filter(path__contains=f"{code}/").values("code"))
    if cleaned["unit"].isdigit():
        qs = qs.filter(unit_id=int(cleaned["unit"]))
    if start := _day(cleaned["received_from"]):
        qs = qs.filter(received_at__gte=dt.datetime.combine(start, dt.time.min, timezone.get_current_timezone()))
    if cleaned["missed"] == "yes":
        qs = qs.filter(missed_q(now))
    return qs, cleaned


def incident_strip(user, *, now=None) -> dict:
    """The strip above the incident list: open incidents, limits missed among the incidents of the
    dashboards' twelve months' window (``missed_q``, the dashboards' definition), and the open
    ones still owing a forwarding; in the user's subtree, one query. ``received_from`` is the
    window's first day, for the links to the list."""
    from django.db.models import Count

    from portal.dashboards.period import Period

    now = now or timezone.now()
    since = Period.of(timezone.localdate(now)).window_start
    counts = Incident.objects.visible_to(user, Cap.VIEW_DASHBOARD).aggregate(
        open=Count("pk", filter=Q(status=Incident.Status.OPEN)),
        missed=Count("pk", filter=missed_q(now) & Q(received_at__gte=Period.aware(since))),
        missed_open=Count("pk", filter=missed_q(now) & Q(status=Incident.Status.OPEN)),
    )
    return {**counts, "received_from": since}


# --- writes ---------------------------------------------------------------------------------------


def incident_report(
    *,
    actor,
    title: str,
    incident_class: IncidentClass,
    text: str,
    region=None,
    unit=None,
    occurred_at=None,
    problem=None,
    complaint=None,
    now=None,
) -> Incident:
    """The initial report (首报), at the county."""
    if not has_cap(actor, Cap.EDIT_RECORDS):
        raise ValidationError(_("您没有报送突发事件的权限。"))
    region = region or actor.region
    errors: dict[str, str] = {}
    if region is None or region.level not in COUNTY_LEVELS:
        errors["region"] = _("突发事件由事发地县级首报：请选择县（市、区）。")
    else:
        ensure_writable(actor, region=region)
    if unit is None:
        errors["unit"] = _("请选择涉事单位（事件涉及的执法单位）。")
    elif unit.region_id != getattr(region, "code", None):
        errors["unit"] = _("涉事单位不在所选县（市、区）。")
    if not (title or "").strip():
        errors["title"] = _("请填写事件名称。")
    if not (text or "").strip():
        errors["text"] = _("请填写首报内容：时间、地点、经过、伤亡及处置情况。")
    if problem is not None and problem.region_id != getattr(region, "code", None):
        errors["problem"] = _("关联问题不在事发县（市、区）。")
    if complaint is not None and complaint.region_id != getattr(region, "code", None):
        errors["complaint"] = _("关联投诉不在事发县（市、区）。")
    if errors:
        raise ValidationError(errors)
    now = now or timezone.now()
    with transaction.atomic():
        incident = Incident.objects.create(
            code=uuid.uuid4().hex[:24],
            title=title.strip(),
            incident_class=incident_class,
            region=region,
            unit=unit,
            occurred_at=occurred_at,
            received_at=now,
            city_due_at=now + dt.timedelta(minutes=incident_class.county_to_city_minutes),
            problem=problem,
            complaint=complaint,
            reported_by=actor,
        )
        incident.code = f"SJ{timezone.localdate(now).year}-{incident.pk:05d}"
        Incident.objects.filter(pk=incident.pk).update(code=incident.code)
        IncidentReport.objects.create(
            incident=incident,
            kind=IncidentReport.Kind.INITIAL,
            text=text.strip(),
            author=actor,
            author_region=region,
            received_at=now,
        )
        audit_record(
            actor=actor,
            action="incident.report",
            obj=incident,
            changes={
                "class": incident_class.code,
                "region": region.code,
                "city_due_at": incident.city_due_at.isoformat(),
            },
        )
    return incident


def incident_forward(*, actor, incident: Incident, now=None) -> Incident:
    """Forward to the next level: county → city (by an account of the county), city →
    province (by an account of the city). Refused when already forwarded or finally reported."""
    now = now or timezone.now()
    if not has_cap(actor, Cap.EDIT_RECORDS):
        raise ValidationError(_("您没有报送突发事件的权限。"))
    city_code = incident.region.parent_id
    with transaction.atomic():
        to = _forward_once(actor, incident, city_code, now)
        audit_record(actor=actor, action="incident.forward", obj=incident, changes={"to": to, "at": now.isoformat()})
    incident.refresh_from_db()
    return incident


def incident_add_report(*, actor, incident: Incident, kind: str, text: str, now=None) -> IncidentReport:
    """A follow-up (续报) or the final report (终报, closing the incident), by any level that
    sees the incident. Refused after the final report, with its time."""
    now = now or timezone.now()
    if not has_cap(actor, Cap.EDIT_RECORDS):
        raise ValidationError(_("您没有报送突发事件的权限。"))
    if kind not in (IncidentReport.Kind.FOLLOW_UP, IncidentReport.Kind.FINAL):
        raise ValidationError({"kind": _("请选择续报或终报。")})
    if not (text or "").strip():
        raise ValidationError({"text": _("请填写报告内容。")})
    with transaction.atomic():
        locked = Incident.objects.select_for_update().get(pk=incident.pk)
        if locked.status == Incident.Status.CLOSED:
            raise ValidationError(
                {"kind": _("该事件已于 %(when)s 终报，不能再续报或终报。") % {"when": _local(locked.closed_at)}}
            )
        report = IncidentReport.objects.create(
            incident=locked,
            kind=kind,
            text=text.strip(),
            author=actor,
            author_region_id=actor.region_id,
            received_at=now,
        )
        if kind == IncidentReport.Kind.FINAL:
            Incident.objects.filter(pk=locked.pk).update(
                status=Incident.Status.CLOSED, closed_at=now, version=F("version") + 1
            )
        audit_record(actor=actor, action=f"incident.{kind}", obj=locked, changes={"report": report.pk})
    incident.refresh_from_db()
    return report


def _forward_once(actor, incident: Incident, city_code: str, now) -> str:
    if incident.status != Incident.Status.OPEN:
        raise ValidationError({"level": _("该事件已终报，无需再报送。")})
    if incident.forwarded_to_city_at is None:
        if actor.region_id != incident.region_id:
            raise ValidationError({"level": _("报市由事发县（市、区）的账号办理。")})
        to = Incident.Level.CITY
        moved = Incident.objects.filter(
            pk=incident.pk, forwarded_to_city_at__isnull=True, status=Incident.Status.OPEN
        ).update(
            forwarded_to_city_at=now,
            city_received_at=now,
            province_due_at=now + dt.timedelta(minutes=incident.incident_class.city_to_province_minutes),
            level=to,
            version=F("version") + 1,
        )
    elif incident.forwarded_to_province_at is None:
        if actor.region_id != city_code:
            raise ValidationError({"level": _("报省由市级账号办理。")})
        to = Incident.Level.PROVINCE
        moved = Incident.objects.filter(
            pk=incident.pk, forwarded_to_province_at__isnull=True, status=Incident.Status.OPEN
        ).update(forwarded_to_province_at=now, province_received_at=now, level=to, version=F("version") + 1)
    else:
        when = _local(incident.forwarded_to_province_at)
        raise ValidationError({"level": _("该事件已于 %(when)s 报送省级，不能重复报送。") % {"when": when}})
    if not moved:  # someone forwarded (or closed) it between the read and this update
        current = Incident.objects.get(pk=incident.pk)
        if current.status != Incident.Status.OPEN:
            raise ValidationError({"level": _("该事件已终报，无需再报送。")})
        when = current.forwarded_to_city_at if to == Incident.Level.CITY else current.forwarded_to_province_at
        values = {"when": _local(when), "level": Incident.Level(to).label}
        raise ConflictError(_("该事件已于 %(when)s 报送%(level)s，不能重复报送。") % values)
    return to
