"""Writes of the problem list. Each runs in one transaction with its audit event; state moves
go through ``problem_transition`` (the table in transitions.py, compare-and-swap on version)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from cases import requirements
from cases.evidence import check_evidence
from cases.models import (
    Accountability,
    Category,
    DeadlineRule,
    Disclosure,
    Evidence,
    ExtensionRequest,
    Milestone,
    Problem,
    ProblemLink,
    ProgressEntry,
    RectificationPlan,
    Verification,
)
from cases.transitions import MOVES, Move
from portal.accounts.capabilities import Cap, has_cap
from portal.accounts.scoping import PROVINCE_CODE, ensure_writable, get_visible_or_404
from portal.audit.services import audit_record, diff
from portal.core.api import ConflictError
from portal.core.text import clean_field
from portal.workdays.calendar import add_working_days

FALLBACK_WORKING_DAYS = 20


# --- deadlines -----------------------------------------------------------------------------


def default_working_days(*, category: Category, severity: str) -> int:
    rules = {
        (rule.category_id, rule.severity): rule.working_days
        for rule in DeadlineRule.objects.filter(severity=severity, category__in=[category.pk, category.parent_id])
        | DeadlineRule.objects.filter(severity=severity, category__isnull=True)
    }
    for key in ((category.pk, severity), (category.parent_id, severity), (None, severity)):
        if key in rules:
            return rules[key]
    return FALLBACK_WORKING_DAYS


def default_deadline(*, category: Category, severity: str, start: dt.date | None = None):
    """The rule's working days after ``start`` (today), on the working-day calendar; the
    result carries ``provisional`` when the calendar for that year is not entered yet."""
    return add_working_days(start or timezone.localdate(), default_working_days(category=category, severity=severity))


# --- codes ---------------------------------------------------------------------------------


def next_problem_codes(count: int, *, year: int | None = None) -> list[str]:
    """Problem numbers WT<year>-<7 digits> from one database sequence (safe under concurrency)."""
    year = year or timezone.localdate().year
    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval('cases_problem_code_seq') FROM generate_series(1, %s)", [count])
        return [f"WT{year}-{value:07d}" for (value,) in cursor.fetchall()]


# --- history written in bulk (seed, ledger import) -------------------------------------------

EVENT_COLUMNS = (
    "seq",
    "prev_hash",
    "hash",
    "occurred_at",
    "actor_id",
    "actor_username",
    "actor_roles",
    "actor_region",
    "action",
    "object_type",
    "object_id",
    "changes",
    "request_id",
    "outcome",
)


def problem_events_copy(events: Iterable[tuple]) -> int:
    """The audit events of problems written in bulk, each at its own time: ``(occurred_at,
    actor or None, action, problem id, changes)``. One COPY; the database's chain trigger
    numbers and hashes every event as it does for ``audit_record``. Call it in the transaction
    that writes the problems (the seed's, the import's)."""
    from portal.audit.models import AuditEvent
    from portal.core.seeding import copy_rows

    actors: dict = {}

    def fields(actor) -> tuple:
        key = getattr(actor, "pk", None)
        if key not in actors:
            if actor is None:
                actors[key] = (None, "system", "", "")
            else:
                actors[key] = (
                    actor.pk,
                    actor.get_username(),
                    ",".join(getattr(actor, "roles", []) or []),
                    actor.region_id or "",
                )
        return actors[key]

    object_type = Problem._meta.label_lower
    return copy_rows(
        AuditEvent,
        EVENT_COLUMNS,
        (
            (0, "", "", at, *fields(actor), action, object_type, str(problem_id), changes, "", "success")
            for at, actor, action, problem_id, changes in events
        ),
    )


# --- registration --------------------------------------------------------------------------


def _snapshot(problem: Problem, fields: Iterable[str]) -> dict:
    return {name: getattr(problem, name if not hasattr(problem, f"{name}_id") else f"{name}_id") for name in fields}


AUDITED_FIELDS = (
    "title",
    "description",
    "category",
    "source",
    "severity",
    "region",
    "unit",
    "domain",
    "is_key",
    "first_responsible",
    "deputy_in_charge",
    "handling_department",
    "status",
    "deadline",
)


@transaction.atomic
def problem_register(
    *,
    actor,
    title: str,
    category: Category,
    source: str,
    region,
    unit,
    domain,
    severity: str = Problem.Severity.GENERAL,
    description: str = "",
    is_key: bool = False,
    first_responsible: str = "",
    deputy_in_charge: str = "",
    handling_department: str = "",
    found_on: dt.date | None = None,
    links: Sequence[tuple[str, str]] = (),
    code: str | None = None,
) -> Problem:
    if not has_cap(actor, Cap.EDIT_RECORDS):
        raise PermissionDenied
    ensure_writable(actor, region=region)
    ensure_writable(actor, unit=unit)
    if code and Problem.objects.filter(code=code).exists():
        raise ValidationError({"code": _("问题编号 %(code)s 已存在。") % {"code": code}})
    now = timezone.now()
    problem = Problem.objects.create(
        code=code or next_problem_codes(1)[0],
        title=title,
        description=description,
        category=category,
        source=source,
        severity=severity,
        region=region,
        unit=unit,
        domain=domain,
        is_key=is_key,
        first_responsible=first_responsible,
        deputy_in_charge=deputy_in_charge,
        handling_department=handling_department,
        found_on=found_on or timezone.localdate(),
        registered_by=actor,
        created_at=now,
        updated_at=now,
    )
    ProblemLink.objects.bulk_create(
        [ProblemLink(problem=problem, object_type=t, object_id=str(i)) for t, i in links], ignore_conflicts=True
    )
    audit_record(
        actor=actor, action="problem.register", obj=problem, changes=diff({}, _snapshot(problem, AUDITED_FIELDS))
    )
    return problem


@transaction.atomic
def problem_update(*, actor, problem: Problem, expected_version: int | None = None, **changes) -> Problem:
    """Edit descriptive fields; the region and unit may only move inside the actor's scope.

    With ``expected_version`` (the version the editor saw) an edit made on a copy someone else
    has changed since is refused with a 409 instead of silently overwriting theirs."""
    editable = set(AUDITED_FIELDS) - {"status", "deadline"}
    unknown = set(changes) - editable
    if unknown:
        raise ValidationError({name: _("该字段不能在此修改。") for name in unknown})
    problem = get_visible_or_404(Problem.objects.select_for_update(), actor, Cap.EDIT_RECORDS, pk=problem.pk)
    if expected_version is not None and expected_version != problem.version:
        raise ConflictError(
            _("该问题已被他人修改（当前版本 %(current)s，您看到的是 %(seen)s），请刷新后再修改。")
            % {"current": problem.version, "seen": expected_version}
        )
    if "region" in changes:
        ensure_writable(actor, region=changes["region"])
    if "unit" in changes:
        ensure_writable(actor, unit=changes["unit"])
    before = _snapshot(problem, changes)
    for name, value in changes.items():
        setattr(problem, name, value)
    problem.updated_at = timezone.now()
    problem.version += 1
    problem.save(update_fields=[*changes, "updated_at", "version"])
    audit_record(actor=actor, action="problem.update", obj=problem, changes=diff(before, _snapshot(problem, changes)))
    return problem


# --- the workflow --------------------------------------------------------------------------


def is_level_above(actor, problem: Problem) -> bool:
    """The verifier's level: the province for key problems; otherwise an ancestor region of the
    problem's (a city for its counties), or the province for province-level problems."""
    if actor.region_id is None:
        return False
    if problem.is_key:
        return actor.region_id == PROVINCE_CODE
    region_path = problem.region.path
    actor_path = actor.region.path
    if problem.region_id == PROVINCE_CODE:
        return actor.region_id == PROVINCE_CODE
    return region_path.startswith(actor_path) and region_path != actor_path


