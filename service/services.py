"""Writes of service-oriented enforcement: each in one transaction with its audit event, every
bad input refused with a message naming the field and what to do (a ``ValidationError`` keyed
by field, so forms and import rows report it the same way)."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.evidence import check_evidence
from portal.accounts.capabilities import Cap, has_cap
from portal.accounts.scoping import ensure_writable, region_in_scope
from portal.audit.services import audit_record
from portal.regions.models import Region, Unit
from service import creditcode
from service.models import (
    Assignment,
    Decision,
    Enterprise,
    LeaderContact,
    Meeting,
    RecordPhoto,
    ServiceRecord,
    StationDay,
    StationMonth,
    Visit,
    VisitIssue,
)

IMAGE_TYPES = ("image/jpeg", "image/png")
MIN_STATION_DAYS = 2


def _require_edit(actor) -> None:
    if not has_cap(actor, Cap.EDIT_RECORDS):
        raise PermissionDenied


def _require_log_for(actor, leader) -> None:
    """Station days and visits: staff with EDIT_RECORDS log them for any leader in scope; a
    leader (LOG_OWN_SERVICE) logs its own only, never another leader's."""
    if has_cap(actor, Cap.EDIT_RECORDS):
        return
    if has_cap(actor, Cap.LOG_OWN_SERVICE) and leader is not None and leader.pk == actor.pk:
        return
    raise PermissionDenied


# --- enterprises ---------------------------------------------------------------------------------


def credit_code_problem(code: str, reason: str) -> ValidationError | None:
    """What is wrong with a credit code, or None. A code of the wrong shape is refused; one that
    fails the check character is accepted only with a reason (early pilot codes)."""
    if not creditcode.well_formed(code):
        message = _("统一社会信用代码应为 18 位，由数字和大写字母组成（不含 I、O、S、V、Z），请核对营业执照。")
        return ValidationError({"credit_code": ValidationError(message, code="credit_code_shape")})
    if not creditcode.check_ok(code) and not reason.strip():
        message = _(
            "统一社会信用代码“%(code)s”的校验位不符（按 GB 32100 应为“%(want)s”）。请核对；如确为早期试点地区"
            "核发的代码，请填写确认理由后再提交。"
        ) % {"code": code, "want": creditcode.check_character(code[:17])}
        return ValidationError({"credit_code": ValidationError(message, code="credit_code_check")})
    return None


def enterprise_register(
    *, actor, name: str, credit_code: str, kind: str, size: str, region: Region | str, reason: str = ""
) -> Enterprise:
    _require_edit(actor)
    region_code = region if isinstance(region, str) else region.code
    ensure_writable(actor, region=region_code)
    code = creditcode.normalise(credit_code)
    problem = credit_code_problem(code, reason)
    if problem is not None:
        raise problem
    override = reason.strip() if not creditcode.check_ok(code) else ""
    if Enterprise.objects.filter(credit_code=code).exists():
        raise ValidationError({"credit_code": _("统一社会信用代码“%(code)s”已登记。") % {"code": code}})
    if Enterprise.objects.filter(name=name.strip()).exists():
        raise ValidationError({"name": _("企业“%(name)s”已登记。") % {"name": name.strip()}})
    with transaction.atomic():
        enterprise = Enterprise.objects.create(
            name=name.strip(),
            credit_code=code,
            check_override_reason=override,
            kind=kind,
            size=size,
            region_id=region_code,
            created_by=actor,
        )
        audit_record(
            actor=actor,
            action="service.enterprise_register",
            obj=enterprise,
            changes={"credit_code": code, "check_failed": bool(override), "reason": override},
        )
    return enterprise


# --- leaders and assignments ---------------------------------------------------------------------


def leader_set(*, actor, user, post: str, phone: str = "", published: bool = False) -> LeaderContact:
    """Register (or update) a leadership member's post and the phone published to their
    enterprises."""
    _require_edit(actor)
    if not user.region_id:
        raise ValidationError({"user": _("该账号没有所属区划，不能登记为领导班子成员。")})
    ensure_writable(actor, region=user.region_id, field="user")
    if published and not phone.strip():
        raise ValidationError({"phone": _("选择向企业公开时，请填写公开联系电话。")})
    with transaction.atomic():
        contact, created = LeaderContact.objects.update_or_create(
            user=user,
            defaults={
                "post": post.strip(),
                "phone": phone.strip(),
                "published": published,
                "region_id": user.region_id,
            },
        )
        audit_record(
            actor=actor,
            action="service.leader_set",
            obj=contact,
            changes={"post": contact.post, "published": published, "created": created},
        )
    return contact


