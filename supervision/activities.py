"""Writes and reads of enforcement supervision (执法监督, §7): the pool, activities, targets,
draws, on-site records and findings. Every write is one transaction with its audit event; every
read goes through ``visible_to`` (the activity's ``scope_rule`` keeps unannounced visits from
their targets until they start)."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cases.evidence import check_evidence
from cases.models import Problem
from portal.accounts.capabilities import Cap, has_cap
from portal.accounts.scoping import PROVINCE_CODE, get_visible_or_404, region_in_scope
from portal.audit.services import audit_record
from portal.regions.models import Region, Unit
from supervision import draws
from supervision.models import (
    Activity,
    ActivityTarget,
    Avoidance,
    ChecklistVersion,
    Draw,
    Finding,
    FindingPhoto,
    InspectionRecord,
    Inspector,
    InspectorStatus,
    TeamMember,
)

EXCLUSIONS = {
    "status": gettext_lazy("检查期间不在岗（休假、借调或已调离）"),
    "domain": gettext_lazy("不具备本次检查的执法领域"),
    "home": gettext_lazy("来自被检查对象所在地（本地回避）"),
    "declared": gettext_lazy("申报了与被检查对象的回避关系"),
    "repeat": gettext_lazy("上一次检查同一对象时已在检查组"),
}


def _organiser_region(actor) -> Region:
    region = actor.region
    if region is None or region.level not in (Region.Level.PROVINCE, Region.Level.CITY):
        raise PermissionDenied
    return region


def can_organise(user) -> bool:
    return (
        has_cap(user, Cap.EDIT_RECORDS)
        and user.region_id is not None
        and user.region.level in (Region.Level.PROVINCE, Region.Level.CITY)
    )


# --- the pool -------------------------------------------------------------------------------------


@transaction.atomic
def inspector_add(
    *,
    actor,
    name: str,
    home_region: Region,
    home_unit: Unit | None = None,
    domains=(),
    user=None,
    pool_region: Region | None = None,
    available_from: dt.date | None = None,
) -> Inspector:
    """A member of the actor's pool (the province's or the city's)."""
    if not can_organise(actor):
        raise PermissionDenied
    pool_region = pool_region or _organiser_region(actor)
    if not region_in_scope(actor, pool_region) or pool_region.level not in (Region.Level.PROVINCE, Region.Level.CITY):
        raise ValidationError({"pool_region": _("人员库只能是省级或市级，且须在您的管辖范围内。")})
    if not home_region.path.startswith(pool_region.path):
        raise ValidationError({"home_region": _("人员的工作单位须在该人员库的区划内。")})
    next_no = (Inspector.objects.aggregate(n=Max("id"))["n"] or 0) + 1
    inspector = Inspector.objects.create(
        code=f"JD{next_no:05d}",
        name=name,
        user=user,
        pool_region=pool_region,
        home_region=home_region,
        home_unit=home_unit,
    )
    inspector.domains.set(domains)
    InspectorStatus.objects.create(
        inspector=inspector, status=InspectorStatus.Status.AVAILABLE, starts_on=available_from or timezone.localdate()
    )
    audit_record(
        actor=actor,
        action="inspector.add",
        obj=inspector,
        changes={"pool_region": pool_region.code, "home_region": home_region.code},
    )
    return inspector


@transaction.atomic
def inspector_status_set(
    *, actor, inspector: Inspector, status: str, starts_on: dt.date, ends_on: dt.date | None = None, note: str = ""
) -> InspectorStatus:
    inspector = get_visible_or_404(Inspector.objects.all(), actor, Cap.EDIT_RECORDS, pk=inspector.pk)
    if ends_on is not None and ends_on < starts_on:
        raise ValidationError({"ends_on": _("截止日期不能早于起始日期。")})
    entry = InspectorStatus.objects.create(
        inspector=inspector, status=status, starts_on=starts_on, ends_on=ends_on, note=note
    )
    audit_record(
        actor=actor,
        action="inspector.status",
        obj=inspector,
        changes={"status": status, "starts_on": str(starts_on), "ends_on": str(ends_on or "")},
    )
    return entry


