"""Writes of listed supervision. Each runs in one transaction with its audit event; state moves
go through ``item_transition`` (the table in transitions.py, compare-and-swap on version)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.evidence import check_evidence
from cases.models import Problem
from cases.services import PERSONAL_DATA_PATTERNS, accountability_record
from complaints.models import Complaint
from portal.accounts.capabilities import Cap, has_cap
from portal.accounts.scoping import PROVINCE_CODE, ensure_writable, get_visible_or_404, region_in_scope
from portal.audit.services import audit_record, audit_record_many
from portal.core.api import ConflictError
from portal.regions.models import Region
from portal.workdays.calendar import add_working_days, working_days_between
from supervision.models import (
    AcceptanceVisit,
    CandidateDismissal,
    ProgressReport,
    Referral,
    Stationing,
    StationLog,
    SupervisionEvidence,
    SupervisionItem,
)
from supervision.transitions import MOVES, Move

S = SupervisionItem.Status
DEFAULT_DEADLINE_DAYS = 30
DEFAULT_REPORT_EVERY_DAYS = 5


def referral_after_days() -> int:
    """M: working days past the deadline after which a referral (提请追责) is proposed."""
    return int(getattr(settings, "SUPERVISION_REFERRAL_AFTER_DAYS", 10))


def acceptance_days() -> int:
    """Working days the team has for the on-site acceptance after the rectification report."""
    return int(getattr(settings, "SUPERVISION_ACCEPTANCE_DAYS", 10))


def next_item_codes(count: int, *, year: int | None = None) -> list[str]:
    year = year or timezone.localdate().year
    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval('supervision_item_code_seq') FROM generate_series(1, %s)", [count])
        return [f"DB{year}-{value:05d}" for (value,) in cursor.fetchall()]


def common_region(codes: Sequence[str]) -> Region | None:
    """The lowest region whose subtree holds every one of ``codes`` (by the regions' paths)."""
    paths = list(Region.objects.filter(code__in=set(codes)).values_list("path", flat=True))
    if not paths:
        return None
    parts = [p.strip("/").split("/") for p in paths]
    common = []
    for segment in zip(*parts, strict=False):
        if len(set(segment)) != 1:
            break
        common.append(segment[0])
    return Region.objects.filter(code=common[-1]).first() if common else None


def _plain(day) -> dt.date:
    """A calendar result as a plain date (``WorkDate`` carries a flag, not date arithmetic)."""
    return dt.date.fromordinal(day.toordinal())


def _check_personal_data(field: str, text: str) -> None:
    found = [label for pattern, label in PERSONAL_DATA_PATTERNS if pattern.search(text)]
    if found:
        raise ValidationError(
            {
                field: _("公开内容含有个人信息（%(kinds)s），请删除后再填写。")
                % {"kinds": "、".join(str(k) for k in found)}
            }
        )


def _checked_files(files: Sequence) -> list[tuple]:
    return [(upload, *check_evidence(upload)) for upload in files]


def _store_files(checked, *, item, actor, report=None, visit=None) -> None:
    for upload, content_type, digest in checked:
        SupervisionEvidence.objects.create(
            item=item,
            report=report,
            visit=visit,
            file=upload,
            original_name=upload.name[:200],
            content_type=content_type,
            size=upload.size,
            sha256=digest,
            uploaded_by=actor,
        )


# --- listing ---------------------------------------------------------------------------------


def listing_level(actor) -> str | None:
    """The level the actor lists at: the province; a city within its subtree; None otherwise."""
    if not has_cap(actor, Cap.VERIFY) or not actor.region_id:
        return None
    if actor.region_id == PROVINCE_CODE:
        return SupervisionItem.Level.PROVINCE
    if actor.region.level == Region.Level.CITY:
        return SupervisionItem.Level.CITY
    return None


def team_candidates(region) -> list:
    """Portal users with the inspection capability who can see items of ``region``."""
    from portal.accounts.capabilities import ROLE_CAPABILITIES
    from portal.accounts.models import User

    roles = [role for role, caps in ROLE_CAPABILITIES.items() if Cap.INSPECT in caps]
    if region is None or not roles:
        return []
    users = User.objects.filter(is_active=True, roles__overlap=roles).select_related("region").order_by("username")
    return [u for u in users if region_in_scope(u, region)]


def _check_team(team: Sequence, region) -> list:
    members = list(team)
    for member in members:
        if not has_cap(member, Cap.INSPECT) or not region_in_scope(member, region):
            raise ValidationError(
                {"team": _("督导组成员“%(name)s”不具备执法监督人员资格或不能查看该区划。") % {"name": member}}
            )
    return members


@transaction.atomic
def item_list(
    *,
    actor,
    title: str,
    problem_list: str,
    measures_list: str,
    rectification_responsibility: str,
    supervision_responsibility: str,
    problems: Sequence[int] = (),
    complaints: Sequence[int] = (),
    region=None,
    unit=None,
    domain=None,
    deadline_days: int = DEFAULT_DEADLINE_DAYS,
    report_every_days: int = DEFAULT_REPORT_EVERY_DAYS,
    team: Sequence = (),
    serious: bool = False,
    candidate_key: str = "",
    listed_on: dt.date | None = None,
) -> SupervisionItem:
    """List an item in the supervision ledger (挂牌). A problem or complaint the lister cannot
    see answers 404, like a missing one."""
    level = listing_level(actor)
    if level is None:
        raise PermissionDenied(_("只有省厅或市局工作人员可以挂牌督办。"))
    problem_rows = [
        get_visible_or_404(Problem.objects.select_related("region", "unit"), actor, Cap.VIEW_RECORDS, pk=pk)
        for pk in problems
    ]
    complaint_rows = [get_visible_or_404(Complaint, actor, Cap.VIEW_RECORDS, pk=pk) for pk in complaints]
    errors = {}
    for name, value in (
        ("title", title),
        ("problem_list", problem_list),
        ("measures_list", measures_list),
        ("rectification_responsibility", rectification_responsibility),
        ("supervision_responsibility", supervision_responsibility),
    ):
        if not (value or "").strip():
            errors[name] = _("请填写此项。")
    if not 1 <= int(deadline_days or 0) <= 365:
        errors["deadline_days"] = _("整改时限应为 1 至 365 个工作日。")
    if not 1 <= int(report_every_days or 0) <= 60:
        errors["report_every_days"] = _("报告周期应为 1 至 60 个工作日。")
    if errors:
        raise ValidationError(errors)
    covered = [p.region_id for p in problem_rows] + [c.handling_region_id for c in complaint_rows]
    if unit is None:
        # The responsible unit: the first covered problem's, else the complained-about unit.
        unit = next((p.unit for p in problem_rows), None) or next(
            (c.unit or c.handling_unit for c in complaint_rows), None
        )
    if unit is None:
        raise ValidationError({"problem_codes": _("请选择涉及的问题或投诉，据此确定责任单位。")})
    if region is None:
        region = common_region(covered) if covered else unit.region
    ensure_writable(actor, region=region)
    ensure_writable(actor, unit=unit)
    covered.append(unit.region_id)
    outside = [code for code in covered if not Region.objects.filter(code=code, path__startswith=region.path).exists()]
    if outside:
        raise ValidationError({"region": _("涉及的问题或投诉不在所选区划范围内。")})
    members = _check_team(team, region)
    listed_on = listed_on or timezone.localdate()
    deadline = add_working_days(listed_on, int(deadline_days))
    now = timezone.now()
    item = SupervisionItem.objects.create(
        code=next_item_codes(1, year=listed_on.year)[0],
        title=title.strip(),
        level=level,
        region=region,
        listed_by_region_id=actor.region_id,
        unit=unit,
        domain=domain,
        problem_list=problem_list,
        measures_list=measures_list,
        rectification_responsibility=rectification_responsibility,
        supervision_responsibility=supervision_responsibility,
        serious=serious,
        candidate_key=candidate_key[:120],
        listed_on=listed_on,
        deadline_days=int(deadline_days),
        deadline=_plain(deadline),
        deadline_provisional=deadline.provisional,
        report_every_days=int(report_every_days),
        next_report_due=_plain(add_working_days(listed_on, int(report_every_days))),
        listed_by=actor,
        created_at=now,
        updated_at=now,
    )
    item.problems.set(problem_rows)
    item.complaints.set(complaint_rows)
    item.team.set(members)
    audit_record(
        actor=actor,
        action="supervision.list",
        obj=item,
        changes={
            "code": item.code,
            "level": level,
            "region": region.code,
            "problems": [p.code for p in problem_rows],
            "complaints": [c.tracking_number for c in complaint_rows],
            "deadline": deadline.isoformat(),
            "team": [m.get_username() for m in members],
        },
    )
    return item


@transaction.atomic
def item_team_set(*, actor, item: SupervisionItem, team: Sequence) -> SupervisionItem:
    item = get_visible_or_404(SupervisionItem.objects.select_related("region"), actor, Cap.VIEW_RECORDS, pk=item.pk)
    if not is_listing_staff(actor, item):
        raise PermissionDenied(_("督导组由挂牌机关确定。"))
    members = _check_team(team, item.region)
    before = sorted(item.team.values_list("username", flat=True))
    item.team.set(members)
    audit_record(
        actor=actor,
        action="supervision.team",
        obj=item,
        changes={"team": [before, sorted(m.get_username() for m in members)]},
    )
    return item


# --- the flow --------------------------------------------------------------------------------


def is_listing_staff(actor, item: SupervisionItem) -> bool:
    """Staff of the listing organ's region (or the province, above every city)."""
    return has_cap(actor, Cap.VERIFY) and actor.region_id in (item.listed_by_region_id, PROVINCE_CODE)


def is_team_member(actor, item: SupervisionItem) -> bool:
    return bool(actor.pk) and item.team.filter(pk=actor.pk).exists()


def may_make(actor, item: SupervisionItem, move: Move, *, on_team: bool | None = None) -> bool:
    if move.who == "team":
        if on_team is None:
            on_team = is_team_member(actor, item)
        return on_team or is_listing_staff(actor, item)
    return has_cap(actor, move.cap)


def allowed_moves(actor, item: SupervisionItem) -> list[Move]:
    on_team = is_team_member(actor, item)
    return [m for m in MOVES.values() if item.status in m.source and may_make(actor, item, m, on_team=on_team)]


@transaction.atomic
def item_transition(
    *,
    actor,
    item_id: int,
    move: str,
    expected_version: int | None = None,
    text: str = "",
    visited_on: dt.date | None = None,
    members: Sequence = (),
    files: Sequence = (),
    handling_result: str = "",
) -> SupervisionItem:
    """Make one move of the flow. Compare-and-swap on (status, version): of two people moving
    the same item at once (two acceptances racing) exactly one succeeds, the other gets
    ConflictError (409) and nothing of theirs is written."""
    spec = MOVES.get(move)
    if spec is None:
        raise ValidationError({"move": _("未知的操作：%(move)s") % {"move": move}})
    item = get_visible_or_404(SupervisionItem.objects.select_related("region"), actor, Cap.VIEW_RECORDS, pk=item_id)
    if not may_make(actor, item, spec):
        raise PermissionDenied(_("您无权对该督办事项执行“%(label)s”。") % {"label": spec.label})
    version = expected_version if expected_version is not None else item.version
    if item.status not in spec.source or item.version != version:
        raise ConflictError(
            _("该督办事项已被他人处理（当前状态：%(status)s），请刷新后重试。") % {"status": item.get_status_display()}
        )
    errors = {}
    if spec.needs_text and not text.strip():
        errors["text"] = _("请填写整改报告内容。") if move == "report" else _("请填写验收发现和未通过的理由。")
    today = timezone.localdate()
    member_rows = list(members)
    if spec.is_acceptance:
        if visited_on is None or visited_on > today:
            errors["visited_on"] = _("请填写不晚于今天的验收日期。")
        if not member_rows:
            errors["members"] = _("请选择参加验收的督导组成员。")
        elif any(not has_cap(m, Cap.INSPECT) and not is_listing_staff(m, item) for m in member_rows):
            errors["members"] = _("验收人员应为督导组成员或挂牌机关工作人员。")
        if move == "accept_pass" and not text.strip():
            errors["text"] = _("请填写验收发现。")
    if move == "accept_pass" and handling_result:
        try:
            _check_personal_data("handling_result", handling_result)
        except ValidationError as exc:
            errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    checked = _checked_files(files)

    now = timezone.now()
    updates = {"status": spec.target, "version": F("version") + 1, "updated_at": now}
    if spec.target == S.DELISTED:
        updates.update(
            delisted_at=now,
            next_report_due=None,
            handling_result=handling_result.strip(),
            delist_working_days=max(0, int(working_days_between(item.listed_on, today))),
        )
    if move == "accept_fail":
        updates.update(
            failed_acceptances=F("failed_acceptances") + 1,
            next_report_due=add_working_days(today, item.report_every_days),
        )
    if move == "report":
        updates.update(next_report_due=None, acceptance_due=_plain(add_working_days(today, acceptance_days())))
    elif spec.is_acceptance:
        updates["acceptance_due"] = None
    changed = SupervisionItem.objects.filter(pk=item.pk, status=item.status, version=version).update(**updates)
    if changed == 0:
        raise ConflictError(_("该督办事项刚刚被他人处理，请刷新后重试。"))
    changes = {"status": [item.status, spec.target]}
    if move == "report":
        report = ProgressReport.objects.create(
            item=item, kind=ProgressReport.Kind.RECTIFICATION, text=text, author=actor, created_at=now
        )
        _store_files(checked, item=item, actor=actor, report=report)
        changes["report"] = text
    elif spec.is_acceptance:
        visit = AcceptanceVisit.objects.create(
            item=item,
            visited_on=visited_on,
            findings=text,
            result=AcceptanceVisit.Result.PASSED if move == "accept_pass" else AcceptanceVisit.Result.FAILED,
            recorded_by=actor,
            created_at=now,
        )
        visit.members.set(member_rows)
        _store_files(checked, item=item, actor=actor, visit=visit)
        changes.update(
            visited_on=visited_on.isoformat(), members=[m.get_username() for m in member_rows], findings=text
        )
    elif checked:
        raise ValidationError({"files": _("该操作不附佐证材料。")})
    audit_record(actor=actor, action=f"supervision.{move}", obj=item, changes=changes)
    item.refresh_from_db()
    if move == "accept_fail" and item.failed_acceptances >= 2:
        referral_propose(item=item, reason=Referral.Reason.SECOND_FAILURE, actor=actor)
    return item


@transaction.atomic
def progress_report(*, actor, item: SupervisionItem, text: str, files: Sequence = ()) -> ProgressReport:
    """A periodic progress report with evidence; the next report falls due K working days on.
    Refused once the item has been delisted (or while the rectification report awaits acceptance)."""
    item = get_visible_or_404(SupervisionItem.objects.select_for_update(), actor, Cap.EDIT_RECORDS, pk=item.pk)
    if item.status == S.DELISTED:
        raise ValidationError({"text": _("该督办事项已摘牌，不再报送进展。")})
    if item.status == S.REPORTED:
        raise ValidationError({"text": _("整改报告已报送，正等待验收；验收未通过时再继续报送进展。")})
    if not text.strip():
        raise ValidationError({"text": _("请填写进展情况。")})
    checked = _checked_files(files)
    today = timezone.localdate()
    report = ProgressReport.objects.create(item=item, kind=ProgressReport.Kind.PROGRESS, text=text, author=actor)
    _store_files(checked, item=item, actor=actor, report=report)
    next_due = add_working_days(today, item.report_every_days)
    SupervisionItem.objects.filter(pk=item.pk).update(
        report_seq=F("report_seq") + 1, next_report_due=next_due, updated_at=timezone.now()
    )
    audit_record(
        actor=actor,
        action="supervision.progress",
        obj=item,
        changes={"text": text, "files": [u.name for u in files], "next_report_due": next_due.isoformat()},
    )
    return report


# --- stationed supervision -------------------------------------------------------------------


@transaction.atomic
def stationing_start(*, actor, item: SupervisionItem, starts_on: dt.date, ends_on: dt.date, place: str) -> Stationing:
    item = get_visible_or_404(SupervisionItem, actor, Cap.VIEW_RECORDS, pk=item.pk)
    if not (is_listing_staff(actor, item) or is_team_member(actor, item)):
        raise PermissionDenied(_("驻地督导由挂牌机关或督导组安排。"))
    if not item.serious:
        raise ValidationError({"starts_on": _("只有情节严重的督办事项安排驻地督导。")})
    if not item.is_open:
        raise ValidationError({"starts_on": _("该督办事项已摘牌。")})
    errors = {}
    if ends_on < starts_on:
        errors["ends_on"] = _("结束日期不能早于开始日期。")
    if not place.strip():
        errors["place"] = _("请填写驻地地点。")
    if errors:
        raise ValidationError(errors)
    stationing = Stationing.objects.create(
        item=item, starts_on=starts_on, ends_on=ends_on, place=place.strip(), created_by=actor
    )
    audit_record(
        actor=actor,
        action="supervision.stationing",
        obj=item,
        changes={"starts_on": starts_on.isoformat(), "ends_on": ends_on.isoformat(), "place": place},
    )
    return stationing


@transaction.atomic
def station_log(*, actor, item: SupervisionItem, stationing_id: int, day: dt.date, text: str) -> StationLog:
    item = get_visible_or_404(SupervisionItem, actor, Cap.VIEW_RECORDS, pk=item.pk)
    if not (is_listing_staff(actor, item) or is_team_member(actor, item)):
        raise PermissionDenied(_("驻地督导日志由督导组填写。"))
    stationing = Stationing.objects.filter(item=item, pk=stationing_id).first()
    if stationing is None:
        raise ValidationError({"stationing": _("没有这个驻地督导安排，请刷新页面。")})
    errors = {}
    if not (stationing.starts_on <= day <= stationing.ends_on) or day > timezone.localdate():
        errors["day"] = _("日志日期应在驻地期间内，且不晚于今天。")
    if not text.strip():
        errors["text"] = _("请填写督导日志。")
    if errors:
        raise ValidationError(errors)
    try:
        with transaction.atomic():
            log = StationLog.objects.create(stationing=stationing, day=day, text=text, author=actor)
    except IntegrityError:
        raise ValidationError({"day": _("%(day)s 的督导日志已经填写。") % {"day": day.isoformat()}}) from None
    audit_record(
        actor=actor, action="supervision.station_log", obj=item, changes={"day": day.isoformat(), "text": text}
    )
    return log


# --- referral (提请追责) ------------------------------------------------------------------------


def referral_propose(*, item: SupervisionItem, reason: str, actor=None) -> Referral | None:
    """Propose a referral unless one is already proposed (the partial unique index decides)."""
    try:
        with transaction.atomic():
            referral = Referral.objects.create(item=item, reason=reason)
    except IntegrityError:
        return None
    audit_record(actor=actor, action="supervision.referral_propose", obj=item, changes={"reason": reason})
    return referral


@transaction.atomic
def referrals_propose_overdue(*, today: dt.date | None = None) -> int:
    """One statement: every open item whose deadline passed more than M working days ago and
    that has no deadline referral yet gets a proposal (for the beat schedule)."""
    today = _plain(today or timezone.localdate())
    threshold = add_working_days(today, -referral_after_days())
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO supervision_referral (item_id, reason, status, proposed_at, recipient)
            SELECT i.id, 'deadline_passed', 'proposed', now(), ''
              FROM supervision_supervisionitem i
             WHERE i.status IN ('listed', 'rectifying', 'reported') AND i.deadline < %s
               AND NOT EXISTS (SELECT 1 FROM supervision_referral r
                                WHERE r.item_id = i.id AND (r.reason = 'deadline_passed' OR r.status = 'proposed'))
            ON CONFLICT (item_id) WHERE status = 'proposed' DO NOTHING
            RETURNING item_id
            """,
            [threshold],
        )
        ids = [row[0] for row in cursor.fetchall()]
    if ids:
        audit_record_many(
            [
                {
                    "actor": None,
                    "action": "supervision.referral_propose",
                    "object_type": "supervision.supervisionitem",
                    "object_id": str(pk),
                    "changes": {"reason": "deadline_passed", "threshold": threshold.isoformat()},
                }
                for pk in ids
            ]
        )
    return len(ids)


@transaction.atomic
def referral_send(
    *,
    actor,
    item: SupervisionItem,
    referral_id: int,
    recipient: str,
    problem_id: int,
    unit,
    person_name: str,
    post: str,
    measure: str,
    decided_by: str,
    decided_on: dt.date,
) -> Referral:
    """Send a proposed referral to the local party committee and government; records the
    accountability entry (``cases.services.accountability_record``) in the same transaction."""
    item = get_visible_or_404(SupervisionItem, actor, Cap.VIEW_RECORDS, pk=item.pk)
    if not is_listing_staff(actor, item):
        raise PermissionDenied(_("提请追责由挂牌机关办理。"))
    referral = Referral.objects.select_for_update().filter(item=item, pk=referral_id).first()
    if referral is None:
        raise ValidationError({"referral": _("没有这条提请追责建议，请刷新页面。")})
    if referral.status != Referral.Status.PROPOSED:
        raise ConflictError(_("该提请追责已经发出。"))
    if not recipient.strip():
        raise ValidationError({"recipient": _("请填写提请对象（当地党委、政府）。")})
    problem = item.problems.filter(pk=problem_id).first()
    if problem is None:
        raise ValidationError({"problem": _("请选择该督办事项涉及的一个问题，追责记录记在该问题下。")})
    record = accountability_record(
        actor=actor,
        problem=problem,
        unit=unit,
        person_name=person_name,
        post=post,
        measure=measure,
        decided_by=decided_by,
        decided_on=decided_on,
    )
    changed = Referral.objects.filter(pk=referral.pk, status=Referral.Status.PROPOSED).update(
        status=Referral.Status.SENT, sent_at=timezone.now(), sent_by=actor, recipient=recipient, accountability=record
    )
    if not changed:
        raise ConflictError(_("该提请追责已经发出。"))
    audit_record(
        actor=actor,
        action="supervision.referral_send",
        obj=item,
        changes={"recipient": recipient, "problem": problem.code, "accountability": record.pk},
    )
    referral.refresh_from_db()
    return referral


# --- candidates ------------------------------------------------------------------------------


@transaction.atomic
def candidate_dismiss(*, actor, key: str, count: int, reason: str) -> CandidateDismissal:
    """Dismiss a listing candidate with a reason; it stays hidden from the dismissing region
    until its count exceeds ``count`` (dismissing again updates the count and reason)."""
    if listing_level(actor) is None:
        raise PermissionDenied
    if not reason.strip():
        raise ValidationError({"reason": _("请填写不予挂牌的理由。")})
    if not key or len(key) > 120:
        raise ValidationError({"key": _("候选标识无效。")})
    dismissal, _created = CandidateDismissal.objects.update_or_create(
        key=key,
        region_id=actor.region_id,
        defaults={
            "count_at_dismissal": max(0, int(count)),
            "reason": reason.strip(),
            "dismissed_by": actor,
            "dismissed_at": timezone.now(),
        },
    )
    audit_record(
        actor=actor,
        action="supervision.candidate_dismiss",
        object_type="supervision.candidate",
        object_id=key[:64],
        changes={"count": count, "reason": reason},
    )
    return dismissal


# --- documents -------------------------------------------------------------------------------


@transaction.atomic
def document_issue(*, actor, item: SupervisionItem, doc_type: str):
    """Issue one of the item's official documents (numbered, stored, audited with it)."""
    from portal.documents.services import issue
    from supervision.documents import ITEM_DOCUMENTS

    item = get_visible_or_404(
        SupervisionItem.objects.select_related("region", "listed_by_region", "unit"),
        actor,
        Cap.VIEW_RECORDS,
        pk=item.pk,
    )
    if not is_listing_staff(actor, item):
        raise PermissionDenied(_("督办文书由挂牌机关印发。"))
    if doc_type not in ITEM_DOCUMENTS:
        raise ValidationError({"doc_type": _("未知的文书类型。")})
    if doc_type == "supervision.referral" and not item.referrals.exists():
        raise ValidationError({"doc_type": _("该督办事项没有提请追责建议，不能印发提请追责函。")})
    document = issue(doc_type, item, actor=actor)
    audit_record(
        actor=actor, action="supervision.document", obj=item, changes={"doc_type": doc_type, "number": document.number}
    )
    return document