def assignment_add(*, actor, leader, enterprise: Enterprise | None = None, station: Unit | None = None) -> Assignment:
    _require_edit(actor)
    if (enterprise is None) == (station is None):
        raise ValidationError(_("请选择一家企业或一个站所（只选其一）。"))
    if not LeaderContact.objects.filter(user=leader).exists():
        raise ValidationError({"leader": _("%(who)s 尚未登记为领导班子成员，请先登记职务。") % {"who": leader}})
    ensure_writable(actor, region=leader.region_id, field="leader")
    target_region = enterprise.region if enterprise is not None else station.region
    ensure_writable(actor, region=target_region, field="enterprise" if enterprise is not None else "station")
    if station is not None and station.kind != Unit.Kind.STATION:
        raise ValidationError({"station": _("“%(u)s”不是执法站/队，驻站只能选择基层站所。") % {"u": station.name}})
    if not target_region.path.startswith(leader.region.path):
        raise ValidationError(
            {"leader": _("%(who)s 的所属区划不包含该企业或站所所在地，请选择本级或上级的领导。") % {"who": leader}}
        )
    try:
        with transaction.atomic():
            assignment = Assignment.objects.create(
                leader=leader, enterprise=enterprise, station=station, region=target_region, assigned_by=actor
            )
            audit_record(
                actor=actor,
                action="service.assignment_add",
                obj=assignment,
                changes={
                    "leader": leader.pk,
                    "enterprise": getattr(enterprise, "pk", None),
                    "station": getattr(station, "pk", None),
                },
            )
    except IntegrityError:
        raise ValidationError(_("该领导已联系这家企业或站所。")) from None
    return assignment


def assignment_remove(*, actor, assignment: Assignment) -> None:
    _require_edit(actor)
    ensure_writable(actor, region=assignment.region_id)
    with transaction.atomic():
        audit_record(
            actor=actor, action="service.assignment_remove", obj=assignment, changes={"leader": assignment.leader_id}
        )
        assignment.delete()


# --- visits --------------------------------------------------------------------------------------


def visit_log(
    *, actor, leader, enterprise: Enterprise, visited_on: dt.date, form: str, notes: str = "", issues=()
) -> Visit:
    _require_log_for(actor, leader)
    ensure_writable(actor, region=enterprise.region, field="enterprise")
    if visited_on > timezone.localdate():
        raise ValidationError({"visited_on": _("走访日期不能晚于今天，请填写实际走访的日期。")})
    if not Assignment.objects.filter(leader=leader, enterprise=enterprise).exists():
        raise ValidationError(
            {
                "enterprise": _("%(who)s 没有联系“%(e)s”，只能登记对所联系企业的走访；请先分配联系企业。")
                % {"who": leader, "e": enterprise}
            }
        )
    texts = [t.strip() for t in issues if t and t.strip()]
    with transaction.atomic():
        visit = Visit.objects.create(
            enterprise=enterprise,
            leader=leader,
            visited_on=visited_on,
            form=form,
            notes=notes,
            region_id=enterprise.region_id,
            created_by=actor,
        )
        VisitIssue.objects.bulk_create([VisitIssue(visit=visit, text=t[:500]) for t in texts])
        audit_record(actor=actor, action="service.visit_log", obj=visit, changes={"issues": len(texts)})
    return visit