@transaction.atomic
def avoidance_add(
    *, actor, inspector: Inspector, reason: str, unit: Unit | None = None, region: Region | None = None
) -> Avoidance:
    inspector = get_visible_or_404(Inspector.objects.all(), actor, Cap.EDIT_RECORDS, pk=inspector.pk)
    if unit is None and region is None:
        raise ValidationError({"unit": _("回避事项须指明单位或区划。")})
    if not reason.strip():
        raise ValidationError({"reason": _("请填写回避事由。")})
    entry = Avoidance.objects.create(inspector=inspector, unit=unit, region=region, reason=reason)
    audit_record(
        actor=actor,
        action="inspector.avoidance",
        obj=inspector,
        changes={"unit": unit.pk if unit else None, "region": region.code if region else None},
    )
    return entry


# --- activities and targets -----------------------------------------------------------------------


def quarter_of(day: dt.date) -> tuple[int, int]:
    return day.year, (day.month - 1) // 3 + 1


def held_q(year: int, quarter: int, today: dt.date) -> Q:
    """The one reading of "held" (开展) for the quarter rule and its figures: an activity of
    the quarter whose visit has started (``starts_on`` on or before ``today``)."""
    return Q(year=year, quarter=quarter, starts_on__lte=today)


# The activity list's filters (the dashboards' drill-down list of activities held).
ACTIVITY_FILTERS = frozenset({"region", "year", "quarter", "held"})


def activities_filtered(user, params, *, today: dt.date | None = None):
    """The activities ``user`` may see, filtered as the list's query string says: ``region``
    (the organiser's region or one under it), ``year``, ``quarter``, ``held=yes`` (started on or
    before today, as ``held_q``). A value that is not one of these reads as no match."""
    today = today or timezone.localdate()
    qs = Activity.objects.visible_to(user)
    code = (params.get("region") or "").strip()
    if code:
        region = Region.objects.filter(code=code).only("path").first() if code.isdigit() else None
        qs = qs.filter(region__path__startswith=region.path) if region else qs.none()
    for key in ("year", "quarter"):
        value = (params.get(key) or "").strip()
        if value:
            qs = qs.filter(**{key: int(value)}) if value.isdigit() and len(value) <= 4 else qs.none()
    held = (params.get("held") or "").strip()
    if held:
        qs = qs.filter(starts_on__lte=today) if held == "yes" else qs.none()
    return qs


@transaction.atomic
def activity_create(
    *,
    actor,
    title: str,
    method: str,
    starts_on: dt.date,
    ends_on: dt.date,
    team_size: int = 3,
    domain=None,
    joint_participants: str = "",
) -> Activity:
    if not can_organise(actor):
        raise PermissionDenied
    if ends_on < starts_on:
        raise ValidationError({"ends_on": _("结束日期不能早于开始日期。")})
    if method == Activity.Method.JOINT and not joint_participants.strip():
        raise ValidationError({"joint_participants": _("联合检查须登记参加的部门及人员。")})
    if not 1 <= team_size <= 30:
        raise ValidationError({"team_size": _("抽取人数须在 1 到 30 之间。")})
    year, quarter = quarter_of(starts_on)
    next_no = (Activity.objects.aggregate(n=Max("id"))["n"] or 0) + 1
    activity = Activity.objects.create(
        code=f"YD{year}-{next_no:04d}",
        title=title,
        year=year,
        quarter=quarter,
        region=_organiser_region(actor),
        method=method,
        domain=domain,
        starts_on=starts_on,
        ends_on=ends_on,
        team_size=team_size,
        joint_participants=joint_participants,
        created_by=actor,
    )
    audit_record(
        actor=actor,
        action="activity.create",
        obj=activity,
        changes={"method": method, "starts_on": str(starts_on), "ends_on": str(ends_on)},
    )
    return activity


