"""Writes of the exemption list, benchmarks, clue rules and clues (issue 19).

Versions: a new version of an exemption item (or of a benchmark of one item and level) is
checked against the item's other versions under a lock on the violation item's row, so two
administrators entering overlapping versions at once cannot both succeed; the exclusion
constraints of ``clue_models`` hold the same rule in the database. Clues: accepted (into the
problem list, source 数据分析, linked to its cases) or dismissed with a reason, by the staff of a
city or the province (``Cap.VERIFY``); compare-and-swap on ``version``, audited in the same
transaction. Accepting twice: the second gets ConflictError (409) naming the problem.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.enforcement.clue_models import Clue, ClueRule, DiscretionBenchmark, ExemptionItem
from cases.enforcement.clues import RULES, params_check
from cases.enforcement.models import ViolationItem
from portal.accounts.capabilities import Cap, has_cap
from portal.accounts.scoping import get_visible_or_404
from portal.audit.services import audit_record
from portal.core.api import ConflictError


def _overlapping(qs, start: dt.date, end: dt.date | None):
    qs = qs.filter(Q(effective_to__isnull=True) | Q(effective_to__gt=start))
    return qs.filter(effective_from__lt=end) if end else qs


def _check_dates(start, end) -> None:
    if end is not None and end <= start:
        raise ValidationError({"effective_to": _("失效日期须晚于生效日期。")})


def version_overlap_error(model, *, violation_item, start, end, exclude_pk=None, **same) -> str:
    """The message for the first other version of the same item (and level) that overlaps, or ""."""
    qs = model.objects.filter(violation_item=violation_item, **same)
    if exclude_pk:
        qs = qs.exclude(pk=exclude_pk)
    other = _overlapping(qs, start, end).order_by("effective_from").first()
    if other is None:
        return ""
    return _(
        "与该事项已有的版本（%(start)s 至 %(end)s）时间重叠：请先为原版本填写失效日期，或调整本版本的生效日期。"
    ) % {"start": other.effective_from, "end": other.effective_to or _("长期")}


@transaction.atomic
def exemption_item_save(*, actor, item: ExemptionItem) -> ExemptionItem:
    """Create or change one version of an exemption item (its overlap checked under a lock)."""
    _check_dates(item.effective_from, item.effective_to)
    ViolationItem.objects.select_for_update().get(pk=item.violation_item_id)
    message = version_overlap_error(
        ExemptionItem,
        violation_item=item.violation_item_id,
        start=item.effective_from,
        end=item.effective_to,
        exclude_pk=item.pk,
    )
    if message:
        raise ValidationError({"effective_from": message})
    created = item.pk is None
    try:
        with transaction.atomic():
            item.save()
    except IntegrityError as exc:  # what slipped past the check (the exclusion constraint)
        raise ValidationError({"effective_from": _("与该事项已有的版本时间重叠。")}) from exc
    audit_record(
        actor=actor,
        action="exemption_item.create" if created else "exemption_item.change",
        obj=item,
        changes={
            "violation_item": item.violation_item_id,
            "from": str(item.effective_from),
            "to": str(item.effective_to or ""),
            "conditions": list(item.conditions),
        },
    )
    return item


@transaction.atomic
def benchmark_save(*, actor, benchmark: DiscretionBenchmark) -> DiscretionBenchmark:
    """Create or change one version of a benchmark range (min ≤ max; no overlap per item and level)."""
    errors = {}
    if benchmark.min_amount is not None and benchmark.min_amount < 0:
        errors["min_amount"] = _("罚款下限不能为负数。")
    if (
        benchmark.min_amount is not None
        and benchmark.max_amount is not None
        and benchmark.min_amount > benchmark.max_amount
    ):
        errors["max_amount"] = _("罚款上限（%(max)s 元）低于下限（%(min)s 元）：请改为不低于下限的金额。") % {
            "max": benchmark.max_amount,
            "min": benchmark.min_amount,
        }
    if errors:
        raise ValidationError(errors)
    _check_dates(benchmark.effective_from, benchmark.effective_to)
    ViolationItem.objects.select_for_update().get(pk=benchmark.violation_item_id)
    message = version_overlap_error(
        DiscretionBenchmark,
        violation_item=benchmark.violation_item_id,
        start=benchmark.effective_from,
        end=benchmark.effective_to,
        exclude_pk=benchmark.pk,
        level=benchmark.level,
    )
    if message:
        raise ValidationError({"effective_from": message})
    created = benchmark.pk is None
    try:
        with transaction.atomic():
            benchmark.save()
    except IntegrityError as exc:
        raise ValidationError({"effective_from": _("与该事项、该裁量等级已有的版本时间重叠。")}) from exc
    audit_record(
        actor=actor,
        action="discretion_benchmark.create" if created else "discretion_benchmark.change",
        obj=benchmark,
        changes={
            "violation_item": benchmark.violation_item_id,
            "level": benchmark.level,
            "min": str(benchmark.min_amount),
            "max": str(benchmark.max_amount),
            "from": str(benchmark.effective_from),
            "to": str(benchmark.effective_to or ""),
        },
    )
    return benchmark


@transaction.atomic
def clue_rule_update(*, actor, rule: ClueRule, enabled: bool, params: dict) -> ClueRule:
    """Switch a rule on or off and set its thresholds (each a number within its range)."""
    if rule.code not in RULES:
        raise ValidationError({"code": _("未知的规则：%(code)s。") % {"code": rule.code}})
    try:
        clean = params_check(rule.code, params)
    except ValueError as exc:
        raise ValidationError({"params": str(exc)}) from exc
    old = {"enabled": rule.enabled, "params": rule.params}
    changed = ClueRule.objects.filter(pk=rule.pk, version=rule.version).update(
        enabled=enabled, params=clean, version=F("version") + 1, updated_at=timezone.now()
    )
    if not changed:
        raise ConflictError(_("该规则刚刚被他人修改，请刷新后重试。"))
    audit_record(
        actor=actor,
        action="clue_rule.change",
        obj=rule,
        changes={"enabled": [old["enabled"], enabled], "params": [old["params"], clean]},
    )
    rule.refresh_from_db()
    return rule


def clue_may_handle(actor, clue: Clue) -> bool:
    """A city or the province (Cap.VERIFY; a county's staff never decide on clues about themselves)."""
    if not has_cap(actor, Cap.VERIFY) or actor.region_id is None:
        return False
    return actor.region.level in ("province", "city")


def _claim(actor, clue: Clue, expected_version: int | None) -> int:
    if clue.status != Clue.Status.OPEN:
        if clue.status == Clue.Status.ACCEPTED and clue.problem_id:
            raise ConflictError(_("该线索已转为问题 %(code)s，不能重复处理。") % {"code": clue.problem.code})
        raise ConflictError(
            _("该线索已被处理（当前状态：%(status)s），请刷新后查看。") % {"status": clue.get_status_display()}
        )
    version = expected_version if expected_version is not None else clue.version
    if version != clue.version:
        raise ConflictError(_("该线索刚刚被他人处理，请刷新后重试。"))
    return version


@transaction.atomic
def clue_accept(
    *, actor, clue_id: int, category, domain, severity: str = "general", expected_version: int | None = None
) -> Clue:
    """The clue as a problem on the list (source 数据分析), linked to the clue and its cases."""
    from cases.models import Problem
    from cases.services import problem_register

    clue = get_visible_or_404(
        Clue.objects.select_related("rule", "unit", "region", "problem"), actor, Cap.VIEW_RECORDS, pk=clue_id
    )
    if not clue_may_handle(actor, clue):
        raise PermissionDenied(_("线索由市级或省级监督人员研判处理。"))
    version = _claim(actor, clue, expected_version)
    errors = {}
    if category is None:
        errors["category"] = _("请选择问题类别。")
    if domain is None:
        errors["domain"] = _("请选择执法领域。")
    if severity not in Problem.Severity.values:
        errors["severity"] = _("请选择严重程度。")
    if errors:
        raise ValidationError(errors)
    problem = problem_register(
        actor=actor,
        title=f"{clue.rule.name}：{clue.unit.name}"[:200],
        category=category,
        source=Problem.Source.DATA_ANALYSIS,
        region=clue.region,
        unit=clue.unit,
        domain=domain,
        severity=severity,
        description=clue_summary(clue),
        links=[("cases.clue", str(clue.pk)), *(("cases.enforcementcasekey", str(k)) for k in clue.case_keys[:200])],
    )
    # the problem and the claim in one transaction: a lost compare-and-swap rolls the problem back
    changed = Clue.objects.filter(pk=clue.pk, status=Clue.Status.OPEN, version=version).update(
        status=Clue.Status.ACCEPTED,
        problem=problem,
        version=F("version") + 1,
        handled_by=actor,
        handled_at=timezone.now(),
    )
    if not changed:
        raise ConflictError(_("该线索刚刚被他人处理，请刷新后重试。"))
    audit_record(
        actor=actor,
        action="clue.accept",
        obj=clue,
        changes={"status": ["open", "accepted"], "problem": problem.code, "cases": clue.case_count},
    )
    clue.refresh_from_db()
    return clue


@transaction.atomic
def clue_dismiss(*, actor, clue_id: int, note: str, expected_version: int | None = None) -> Clue:
    clue = get_visible_or_404(Clue.objects.select_related("rule", "problem"), actor, Cap.VIEW_RECORDS, pk=clue_id)
    if not clue_may_handle(actor, clue):
        raise PermissionDenied(_("线索由市级或省级监督人员研判处理。"))
    version = _claim(actor, clue, expected_version)
    note = (note or "").strip()
    if not note:
        raise ValidationError({"note": _("请填写排除理由。")})
    changed = Clue.objects.filter(pk=clue.pk, status=Clue.Status.OPEN, version=version).update(
        status=Clue.Status.DISMISSED, version=F("version") + 1, note=note, handled_by=actor, handled_at=timezone.now()
    )
    if not changed:
        raise ConflictError(_("该线索刚刚被他人处理，请刷新后重试。"))
    audit_record(actor=actor, action="clue.dismiss", obj=clue, changes={"status": ["open", "dismissed"], "note": note})
    clue.refresh_from_db()
    return clue


def clue_summary(clue: Clue) -> str:
    figures = "；".join(f"{k}={v}" for k, v in sorted(clue.figures.items()))
    return _("规则：%(rule)s。%(desc)s 依据数据：%(figures)s。涉及案件 %(n)s 件。") % {
        "rule": clue.rule.name,
        "desc": clue.rule.description,
        "figures": figures,
        "n": clue.case_count,
    }