def issue_resolve(*, actor, issue: VisitIssue, resolution: str = "", problem=None) -> VisitIssue:
    """Follow an issue to its end: resolved (with what was done) or raised as a problem on the
    list (linked). Compare-and-swap on the open status: a second close answers a message."""
    _require_edit(actor)
    ensure_writable(actor, region=issue.visit.region_id)
    if problem is None and not resolution.strip():
        raise ValidationError({"resolution": _("请填写解决情况，或关联问题清单中的问题。")})
    if problem is not None and not region_in_scope(actor, problem.region_id):
        raise ValidationError({"problem": _("所选问题不在您的管辖范围内。")})
    status = VisitIssue.Status.PROBLEM if problem is not None else VisitIssue.Status.RESOLVED
    with transaction.atomic():
        moved = VisitIssue.objects.filter(pk=issue.pk, status=VisitIssue.Status.OPEN).update(
            status=status, resolution=resolution.strip()[:500], problem=problem, closed_at=timezone.now()
        )
        if not moved:
            raise ValidationError(_("该问题已办结，请刷新页面查看。"))
        audit_record(actor=actor, action="service.issue_close", obj=issue, changes={"status": status})
    issue.refresh_from_db()
    return issue


# --- station days and the monthly check ----------------------------------------------------------


def station_day_log(
    *, actor, leader, station: Unit, day: dt.date, officer_opinions: str = "", public_opinions: str = ""
) -> StationDay:
    _require_log_for(actor, leader)
    ensure_writable(actor, unit=station, field="station")
    if day > timezone.localdate():
        raise ValidationError({"day": _("驻点日期不能晚于今天：驻点办公在当天或之后登记。")})
    if not Assignment.objects.filter(leader=leader, station=station).exists():
        raise ValidationError(
            {"station": _("%(who)s 没有联系“%(s)s”，请先分配驻点站所。") % {"who": leader, "s": station.name}}
        )
    if StationDay.objects.filter(leader=leader, day=day).exists():
        raise ValidationError(
            {
                "day": _("%(who)s 在 %(d)s 已登记驻点办公，同一天只计一次，请勿重复登记。")
                % {"who": leader, "d": day.isoformat()}
            }
        )
    try:
        with transaction.atomic():
            record = StationDay.objects.create(
                leader=leader,
                station=station,
                day=day,
                officer_opinions=officer_opinions,
                public_opinions=public_opinions,
                region_id=station.region_id,
                created_by=actor,
            )
            audit_record(
                actor=actor, action="service.station_day", obj=record, changes={"day": day, "station": station.pk}
            )
    except IntegrityError:  # a concurrent second entry for the same date
        raise ValidationError({"day": _("该日期已登记驻点办公，同一天只计一次。")}) from None
    return record