def allowed_moves(actor, problem: Problem) -> list[Move]:
    moves = []
    for move in MOVES.values():
        if problem.status not in move.source or not has_cap(actor, move.cap):
            continue
        if move.who == "above" and not is_level_above(actor, problem):
            continue
        moves.append(move)
    return moves


@transaction.atomic
def problem_transition(
    *,
    actor,
    problem_id: int,
    move: str,
    expected_version: int | None = None,
    reason: str = "",
    new_deadline: dt.date | None = None,
) -> Problem:
    """Make one move of the workflow. Compare-and-swap on (status, version): of two people
    moving the same problem at once exactly one succeeds, the other gets ConflictError (409)."""
    spec = MOVES.get(move)
    if spec is None:
        raise ValidationError({"move": _("未知的操作：%(move)s") % {"move": move}})
    problem = get_visible_or_404(Problem.objects.select_related("region", "category"), actor, None, pk=problem_id)
    if not has_cap(actor, spec.cap) or (spec.who == "above" and not is_level_above(actor, problem)):
        raise PermissionDenied(_("您无权对该问题执行“%(label)s”。") % {"label": spec.label})
    version = expected_version if expected_version is not None else problem.version
    if problem.status not in spec.source or problem.version != version:
        raise ConflictError(
            _("该问题已被他人处理（当前状态：%(status)s），请刷新后重试。") % {"status": problem.get_status_display()}
        )
    errors = {}
    if spec.needs_reason and not reason.strip():
        errors["reason"] = _("请填写理由。")
    today = timezone.localdate()
    if spec.needs_deadline and (new_deadline is None or new_deadline <= today):
        errors["new_deadline"] = _("请填写今天以后的新整改期限。")
    if errors:
        raise ValidationError(errors)
    # What the move needs (plan, evidence, a verification record ...): the rules as data.
    unmet = requirements.unmet(problem, move)
    if unmet:
        raise requirements.RequirementsUnmet(spec.label, unmet)

    updates = {"status": spec.target, "version": F("version") + 1, "updated_at": timezone.now()}
    deadline_changes = {}
    if move == "assign" and problem.deadline is None:
        deadline = default_deadline(category=problem.category, severity=problem.severity)
        updates.update(deadline=deadline, deadline_provisional=deadline.provisional)
        deadline_changes = {"deadline": [None, deadline.isoformat()]}
    if spec.needs_deadline:
        updates.update(deadline=new_deadline, deadline_version=F("deadline_version") + 1, deadline_provisional=False)
        deadline_changes = {"deadline": [problem.deadline and problem.deadline.isoformat(), new_deadline.isoformat()]}
    if spec.target == Problem.Status.CLOSED:
        updates["closed_at"] = timezone.now()
    elif problem.status == Problem.Status.CLOSED:
        updates["closed_at"] = None
    changed = Problem.objects.filter(pk=problem.pk, status=problem.status, version=version).update(**updates)
    if changed == 0:
        raise ConflictError(_("该问题刚刚被他人处理，请刷新后重试。"))
    verification_ids = []
    if move in ("verify_pass", "verify_fail"):
        verification_ids = _conclude_verifications(
            problem=problem, actor=actor, passed=move == "verify_pass", note=reason, new_deadline=new_deadline
        )
    audit_record(
        actor=actor,
        action=f"problem.{move}",
        obj=problem,
        changes={
            "status": [problem.status, spec.target],
            **deadline_changes,
            **({"reason": reason} if reason else {}),
            **({"verifications": verification_ids} if verification_ids else {}),
        },
    )
    problem.refresh_from_db()
    return problem