def activity_for(user, pk, cap=Cap.VIEW_RECORDS) -> Activity:
    return get_visible_or_404(Activity.objects.select_related("region", "domain"), user, cap, pk=pk)


def _organiser_check(actor, activity: Activity) -> Activity:
    activity = activity_for(actor, activity.pk, Cap.EDIT_RECORDS)
    if actor.region_id != activity.region_id:
        raise PermissionDenied
    return activity


def eligible_units(activity: Activity):
    """Units the activity may visit: active, strictly below the organiser's region."""
    qs = Unit.objects.filter(active=True, region__path__startswith=activity.region.path).exclude(
        region_id=activity.region_id
    )
    if activity.domain_id:
        qs = qs.filter(domains=activity.domain_id)
    return qs


@transaction.atomic
def target_add(
    *, actor, activity: Activity, unit: Unit, source: str = ActivityTarget.Source.MANUAL, figures: dict | None = None
) -> ActivityTarget:
    activity = _organiser_check(actor, activity)
    if activity.draws.filter(kind=Draw.Kind.TEAM).exists():
        raise ValidationError({"unit": _("已开始抽取检查人员，不能再增加检查对象。")})
    if not eligible_units(activity).filter(pk=unit.pk).exists():
        raise ValidationError({"unit": _("检查对象须是组织机关辖区内下级的在用单位（且具备本次执法领域）。")})
    if activity.targets.filter(unit=unit).exists():
        raise ValidationError({"unit": _("该单位已是本活动的检查对象。")})
    target = ActivityTarget.objects.create(
        activity=activity, unit=unit, region_id=unit.region_id, source=source, figures=figures or {}
    )
    audit_record(actor=actor, action="activity.target", obj=activity, changes={"unit": unit.pk, "source": source})
    return target


def ranked_targets(user, activity: Activity, limit: int = 10) -> list[dict]:
    """The proposals: ``units_with_most_problems`` (the one figure) within the activity's reach,
    units already targeted left out."""
    from supervision.figures import units_with_most_problems

    taken = set(activity.targets.values_list("unit_id", flat=True))
    reach = eligible_units(activity).values("pk")
    rows = units_with_most_problems(user, limit=None, units=reach)
    return [r for r in rows if r["unit_id"] not in taken][:limit]


# --- eligibility and draws ------------------------------------------------------------------------


@dataclass
class Eligibility:
    eligible: list[Inspector]
    excluded: dict[str, int] = field(default_factory=dict)  # reason -> count
    pool_size: int = 0

    def message(self, wanted: int) -> str:
        reasons = "；".join(f"{EXCLUSIONS[k]} {n} 人" for k, n in self.excluded.items() if n)
        return _("要抽取 %(wanted)s 人，但符合条件的只有 %(n)s 人（人员库共 %(pool)s 人；排除：%(reasons)s）。") % {
            "wanted": wanted,
            "n": len(self.eligible),
            "pool": self.pool_size,
            "reasons": reasons or _("无"),
        }


def _city_of(region_codes: list[str]) -> str | None:
    return region_codes[1] if len(region_codes) > 1 else None