def month_bounds(day: dt.date) -> tuple[dt.date, dt.date]:
    first = day.replace(day=1)
    last = (first + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
    return first, last


def station_months_close(*, month: dt.date) -> int:
    """Fix the month's station days of every leader with a station assigned (idempotent: a
    closed month is never rewritten). Returns the rows written."""
    first, last = month_bounds(month)
    if last >= timezone.localdate():
        raise ValueError("a month closes only after its last day")
    days = dict(
        StationDay.objects.filter(day__gte=first, day__lte=last)
        .values("leader")
        .annotate(n=Count("day", distinct=True))
        .values_list("leader", "n")
    )
    contacts = LeaderContact.objects.filter(
        user__in=Assignment.objects.filter(station__isnull=False).values("leader")
    ).exclude(user__in=StationMonth.objects.filter(month=first).values("leader"))
    rows = [
        StationMonth(
            leader_id=c.user_id,
            month=first,
            days=days.get(c.user_id, 0),
            below=days.get(c.user_id, 0) < MIN_STATION_DAYS,
            region_id=c.region_id,
        )
        for c in contacts
    ]
    with transaction.atomic():
        StationMonth.objects.bulk_create(rows, ignore_conflicts=True)
        audit_record(
            actor=None,
            action="service.station_months_close",
            object_type="service.stationmonth",
            object_id=f"{first:%Y-%m}",
            changes={"leaders": len(rows), "below": sum(r.below for r in rows)},
        )
    return len(rows)


def station_months_close_due(*, today: dt.date | None = None) -> int:
    """The beat task's body: close last month (nothing when it is closed already)."""
    today = today or timezone.localdate()
    previous = today.replace(day=1) - dt.timedelta(days=1)
    return station_months_close(month=previous)


# --- the light registers -------------------------------------------------------------------------


def check_photo(upload) -> tuple[str, str]:
    """(content type, sha256) of an image (JPEG or PNG by its bytes); anything else refused."""
    try:
        content_type, digest = check_evidence(upload)
    except ValidationError as exc:
        raise ValidationError({"photos": exc.messages}) from None
    if content_type not in IMAGE_TYPES:
        raise ValidationError(
            {"photos": _("“%(name)s”不是图片：照片只接受 JPG 或 PNG 格式。") % {"name": upload.name}}, code="photo_type"
        )
    return content_type, digest


def record_add(
    *, actor, kind: str, title: str, region: Region | str, unit: Unit | None = None, photos=(), **fields
) -> ServiceRecord:
    _require_edit(actor)
    region_code = region if isinstance(region, str) else region.code
    if unit is not None:
        ensure_writable(actor, unit=unit)
        region_code = unit.region_id
    ensure_writable(actor, region=region_code)
    checked = [(upload, *check_photo(upload)) for upload in photos]
    with transaction.atomic():
        record = ServiceRecord.objects.create(
            kind=kind, title=title.strip(), unit=unit, region_id=region_code, created_by=actor, **fields
        )
        for upload, content_type, digest in checked:
            photo = RecordPhoto(
                record=record,
                original_name=upload.name[:200],
                content_type=content_type,
                size=upload.size,
                sha256=digest,
                uploaded_by=actor,
            )
            photo.file.save(upload.name, upload, save=False)
            photo.save()
        audit_record(
            actor=actor, action="service.record_add", obj=record, changes={"kind": kind, "photos": len(checked)}
        )
    return record


# --- joint meetings and consultations (§12) ------------------------------------------------------


def meeting_record(
    *, actor, kind: str, subject: str, held_on: dt.date, departments: str, region, decisions=()
) -> Meeting:
    """A meeting with its decisions, each ``(text, responsible, deadline)``."""
    _require_edit(actor)
    region_code = region if isinstance(region, str) else region.code
    ensure_writable(actor, region=region_code)
    if held_on > timezone.localdate():
        raise ValidationError({"held_on": _("会议日期不能晚于今天：会议召开后再登记。")})
    for number, (text, responsible, deadline) in enumerate(decisions, start=1):
        if not text.strip() or not responsible.strip() or deadline is None:
            raise ValidationError(
                {"decisions": _("第 %(n)s 项议定事项须填写事项、责任部门和完成期限。") % {"n": number}}
            )
        if deadline < held_on:
            raise ValidationError({"decisions": _("第 %(n)s 项议定事项的完成期限早于会议日期。") % {"n": number}})
    with transaction.atomic():
        meeting = Meeting.objects.create(
            kind=kind,
            subject=subject.strip(),
            held_on=held_on,
            departments=departments.strip(),
            region_id=region_code,
            created_by=actor,
        )
        Decision.objects.bulk_create(
            [
                Decision(meeting=meeting, text=text.strip(), responsible=responsible.strip(), deadline=deadline)
                for text, responsible, deadline in decisions
            ]
        )
        audit_record(actor=actor, action="service.meeting_record", obj=meeting, changes={"decisions": len(decisions)})
    return meeting


def decision_add(*, actor, meeting: Meeting, text: str, responsible: str, deadline: dt.date) -> Decision:
    _require_edit(actor)
    ensure_writable(actor, region=meeting.region_id)
    if deadline < meeting.held_on:
        raise ValidationError({"deadline": _("完成期限不能早于会议日期。")})
    with transaction.atomic():
        decision = Decision.objects.create(
            meeting=meeting, text=text.strip(), responsible=responsible.strip(), deadline=deadline
        )
        audit_record(actor=actor, action="service.decision_add", obj=decision, changes={"deadline": deadline})
    return decision


def decision_done(*, actor, decision: Decision, note: str) -> Decision:
    _require_edit(actor)
    ensure_writable(actor, region=decision.meeting.region_id)
    if not note.strip():
        raise ValidationError({"note": _("请填写落实情况。")})
    with transaction.atomic():
        moved = Decision.objects.filter(pk=decision.pk, status=Decision.Status.OPEN).update(
            status=Decision.Status.DONE, done_note=note.strip()[:500], done_at=timezone.now()
        )
        if not moved:
            raise ValidationError(_("该事项已落实，请刷新页面查看。"))
        audit_record(actor=actor, action="service.decision_done", obj=decision, changes={"note": note.strip()[:100]})
    decision.refresh_from_db()
    return decision