def _conclude_verifications(*, problem: Problem, actor, passed: bool, note: str, new_deadline) -> list[int]:
    """The round's pending verification records take the conclusion; without any (rules that
    ask for none) the conclusion is written as a record of its own, without a method."""
    result = Verification.Result.PASSED if passed else Verification.Result.FAILED
    now = timezone.now()
    pending = list(
        Verification.objects.select_for_update()
        .filter(problem=problem, result=Verification.Result.PENDING)
        .values_list("pk", flat=True)
    )
    if pending:
        Verification.objects.filter(pk__in=pending).update(
            result=result, note=note or _("核查通过"), new_deadline=new_deadline, concluded_at=now
        )
        return pending
    record = Verification.objects.create(
        problem=problem,
        verifier=actor,
        note=note or _("核查通过"),
        new_deadline=new_deadline,
        result=result,
        concluded_at=now,
    )
    return [record.pk]


@transaction.atomic
def verification_record(
    *,
    actor,
    problem: Problem,
    method: str,
    verified_on: dt.date,
    verifiers: str,
    findings: str,
    files: Sequence = (),
) -> Verification:
    """The level above records how it verified a submitted rectification (method, date, who,
    what was found, evidence). The record waits for the round's conclusion (``verify_pass`` or
    ``verify_fail``); the rules may ask for one, or for an on-site one, before closing."""
    problem = get_visible_or_404(Problem.objects.select_related("region"), actor, Cap.VERIFY, pk=problem.pk)
    if not is_level_above(actor, problem):
        raise PermissionDenied(_("核查由上一级（重点问题由省厅）进行。"))
    if problem.status != Problem.Status.SUBMITTED:
        raise ValidationError({"problem": _("只有待核查的问题可以记录核查。")})
    errors = {}
    if method not in Verification.Method.values:
        errors["method"] = _("请选择核查方式：书面核查、实地核查或暗访复查。")
    if verified_on is None or verified_on > timezone.localdate():
        errors["verified_on"] = _("请填写核查日期（不晚于今天）。")
    if not verifiers.strip():
        errors["verifiers"] = _("请填写核查人员。")
    if not findings.strip():
        errors["findings"] = _("请填写核查发现。")
    if errors:
        raise ValidationError(errors)
    checked = [(upload, *check_evidence(upload)) for upload in files]
    record = Verification.objects.create(
        problem=problem,
        verifier=actor,
        result=Verification.Result.PENDING,
        method=method,
        verified_on=verified_on,
        verifiers=verifiers.strip()[:200],
        findings=findings,
    )
    for upload, content_type, digest in checked:
        Evidence.objects.create(
            problem=problem,
            verification=record,
            file=upload,
            original_name=upload.name[:200],
            content_type=content_type,
            size=upload.size,
            sha256=digest,
            uploaded_by=actor,
        )
    audit_record(
        actor=actor,
        action="problem.verification_record",
        obj=problem,
        changes={
            "method": method,
            "verified_on": verified_on.isoformat(),
            "verifiers": record.verifiers,
            "findings": findings,
            "files": [u.name for u in files],
        },
    )
    return record