def eligibility(activity: Activity) -> Eligibility:
    """Who may be drawn for ``activity`` (§7): available over the dates, domains covered, not
    avoided for any target (home region always; a province activity never from a target's
    city; a city's own activity never from the target county or unit; declared conflicts), and
    not on the team of the last activity that visited the same target."""
    pool = (
        Inspector.objects.all()
        if activity.region_id == PROVINCE_CODE
        else Inspector.objects.filter(pool_region_id=activity.region_id)
    )
    pool = list(pool.select_related("home_region").prefetch_related("domains", "statuses", "avoidances__region"))
    targets = list(activity.targets.select_related("region"))
    repeat: set[int] = set()
    for target in targets:
        previous = (
            Activity.objects.filter(
                targets__unit_id=target.unit_id, starts_on__lt=activity.starts_on, team__isnull=False
            )
            .exclude(pk=activity.pk)
            .order_by("-starts_on", "-id")
            .first()
        )
        if previous is not None:
            repeat |= set(previous.team.values_list("inspector_id", flat=True))
    excluded: Counter = Counter()
    eligible = []
    for inspector in pool:
        reason = _exclusion(inspector, activity, targets, repeat)
        if reason:
            excluded[reason] += 1
        else:
            eligible.append(inspector)
    return Eligibility(eligible, {k: excluded[k] for k in EXCLUSIONS}, len(pool))


def _exclusion(inspector: Inspector, activity: Activity, targets, repeat: set[int]) -> str | None:
    for entry in inspector.statuses.all():
        if entry.status == InspectorStatus.Status.AVAILABLE:
            continue
        if entry.starts_on <= activity.ends_on and (entry.ends_on is None or entry.ends_on >= activity.starts_on):
            return "status"
    if activity.domain_id and activity.domain_id not in {d.pk for d in inspector.domains.all()}:
        return "domain"
    home = inspector.home_region.ancestor_codes
    for target in targets:
        codes = target.region.ancestor_codes
        # the home region, unless it is the organiser's own (the province's or the city's staff)
        local = inspector.home_region_id != activity.region_id and inspector.home_region_id in codes
        if local or inspector.home_unit_id == target.unit_id:
            return "home"
        if activity.region_id == PROVINCE_CODE and _city_of(home) and _city_of(home) == _city_of(codes):
            return "home"
        for avoid in inspector.avoidances.all():
            if avoid.unit_id == target.unit_id or (avoid.region_id and avoid.region_id in codes):
                return "declared"
    if inspector.pk in repeat:
        return "repeat"
    return None


def _candidates(activity: Activity, kind: str) -> list[str]:
    if kind == Draw.Kind.TEAM:
        return draws.normalise_candidates(i.code for i in eligibility(activity).eligible)
    taken = activity.targets.values("unit_id")
    return draws.normalise_candidates(eligible_units(activity).exclude(pk__in=taken).values_list("pk", flat=True))


@transaction.atomic
def draw_commit(
    *, actor, activity: Activity, kind: str, size: int, value_source: str, value_date: dt.date, reason: str = ""
) -> Draw:
    """Fix the candidate list and its hash before the named public value exists (step 1)."""
    activity = _organiser_check(actor, Activity(pk=activity.pk))
    activity = Activity.objects.select_for_update().get(pk=activity.pk)
    today = timezone.localdate()
    if value_date <= today:
        raise ValidationError({"value_date": _("开奖日期须晚于今天：候选名单必须在随机数产生之前固定。")})
    if not value_source.strip():
        raise ValidationError({"value_source": _("请写明公开随机数的来源（如某彩票某期开奖号码）。")})
    if activity.started:
        raise ValidationError({"value_date": _("检查已经开始，不能再抽取。")})
    previous = activity.draws.filter(kind=kind).order_by("-seq").first()
    if previous is not None and previous.revealed_at is None:
        raise ValidationError({"value_date": _("上一次抽取尚未揭晓，揭晓后才能重抽。")})
    if previous is not None and not reason.strip():
        raise ValidationError({"reason": _("重抽须说明理由（第一次抽取的结果会保留并公开重抽次数）。")})
    if kind == Draw.Kind.TEAM and not activity.targets.exists():
        raise ValidationError({"size": _("请先确定检查对象，再抽取检查人员（回避规则取决于检查对象）。")})
    if kind == Draw.Kind.TEAM and activity.draws.filter(kind=Draw.Kind.TARGETS, revealed_at__isnull=True).exists():
        raise ValidationError({"size": _("随机抽取检查对象尚未揭晓。")})
    candidates = _candidates(activity, kind)
    if size < 1:
        raise ValidationError({"size": _("抽取数量至少为 1。")})
    if size > len(candidates):
        if kind == Draw.Kind.TEAM:
            raise ValidationError({"size": eligibility(activity).message(size)})
        raise ValidationError(
            {"size": _("要抽取 %(wanted)s 个单位，但可抽取的只有 %(n)s 个。") % {"wanted": size, "n": len(candidates)}}
        )
    draw = Draw.objects.create(
        activity=activity,
        kind=kind,
        seq=(previous.seq + 1) if previous else 1,
        size=size,
        candidates=candidates,
        candidates_hash=draws.candidate_hash(activity.pk, kind, size, candidates),
        committed_at=timezone.now(),
        value_source=value_source.strip(),
        value_date=value_date,
        reason=reason.strip(),
        created_by=actor,
    )
    audit_record(
        actor=actor,
        action="draw.commit",
        obj=activity,
        changes={
            "draw": draw.pk,
            "kind": kind,
            "seq": draw.seq,
            "hash": draw.candidates_hash,
            "value_date": str(value_date),
            "candidates": len(candidates),
            "reason": draw.reason,
        },
    )
    return draw