# --- plan, progress and evidence -------------------------------------------------------------


@transaction.atomic
def plan_set(
    *, actor, problem: Problem, measures: str, route_map: str = "", milestones: Sequence[tuple[str, dt.date]] = ()
) -> RectificationPlan:
    problem = get_visible_or_404(Problem, actor, Cap.EDIT_RECORDS, pk=problem.pk)
    if not measures.strip():
        raise ValidationError({"measures": _("请填写整改措施。")})
    plan, _created = RectificationPlan.objects.update_or_create(
        problem=problem,
        defaults={"measures": measures, "route_map": route_map, "updated_by": actor, "updated_at": timezone.now()},
    )
    # A milestone kept with the same title keeps its completion date: revising the plan does not
    # undo work already reported as done.
    kept = {
        title: (done_on, explanation)
        for title, done_on, explanation in plan.milestones.values_list("title", "done_on", "explanation")
    }
    plan.milestones.all().delete()
    Milestone.objects.bulk_create(
        [
            Milestone(
                plan=plan, title=t, due_on=d, done_on=kept.get(t, (None, ""))[0], explanation=kept.get(t, (None, ""))[1]
            )
            for t, d in milestones
        ]
    )
    audit_record(
        actor=actor,
        action="problem.plan_set",
        obj=problem,
        changes={"measures": measures, "milestones": [[t, d.isoformat()] for t, d in milestones]},
    )
    return plan


@transaction.atomic
def milestone_done(*, actor, problem: Problem, milestone_id: int, done_on: dt.date | None = None) -> Milestone:
    """Report one milestone of the plan as done (today unless a date is given)."""
    problem = get_visible_or_404(Problem, actor, Cap.EDIT_RECORDS, pk=problem.pk)
    if not problem.is_open:
        raise ValidationError({"milestone": _("该问题已销号，整改方案不再变更；如需继续整改请先重新打开。")})
    milestone = Milestone.objects.select_for_update().filter(plan__problem=problem, pk=milestone_id).first()
    if milestone is None:
        raise ValidationError({"milestone": _("该整改方案中没有这个时间节点，请刷新页面后重试。")})
    done_on = done_on or timezone.localdate()
    if done_on > timezone.localdate():
        raise ValidationError({"done_on": _("完成日期不能晚于今天。")})
    if milestone.done_on is not None:
        raise ConflictError(_("该节点已于 %(date)s 标记完成。") % {"date": milestone.done_on.isoformat()})
    milestone.done_on = done_on
    milestone.save(update_fields=["done_on"])
    audit_record(
        actor=actor,
        action="problem.milestone_done",
        obj=problem,
        changes={"milestone": milestone.title, "due_on": milestone.due_on.isoformat(), "done_on": done_on.isoformat()},
    )
    return milestone


@transaction.atomic
def milestone_explain(*, actor, problem: Problem, milestone_id: int, explanation: str) -> Milestone:
    """Explain why a milestone is not done (a milestone done or explained no longer holds up
    the submission for verification)."""
    problem = get_visible_or_404(Problem, actor, Cap.EDIT_RECORDS, pk=problem.pk)
    if not problem.is_open:
        raise ValidationError({"milestone": _("该问题已销号，整改方案不再变更；如需继续整改请先重新打开。")})
    milestone = Milestone.objects.select_for_update().filter(plan__problem=problem, pk=milestone_id).first()
    if milestone is None:
        raise ValidationError({"milestone": _("该整改方案中没有这个时间节点，请刷新页面后重试。")})
    explanation = clean_field("explanation", explanation)
    if not explanation.strip():
        raise ValidationError({"explanation": _("请填写未完成的原因。")})
    milestone.explanation = explanation.strip()
    milestone.save(update_fields=["explanation"])
    audit_record(
        actor=actor,
        action="problem.milestone_explain",
        obj=problem,
        changes={"milestone": milestone.title, "explanation": milestone.explanation},
    )
    return milestone


@transaction.atomic
def progress_log(*, actor, problem: Problem, note: str, files: Sequence = ()) -> ProgressEntry:
    """A progress note with evidence files; every file is checked before anything is written."""
    problem = get_visible_or_404(Problem, actor, Cap.EDIT_RECORDS, pk=problem.pk)
    if not note.strip():
        raise ValidationError({"note": _("请填写整改进展。")})
    checked = [(upload, *check_evidence(upload)) for upload in files]
    entry = ProgressEntry.objects.create(problem=problem, author=actor, note=note)
    for upload, content_type, digest in checked:
        Evidence.objects.create(
            problem=problem,
            progress=entry,
            file=upload,
            original_name=upload.name[:200],
            content_type=content_type,
            size=upload.size,
            sha256=digest,
            uploaded_by=actor,
        )
    audit_record(
        actor=actor, action="problem.progress", obj=problem, changes={"note": note, "files": [u.name for u in files]}
    )
    return entry


# --- extensions ----------------------------------------------------------------------------


@transaction.atomic
def extension_request(*, actor, problem: Problem, requested_deadline: dt.date, reason: str) -> ExtensionRequest:
    problem = get_visible_or_404(Problem, actor, Cap.EDIT_RECORDS, pk=problem.pk)
    if problem.status not in (Problem.Status.ASSIGNED, Problem.Status.RECTIFYING) or problem.deadline is None:
        raise ValidationError({"problem": _("只有交办或整改中的问题可以申请延期。")})
    if not reason.strip():
        raise ValidationError({"reason": _("请填写延期理由。")})
    if requested_deadline <= problem.deadline:
        raise ValidationError({"requested_deadline": _("申请的期限必须晚于原期限 %(d)s。") % {"d": problem.deadline}})
    if problem.extensions.filter(decision=ExtensionRequest.Decision.PENDING).exists():
        raise ConflictError(_("该问题已有待审批的延期申请。"))
    extension = ExtensionRequest.objects.create(
        problem=problem,
        requested_by=actor,
        current_deadline=problem.deadline,
        requested_deadline=requested_deadline,
        reason=reason,
    )
    audit_record(
        actor=actor,
        action="problem.extension_request",
        obj=problem,
        changes={"requested_deadline": [problem.deadline, requested_deadline], "reason": reason},
    )
    return extension