@transaction.atomic
def draw_reveal(*, actor, draw: Draw, value_raw: str) -> Draw:
    """Enter the public value, derive the seed and the result (steps 2–5)."""
    draw = get_visible_or_404(Draw.objects.select_for_update(), actor, Cap.EDIT_RECORDS, pk=draw.pk)
    activity = _organiser_check(actor, draw.activity)
    if draw.revealed_at is not None:
        raise ValidationError({"value": _("本次抽取已经揭晓。")})
    if timezone.localdate() < draw.value_date:
        raise ValidationError({"value": _("开奖日 %(day)s 尚未到来，不能录入开奖号码。") % {"day": draw.value_date}})
    try:
        value = draws.normalise_value(value_raw)
    except ValueError as exc:
        raise ValidationError({"value": str(exc)}) from None
    seed = draws.seed_of(activity.pk, draw.candidates_hash, value)
    result = draws.pick(seed, draw.candidates, draw.size)
    draw.value_raw, draw.value, draw.seed, draw.result, draw.revealed_at = (
        value_raw,
        value,
        seed,
        result,
        timezone.now(),
    )
    draw.save(update_fields=["value_raw", "value", "seed", "result", "revealed_at"])
    if draw.kind == Draw.Kind.TEAM:
        activity.team.all().delete()
        by_code = {i.code: i for i in Inspector.objects.filter(code__in=result)}
        TeamMember.objects.bulk_create([TeamMember(activity=activity, inspector=by_code[c], draw=draw) for c in result])
        Activity.objects.filter(pk=activity.pk).update(status=Activity.Status.DRAWN)
    else:
        for unit in Unit.objects.filter(pk__in=[int(x) for x in result]):
            ActivityTarget.objects.create(
                activity=activity, unit=unit, region_id=unit.region_id, source=ActivityTarget.Source.RANDOM
            )
    audit_record(
        actor=actor,
        action="draw.reveal",
        obj=activity,
        changes={"draw": draw.pk, "kind": draw.kind, "seq": draw.seq, "value": value, "seed": seed, "result": result},
    )
    return draw


def redraw_count(activity: Activity, kind: str = Draw.Kind.TEAM) -> int:
    return max(0, activity.draws.filter(kind=kind).count() - 1)


# --- on site --------------------------------------------------------------------------------------


def checklist_for(method: str) -> ChecklistVersion:
    version = ChecklistVersion.objects.filter(method=method, active=True).order_by("-version").first()
    if version is None:
        version = (
            ChecklistVersion.objects.filter(method=Activity.Method.INSPECTION, active=True).order_by("-version").first()
        )
    if version is None:
        raise ValidationError(_("管理员尚未维护检查清单，请先在系统管理中添加。"))
    return version


def _may_record(actor, activity: Activity) -> bool:
    if has_cap(actor, Cap.EDIT_RECORDS) and actor.region_id == activity.region_id:
        return True
    return has_cap(actor, Cap.INSPECT) and activity.team.filter(inspector__user=actor).exists()


@transaction.atomic
def record_visit(
    *, actor, target_id: int, answers: dict, member_ids=(), notes: str = "", visited_on: dt.date | None = None
) -> InspectionRecord:
    target = get_visible_or_404(ActivityTarget.objects.select_related("activity"), actor, None, pk=target_id)
    activity = target.activity
    if not _may_record(actor, activity):
        raise PermissionDenied
    if not activity.draws.filter(kind=Draw.Kind.TEAM, revealed_at__isnull=False).exists():
        raise ValidationError(_("检查人员尚未抽取揭晓，不能登记现场检查（先抽取，后检查）。"))
    visited_on = visited_on or timezone.localdate()
    if not activity.starts_on <= visited_on <= activity.ends_on:
        raise ValidationError(
            {
                "visited_on": _("检查日期须在活动的检查期间 %(a)s 至 %(b)s 内。")
                % {"a": activity.starts_on, "b": activity.ends_on}
            }
        )
    team = set(activity.team.values_list("inspector_id", flat=True))
    members = [int(m) for m in member_ids]
    if not members or not set(members) <= team:
        raise ValidationError({"members": _("到场人员须从本活动抽取的检查组成员中选择（至少一人）。")})
    checklist = checklist_for(activity.method)
    valid = {"ok", "problem", "na"}
    clean = {str(k): v for k, v in answers.items() if v in valid and str(k).isdigit() and int(k) < len(checklist.items)}
    record, created = InspectionRecord.objects.get_or_create(
        target=target,
        defaults={
            "activity": activity,
            "checklist": checklist,
            "answers": clean,
            "visited_on": visited_on,
            "notes": notes,
            "recorded_by": actor,
        },
    )
    if not created:
        record.answers, record.notes, record.visited_on = clean, notes, visited_on
        record.save(update_fields=["answers", "notes", "visited_on"])
    record.members.set(members)
    ActivityTarget.objects.filter(pk=target.pk).update(visited=True)
    audit_record(
        actor=actor,
        action="inspection.record",
        obj=activity,
        changes={"target": target.pk, "checklist": f"{checklist.method} v{checklist.version}", "members": members},
    )
    return record


@transaction.atomic
def finding_add(*, actor, activity_id: int, target_id: int, text: str, item: int | None = None, photos=()) -> Finding:
    activity = activity_for(actor, activity_id, None)
    if not _may_record(actor, activity):
        raise PermissionDenied
    target = ActivityTarget.objects.filter(pk=target_id, activity=activity).first()
    if target is None:
        raise ValidationError({"target": _("该检查对象不属于本活动，不能登记检查发现。")})
    record = InspectionRecord.objects.filter(target=target).first()
    if record is None:
        raise ValidationError({"target": _("请先登记该对象的现场检查记录，再登记检查发现。")})
    if not text.strip():
        raise ValidationError({"text": _("请描述发现的问题。")})
    checked = []
    for upload in photos:
        checked.append((upload, *check_evidence(upload)))
    finding = Finding.objects.create(record=record, activity=activity, item=item, text=text.strip(), created_by=actor)
    for upload, content_type, sha in checked:
        photo = FindingPhoto(
            finding=finding,
            activity=activity,
            original_name=upload.name[:200],
            content_type=content_type,
            size=upload.size,
            sha256=sha,
            uploaded_by=actor,
        )
        photo.file.save(upload.name, upload, save=False)
        photo.save()
    audit_record(
        actor=actor,
        action="inspection.finding",
        obj=activity,
        changes={"finding": finding.pk, "target": target.pk, "photos": len(checked)},
    )
    return finding