@transaction.atomic
def extension_decide(*, actor, extension_id: int, approve: bool, note: str = "") -> ExtensionRequest:
    """The level above approves (moving the deadline, a new deadline version) or refuses."""
    extension = get_visible_or_404(
        ExtensionRequest.objects.select_related("problem__region").select_for_update(of=("self",)),
        actor,
        None,
        pk=extension_id,
    )
    problem = extension.problem
    if not has_cap(actor, Cap.VERIFY) or not is_level_above(actor, problem):
        raise PermissionDenied(_("延期申请由上一级审批。"))
    if extension.decision != ExtensionRequest.Decision.PENDING:
        raise ConflictError(_("该延期申请已经审批。"))
    if not approve and not note.strip():
        raise ValidationError({"note": _("不予批准时请填写理由。")})
    extension.decision = ExtensionRequest.Decision.APPROVED if approve else ExtensionRequest.Decision.REFUSED
    extension.decided_by, extension.decided_at, extension.decision_note = actor, timezone.now(), note
    extension.save(update_fields=["decision", "decided_by", "decided_at", "decision_note"])
    changes = {"decision": extension.decision, "note": note}
    if approve:
        moved = Problem.objects.filter(pk=problem.pk, deadline=extension.current_deadline).update(
            deadline=extension.requested_deadline,
            deadline_version=F("deadline_version") + 1,
            deadline_provisional=False,
            version=F("version") + 1,
            updated_at=timezone.now(),
        )
        if not moved:
            raise ConflictError(_("问题的期限已经变化，请刷新后重新审批。"))
        changes["deadline"] = [extension.current_deadline, extension.requested_deadline]
    audit_record(actor=actor, action="problem.extension_decide", obj=problem, changes=changes)
    return extension


# --- accountability and disclosure ------------------------------------------------------------


@transaction.atomic
def accountability_record(
    *,
    actor,
    problem: Problem,
    unit,
    person_name: str,
    post: str,
    measure: str,
    decided_by: str,
    decided_on: dt.date,
    discipline_breach: bool = False,
    serious: bool = False,
) -> Accountability:
    problem = get_visible_or_404(Problem, actor, Cap.VERIFY, pk=problem.pk)
    ensure_writable(actor, unit=unit)
    record = Accountability.objects.create(
        problem=problem,
        unit=unit,
        person_name=person_name,
        post=post,
        measure=measure,
        decided_by=decided_by,
        decided_on=decided_on,
        discipline_breach=discipline_breach,
        serious=serious,
    )
    audit_record(
        actor=actor,
        action="problem.accountability",
        obj=problem,
        changes={
            "unit": unit.pk,
            "post": post,
            "measure": measure,
            "discipline_breach": discipline_breach,
            "serious": serious,
        },
    )
    return record


PERSONAL_DATA_PATTERNS = [
    (re.compile(r"1[3-9]\d{9}"), _("手机号")),
    (re.compile(r"\d{17}[\dXx]"), _("身份证号")),
    (re.compile(r"[\u4e00-\u9fa5][A-Z][·•]?[A-Z0-9]{5,6}"), _("车牌号")),
]


@transaction.atomic
def disclosure_publish(*, actor, problem: Problem, title: str, summary: str) -> Disclosure:
    """Publish a closed problem's handling result; refused while it contains personal data."""
    problem = get_visible_or_404(Problem, actor, Cap.VERIFY, pk=problem.pk)
    if problem.status != Problem.Status.CLOSED:
        raise ValidationError({"problem": _("只有已销号的问题可以公开处理结果。")})
    found = [label for pattern, label in PERSONAL_DATA_PATTERNS if pattern.search(title + summary)]
    if found:
        raise ValidationError(
            {
                "summary": _("公开内容含有个人信息（%(kinds)s），请删除后再发布。")
                % {"kinds": "、".join(str(k) for k in found)}
            }
        )
    disclosure, _created = Disclosure.objects.update_or_create(
        problem=problem,
        defaults={"title": title, "summary": summary, "approved_by": actor, "published_at": timezone.now()},
    )
    audit_record(actor=actor, action="problem.disclose", obj=problem, changes={"title": title})
    return disclosure