@transaction.atomic
def finding_raise_problem(
    *, actor, finding_id: int, category, severity: str = Problem.Severity.GENERAL, domain=None
) -> Problem:
    """The finding as a problem on the list (source 异地执法监督), linked both ways."""
    from cases.services import problem_register

    finding = get_visible_or_404(
        Finding.objects.select_for_update().select_related("record__target__unit", "activity"),
        actor,
        Cap.EDIT_RECORDS,
        pk=finding_id,
    )
    if finding.problem_id:
        raise ValidationError(_("该发现已立为问题 %(code)s。") % {"code": finding.problem.code})
    target = finding.record.target
    domain = domain or finding.activity.domain
    if domain is None:
        raise ValidationError({"domain": _("请选择该问题所属的执法领域。")})
    problem = problem_register(
        actor=actor,
        title=f"{finding.activity.title}：{finding.text}"[:200],
        category=category,
        source=Problem.Source.CROSS_REGION,
        region=target.region,
        unit=target.unit,
        domain=domain,
        severity=severity,
        description=finding.text,
        found_on=finding.record.visited_on,
        links=[("supervision.finding", str(finding.pk))],
    )
    Finding.objects.filter(pk=finding.pk).update(problem=problem)
    audit_record(
        actor=actor,
        action="inspection.finding_problem",
        obj=finding.activity,
        changes={"finding": finding.pk, "problem": problem.code},
    )
    return problem


@transaction.atomic
def activity_publish(*, actor, activity: Activity, result: str) -> Activity:
    """一公开: the results, after the visit, without personal data."""
    from cases.services import PERSONAL_DATA_PATTERNS

    activity = _organiser_check(actor, activity)
    if timezone.localdate() <= activity.ends_on and activity.targets.filter(visited=False).exists():
        raise ValidationError({"result": _("检查结束后（或全部对象检查完毕后）才能公开结果。")})
    if not result.strip():
        raise ValidationError({"result": _("请填写要公开的检查结果。")})
    found = [str(label) for pattern, label in PERSONAL_DATA_PATTERNS if pattern.search(result)]
    names = [m.inspector.name for m in activity.team.select_related("inspector") if m.inspector.name in result]
    if found or names:
        raise ValidationError(
            {
                "result": _("公开内容不能含有个人信息（%(what)s），请删去后再公开。")
                % {"what": "、".join(found + [_("检查人员姓名")] * bool(names))}
            }
        )
    now = timezone.now()
    Activity.objects.filter(pk=activity.pk).update(
        published_result=result.strip(), published_at=now, status=Activity.Status.PUBLISHED
    )
    audit_record(actor=actor, action="activity.publish", obj=activity, changes={"chars": len(result)})
    activity.refresh_from_db()
    return activity


# --- the public page (一公开) ----------------------------------------------------------------------


def public_activities():
    """Published activities whose visit has started (never an embargoed one), for the public
    page: only the fields shown there, the target units' names and the team's redraw count; no
    person (neither the team nor whoever organised or recorded) is read at all."""
    from django.db.models import Count, Prefetch

    today = timezone.localdate()
    return (
        Activity.objects.filter(status=Activity.Status.PUBLISHED, published_at__isnull=False, starts_on__lte=today)
        .select_related("region")
        .only("code", "title", "method", "region__name", "starts_on", "ends_on", "published_result", "published_at")
        .annotate(team_draws=Count("draws", filter=Q(draws__kind=Draw.Kind.TEAM)))
        .prefetch_related(
            Prefetch(
                "targets",
                queryset=ActivityTarget.objects.select_related("unit", "region")
                .only("activity_id", "unit__name", "region__name", "visited")
                .order_by("region_id", "unit__name"),
            )
        )
        .order_by("-published_at", "-id")
    )
