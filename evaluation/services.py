"""Writes of the performance evaluation: indicator systems, periods, closing (the snapshot),
scores and ranks. Every write is audited in its own transaction."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from evaluation import compute
from evaluation.links import FIGURE_LISTS
from evaluation.models import (
    Appeal,
    EntityScore,
    Indicator,
    IndicatorScore,
    IndicatorSystem,
    Level,
    Period,
    SurveyResult,
)
from portal.accounts.capabilities import Cap, has_cap
from portal.accounts.scoping import get_visible_or_404, is_province_wide
from portal.audit.services import audit_record
from portal.core.api import ConflictError
from portal.regions.models import Region
from portal.workdays.calendar import add_working_days

APPEAL_WORKING_DAYS = 5
HUNDRED = Decimal("100")
CENT = Decimal("0.01")
SURVEY_FIELDS = ("satisfaction",)


def require_manager(user) -> None:
    """The province runs evaluations: provincial staff (who may verify) only."""
    if not (has_cap(user, Cap.VERIFY) and is_province_wide(user)):
        raise PermissionDenied


# --- the indicator system ---------------------------------------------------------------------------


def indicator_check(indicator: Indicator) -> None:
    """Refuse what cannot score: a computed indicator naming an unknown figure, a flat curve."""
    errors = {}
    if indicator.rule == Indicator.Rule.COMPUTED and indicator.figure not in compute.named_figures():
        known = "、".join(sorted(compute.named_figures()))
        errors["figure"] = _("数据指标“%(name)s”不存在。请选择看板已定义的数据指标之一：%(known)s。") % {
            "name": indicator.figure,
            "known": known,
        }
    if indicator.rule == Indicator.Rule.IMPORTED and not indicator.figure:
        errors["figure"] = _("第三方评价指标需填写导入字段（如 satisfaction，或分项名称）。")
    if indicator.target == indicator.zero_at:
        errors["zero_at"] = _("满分值与零分值不能相同，否则无法按线性计分。")
    if errors:
        raise ValidationError(errors)


def weight_problems(system: IndicatorSystem) -> list[str]:
    """One message per level whose weights do not sum to 100."""
    sums = defaultdict(Decimal)
    for level, weight in system.indicators.values_list("level", "weight"):
        sums[level] += weight
    messages = []
    for level, label in Level.choices:
        if sums[level] != HUNDRED:
            messages.append(
                _("%(level)s的指标权重合计为 %(sum)s，应为 100，请调整后再关账。")
                % {"level": label, "sum": f"{sums[level]:g}"}
            )
    return messages


def indicator_add(*, actor, system: IndicatorSystem, **fields) -> Indicator:
    require_manager(actor)
    indicator = Indicator(system=system, **fields)
    indicator_check(indicator)
    with transaction.atomic():
        indicator.full_clean()
        indicator.save()
        audit_record(actor=actor, action="evaluation.indicator_add", obj=indicator, changes={"code": indicator.code})
    return indicator


def system_for_year(*, actor, year: int) -> IndicatorSystem:
    """The year's system; a new year starts as a copy of the latest earlier one."""
    require_manager(actor)
    with transaction.atomic():
        existing = IndicatorSystem.objects.filter(year=year).first()
        if existing:
            return existing
        last = IndicatorSystem.objects.filter(year__lt=year).order_by("-year").first()
        system = IndicatorSystem.objects.create(year=year, copied_from=last)
        if last:
            copies = []
            for indicator in last.indicators.all():
                indicator.pk, indicator.system = None, system
                copies.append(indicator)
            Indicator.objects.bulk_create(copies)
        audit_record(
            actor=actor,
            action="evaluation.system_create",
            obj=system,
            changes={"year": year, "copied_from": last.year if last else None},
        )
    return system


# --- periods ----------------------------------------------------------------------------------------


def period_bounds(year: int, kind: str, half: int | None) -> tuple[dt.date, dt.date]:
    if kind == Period.Kind.YEAR:
        return dt.date(year, 1, 1), dt.date(year, 12, 31)
    return (dt.date(year, 1, 1), dt.date(year, 6, 30)) if half == 1 else (dt.date(year, 7, 1), dt.date(year, 12, 31))


def period_open(*, actor, system: IndicatorSystem, kind: str, half: int | None = None) -> Period:
    require_manager(actor)
    starts_on, ends_on = period_bounds(system.year, kind, half)
    with transaction.atomic():
        period, created = Period.objects.get_or_create(
            system=system, kind=kind, half=half, defaults={"starts_on": starts_on, "ends_on": ends_on}
        )
        if created:
            audit_record(actor=actor, action="evaluation.period_open", obj=period, changes={"label": period.label})
    return period


def _points(indicator: Indicator, value: float | None) -> Decimal:
    return (indicator.weight * Decimal(str(indicator.fraction(value)))).quantize(CENT, ROUND_HALF_UP)


def period_scores(period: Period) -> dict[str, dict]:
    """Every entity's indicator values, points and inputs for the period (nothing written)."""
    entities = compute.entity_regions()
    indicators = list(period.system.indicators.all())
    figures = compute.named_figures()
    totals = compute.entity_totals(period.starts_on, period.ends_on, entities)
    surveys = {s.region_id: s for s in SurveyResult.objects.filter(period__system=period.system, period=period)}
    entered = {(e.indicator_id, e.region_id): e for e in period.entered_values.all()}
    result = {}
    for region in entities:
        level = Level.CITY if region.level == Region.Level.CITY else Level.COUNTY
        rows = []
        for indicator in (i for i in indicators if i.level == level):
            inputs: dict = {"rule": indicator.rule}
            value = None
            if indicator.rule == Indicator.Rule.COMPUTED:
                figure = figures[indicator.figure]
                value = figure.compute(totals[region.code])
                inputs["figure"] = indicator.figure
                inputs["totals"] = {key: dict(c) for key, c in totals[region.code].items() if key in _sets(indicator)}
                listing = FIGURE_LISTS.get(indicator.figure)
                if listing:
                    inputs["list"] = {"key": listing.list_key, "params": listing.params(period)}
                    inputs["list_count"] = listing.count(totals[region.code])
            elif indicator.rule == Indicator.Rule.IMPORTED:
                survey = surveys.get(region.code)
                if survey is not None:
                    field = indicator.figure
                    value = survey.satisfaction if field == "satisfaction" else survey.items.get(field)
                    inputs["survey"] = {"sample_size": survey.sample_size, "value": value}
            else:
                value_row = entered.get((indicator.pk, region.code))
                if value_row is not None:
                    value = value_row.value
                    inputs["entered"] = {"value": value, "evidence": value_row.evidence.name, "note": value_row.note}
            inputs["no_data"] = value is None
            rows.append((indicator, value, _points(indicator, value), inputs))
        result[region.code] = {"region": region, "level": level, "rows": rows}
    return result


def _sets(indicator: Indicator) -> set[str]:
    return (
        {indicator.figure.split(".")[0], "problems"}
        if indicator.figure.startswith("accountability")
        else {indicator.figure.split(".")[0]}
    )


def competition_ranks(totals: list[tuple[str, Decimal]]) -> dict[str, int]:
    """Standard competition ranking (1, 1, 3): equal totals share a rank, the next skips."""
    ordered = sorted(totals, key=lambda item: (-item[1], item[0]))
    ranks, previous, rank = {}, None, 0
    for position, (key, total) in enumerate(ordered, start=1):
        if total != previous:
            rank, previous = position, total
        ranks[key] = rank
    return ranks


def _rerank(period: Period) -> None:
    scores = list(period.scores.select_related("region"))
    previous = previous_period(period)
    before = {s.region_id: s for s in previous.scores.all()} if previous else {}
    for level in Level.values:
        mine = [s for s in scores if s.level == level]
        ranks = competition_ranks([(s.region_id, s.total) for s in mine])
        by_city = defaultdict(list)
        for s in mine:
            s.rank = ranks[s.region_id]
            if level == Level.COUNTY:
                by_city[s.region.parent_id].append(s)
        for group in by_city.values():
            city_ranks = competition_ranks([(s.region_id, s.total) for s in group])
            for s in group:
                s.rank_in_city = city_ranks[s.region_id]
    for s in scores:
        old = before.get(s.region_id)
        s.previous_rank = old.rank if old else None
        s.previous_total = old.total if old else None
    EntityScore.objects.bulk_update(scores, ["rank", "rank_in_city", "previous_rank", "previous_total"])


def previous_period(period: Period) -> Period | None:
    """The period before (the other half-year, or last year), when it was closed."""
    if period.kind == Period.Kind.YEAR or period.half == 1:
        wanted = Period.objects.filter(system__year=period.system.year - 1, kind=period.kind)
        if period.kind == Period.Kind.HALF:
            wanted = wanted.filter(half=2)
    else:
        wanted = Period.objects.filter(system=period.system, kind=period.kind, half=1)
    return wanted.exclude(status=Period.Status.OPEN).first()


def _dimensions(rows) -> dict:
    dims = defaultdict(Decimal)
    for indicator, _value, points, _inputs in rows:
        dims[indicator.dimension] += points
    return {key: str(value) for key, value in dims.items()}


def _store(period: Period, computed: dict) -> None:
    period.scores.all().delete()
    entities = EntityScore.objects.bulk_create(
        [
            EntityScore(
                period=period,
                region=item["region"],
                level=item["level"],
                total=sum((row[2] for row in item["rows"]), Decimal("0")),
                dimensions=_dimensions(item["rows"]),
                rank=1,
            )
            for item in computed.values()
        ]
    )
    by_region = {e.region_id: e for e in entities}
    IndicatorScore.objects.bulk_create(
        [
            IndicatorScore(entity=by_region[code], indicator=ind, value=value, points=points, inputs=inputs)
            for code, item in computed.items()
            for ind, value, points, inputs in item["rows"]
        ],
        batch_size=2000,
    )
    _rerank(period)


def period_preview(*, actor, period: Period) -> None:
    """Recompute an open period's provisional scores (they move until it is closed)."""
    require_manager(actor)
    if not period.is_open:
        raise ConflictError(_("该周期已关账，得分已冻结，不能重新计算。"))
    with transaction.atomic():
        _store(period, period_scores(period))
        audit_record(actor=actor, action="evaluation.period_preview", obj=period, changes={})


def period_close(*, actor, period_id: int, today: dt.date | None = None) -> Period:
    """Close the period: compute and freeze every entity's scores with their inputs, record who
    closed it, open the appeal window; a half-year without its third-party import is flagged."""
    require_manager(actor)
    today = today or timezone.localdate()
    with transaction.atomic():
        period = Period.objects.select_for_update().select_related("system").get(pk=period_id)
        if not period.is_open:
            raise ConflictError(_("该周期已由他人关账。"))
        problems = weight_problems(period.system)
        if problems:
            raise ValidationError(problems)
        missing = period.kind == Period.Kind.HALF and not period.survey_results.exists()
        _store(period, period_scores(period))
        now = timezone.now()
        period.appeal_until = add_working_days(today, APPEAL_WORKING_DAYS)
        updated = Period.objects.filter(pk=period.pk, status=Period.Status.OPEN).update(
            status=Period.Status.CLOSED,
            closed_at=now,
            closed_by=actor,
            survey_missing=missing,
            appeal_until=period.appeal_until,
        )
        if not updated:
            raise ConflictError(_("该周期已由他人关账。"))
        audit_record(
            actor=actor,
            action="evaluation.period_close",
            obj=period,
            changes={"survey_missing": missing, "appeal_until": period.appeal_until, "entities": period.scores.count()},
        )
        period.refresh_from_db()
    return period


def period_publish(*, actor, period_id: int) -> Period:
    require_manager(actor)
    with transaction.atomic():
        period = Period.objects.select_for_update().get(pk=period_id)
        if period.status != Period.Status.CLOSED:
            raise ConflictError(_("只有已关账的周期可以公布。"))
        if period.scores.filter(appeals__status="pending").exists():
            raise ConflictError(_("还有未裁定的申诉，请先裁定后再公布。"))
        Period.objects.filter(pk=period.pk, status=Period.Status.CLOSED).update(
            status=Period.Status.PUBLISHED, published_at=timezone.now(), published_by=actor
        )
        audit_record(actor=actor, action="evaluation.period_publish", obj=period, changes={})
        period.refresh_from_db()
    return period


# --- appeals (申诉) ----------------------------------------------------------------------------------


def appeal_window_open(period: Period, today: dt.date | None = None) -> bool:
    today = today or timezone.localdate()
    return period.status == Period.Status.CLOSED and period.appeal_until is not None and today <= period.appeal_until


def appeal_file(*, actor, score_id: int, indicator_id, reason: str, evidence, today: dt.date | None = None) -> Appeal:
    """The entity contests one indicator of its closed score with evidence, within the window
    (``APPEAL_WORKING_DAYS`` working days from closing). After the window: refused, nothing saved."""
    from cases.evidence import check_evidence

    score = get_visible_or_404(
        EntityScore.objects.select_related("period", "region"), actor, Cap.EDIT_RECORDS, pk=score_id
    )
    if actor.region_id != score.region_id:
        raise PermissionDenied
    period = score.period
    today = today or timezone.localdate()
    if period.status != Period.Status.CLOSED:
        raise ValidationError(_("该周期不在申诉期（仅已关账、未公布的周期可以申诉）。"))
    if not appeal_window_open(period, today):
        raise ValidationError(
            _("申诉期已于 %(day)s 截止，不能再提出申诉；如有异议请与省厅联系。") % {"day": period.appeal_until}
        )
    errors = {}
    row = None
    if str(indicator_id or "").isdigit():
        row = score.indicator_scores.filter(indicator_id=int(indicator_id)).select_related("indicator").first()
    if row is None:
        errors["indicator"] = _("请选择本单位得分中的一项指标。")
    if not (reason or "").strip():
        errors["reason"] = _("请填写申诉理由。")
    if not evidence:
        errors["evidence"] = _("请上传佐证材料（图片、PDF、Word 或 Excel）。")
    else:
        try:
            check_evidence(evidence)
        except ValidationError as exc:
            errors["evidence"] = exc.messages[0]
    if errors:
        raise ValidationError(errors)
    appeal = Appeal(entity=score, indicator=row.indicator, reason=reason.strip(), filed_by=actor)
    try:
        with transaction.atomic():
            appeal.evidence.save(evidence.name, evidence, save=False)
            appeal.save()
            audit_record(
                actor=actor,
                action="evaluation.appeal_file",
                obj=appeal,
                changes={"entity": score.pk, "indicator": row.indicator.code, "value": row.value},
            )
    except IntegrityError:
        appeal.evidence.delete(save=False)
        raise ConflictError(_("该指标已有一项待裁定的申诉，请等待省厅裁定。")) from None
    return appeal


def appeal_decide(*, actor, appeal_id: int, move: str, decision: str, new_value=None) -> Appeal:
    """The province decides a pending appeal (compare-and-swap on its status). Upheld: the
    appealed indicator is re-scored with ``new_value``, which moves only that indicator and the
    entity's dimension, total and ranks; audited in the same transaction."""
    from evaluation.transitions import MOVES

    require_manager(actor)
    chosen = MOVES.get(move)
    if chosen is None:
        raise ValidationError(_("未知的裁定：%(move)s。") % {"move": move})
    errors = {}
    if not (decision or "").strip():
        errors["decision"] = _("请填写裁定意见。")
    value = None
    if chosen.needs_value:
        try:
            value = float(str(new_value).strip())
        except (TypeError, ValueError):
            errors["new_value"] = _("申诉成立须填写改正后的指标值（数字，比率按 0–1 的小数填写，如 0.95）。")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        appeal = (
            Appeal.objects.select_for_update()
            .select_related("entity__period", "indicator")
            .filter(pk=appeal_id)
            .first()
        )
        if appeal is None:
            raise Http404
        period = appeal.entity.period
        if period.status != Period.Status.CLOSED:
            raise ConflictError(_("该周期已公布，不能再裁定申诉。"))
        if appeal.status not in chosen.source:
            raise ConflictError(_("该申诉已由他人裁定。"))
        now = timezone.now()
        moved = Appeal.objects.filter(pk=appeal.pk, status__in=chosen.source).update(
            status=chosen.target, decided_by=actor, decided_at=now, decision=decision.strip(), new_value=value
        )
        if not moved:
            raise ConflictError(_("该申诉已由他人裁定。"))
        changes = {"status": [appeal.status, chosen.target]}
        if chosen.needs_value:
            changes.update(_rescore(appeal, value))
        audit_record(actor=actor, action=f"evaluation.appeal_{move}", obj=appeal, changes=changes)
        appeal.refresh_from_db()
    return appeal


def _rescore(appeal: Appeal, value: float) -> dict:
    """Re-score one indicator of one entity; the entity's total, dimensions and the level's
    ranks follow. Nothing else of the frozen snapshot moves."""
    entity = EntityScore.objects.select_for_update().get(pk=appeal.entity_id)
    row = IndicatorScore.objects.select_for_update().get(entity=entity, indicator=appeal.indicator)
    indicator = appeal.indicator
    old = {"value": row.value, "points": str(row.points), "total": str(entity.total), "rank": entity.rank}
    points = _points(indicator, value)
    delta = points - row.points
    inputs = dict(row.inputs)
    inputs["appeal"] = {"id": appeal.pk, "old_value": row.value, "old_points": str(row.points), "value": value}
    inputs["no_data"] = False
    IndicatorScore.objects.filter(pk=row.pk).update(value=value, points=points, inputs=inputs)
    dimensions = dict(entity.dimensions)
    dimensions[indicator.dimension] = str(Decimal(dimensions.get(indicator.dimension, "0")) + delta)
    EntityScore.objects.filter(pk=entity.pk).update(total=entity.total + delta, dimensions=dimensions)
    _rerank(entity.period)
    entity.refresh_from_db()
    return {
        "rescore": {
            "indicator": indicator.code,
            "value": [old["value"], value],
            "points": [old["points"], str(points)],
            "total": [old["total"], str(entity.total)],
            "rank": [old["rank"], entity.rank],
        }
    }


# --- notices (通报) ----------------------------------------------------------------------------------

NOTICE_TYPES = ("evaluation.commendation", "evaluation.criticism", "evaluation.warning")
DEFAULT_NOTICE_COUNT = 3


def notice_issue(*, actor, period_id: int, doc_type: str, count=DEFAULT_NOTICE_COUNT, case_ids=()):
    """Issue a period's commendation or criticism (top / bottom ``count`` entities of each level;
    the period must be published) or its warning-case circular (the accountability records the
    reviewer picked, each decided within the period). Numbered, kept and audited."""
    from evaluation.selectors import period_accountability
    from portal.documents.services import issue

    require_manager(actor)
    period = Period.objects.select_related("system").filter(pk=period_id).first()
    if period is None:
        raise Http404
    if doc_type not in NOTICE_TYPES:
        raise ValidationError({"doc_type": _("未知的文书类型。")})
    options: dict = {}
    if doc_type == "evaluation.warning":
        wanted = {int(x) for x in case_ids if str(x).isdigit()}
        picked = [r for r in period_accountability(actor, period) if r.pk in wanted]
        if not picked:
            raise ValidationError({"cases": _("请至少勾选一起本周期内的问责案例作为警示案例。")})
        if len(picked) != len(wanted):
            raise ValidationError({"cases": _("所选案例中有不属于本周期的问责记录，请重新勾选。")})
        options["cases"] = picked
    else:
        if period.status != Period.Status.PUBLISHED:
            raise ValidationError({"doc_type": _("评价结果公布后才能印发通报表扬或通报批评。")})
        try:
            count = int(count)
        except (TypeError, ValueError):
            count = 0
        if not 1 <= count <= 20:
            raise ValidationError({"count": _("通报单位数须为 1 到 20 之间的整数。")})
        options["count"] = count
    with transaction.atomic():
        document = issue(doc_type, period, actor=actor, **options)
        audit_record(
            actor=actor,
            action="evaluation.notice_issue",
            obj=period,
            changes={
                "doc_type": doc_type,
                "number": document.number,
                "cases": [r.pk for r in options.get("cases", [])],
                "count": options.get("count"),
            },
        )
    return document


# --- mystery-visit findings → problems ----------------------------------------------------------------


def finding_to_problem(*, actor, finding_id: int, category, title: str = "", severity: str = "general"):
    """Register a mystery-visit finding (暗访发现) on the problem list (source 暗访), linked both
    ways; a finding becomes one problem only (compare-and-swap on its empty link)."""
    from cases.models import Category, Problem
    from cases.services import problem_register
    from evaluation.models import MysteryFinding
    from portal.regions.models import EnforcementDomain, Unit

    if not has_cap(actor, Cap.EDIT_RECORDS):
        raise PermissionDenied
    finding = get_visible_or_404(
        MysteryFinding.objects.select_related("region"), actor, Cap.EDIT_RECORDS, pk=finding_id
    )
    if finding.problem_id:
        raise ConflictError(_("该暗访发现已转为问题。"))
    if not isinstance(category, Category):
        category = Category.objects.filter(pk=category).first() if str(category or "").isdigit() else None
    if category is None:
        raise ValidationError({"category": _("请选择问题类别。")})
    unit = Unit.objects.filter(region=finding.region).order_by("pk").first()
    if unit is None:
        message = _("%(region)s没有登记执法单位，请先在系统中添加。") % {"region": finding.region.name}
        raise ValidationError({"unit": message})
    domain = EnforcementDomain.objects.filter(code="comprehensive").first() or EnforcementDomain.objects.first()
    with transaction.atomic():
        problem = problem_register(
            actor=actor,
            title=(title or "").strip() or _("暗访发现：%(place)s") % {"place": finding.place[:80]},
            category=category,
            source=Problem.Source.UNANNOUNCED_VISIT,
            severity=severity if severity in Problem.Severity.values else Problem.Severity.GENERAL,
            region=finding.region,
            unit=unit,
            domain=domain,
            description=finding.finding,
            found_on=finding.visited_on,
            links=[("evaluation.mysteryfinding", str(finding.pk))],
        )
        if not MysteryFinding.objects.filter(pk=finding.pk, problem__isnull=True).update(problem=problem):
            raise ConflictError(_("该暗访发现已由他人转为问题。"))
        audit_record(
            actor=actor, action="evaluation.finding_to_problem", obj=finding, changes={"problem": problem.code}
        )
    return problem


def indicator_save(*, actor, form) -> Indicator:
    """Save a checked ``forms.IndicatorForm`` (new or changed indicator) of a system whose
    periods are all open (a closed period's scores refer to its indicators: frozen)."""
    require_manager(actor)
    indicator = form.instance
    system = indicator.system
    if system.periods.exclude(status=Period.Status.OPEN).exists():
        raise ConflictError(_("%(year)s年度已有关账的评价周期，指标体系已冻结，不能再修改。") % {"year": system.year})
    before = {} if indicator.pk is None else dict(Indicator.objects.filter(pk=indicator.pk).values().first() or {})
    with transaction.atomic():
        indicator = form.save()
        after = Indicator.objects.filter(pk=indicator.pk).values().first()
        audit_record(
            actor=actor,
            action="evaluation.indicator_edit" if before else "evaluation.indicator_add",
            obj=indicator,
            changes={k: [str(before.get(k)), str(v)] for k, v in after.items() if before.get(k) != v and k != "id"},
        )
    return indicator


# --- values the province enters (省厅录入，附佐证) ---------------------------------------------------


def entered_value_save(*, actor, period_id, indicator_id, region_code, value, evidence, note: str = ""):
    """Enter (or replace) an ``entered`` indicator's value for one entity of an open period,
    with its evidence (checked by content). A bad field is named; nothing is saved half."""
    from cases.evidence import check_evidence
    from evaluation.models import EnteredValue

    require_manager(actor)
    period = Period.objects.select_related("system").filter(pk=period_id).first() if str(period_id).isdigit() else None
    if period is None:
        raise Http404
    if not period.is_open:
        raise ConflictError(_("该周期已关账，得分已冻结，不能再录入。"))
    errors = {}
    indicator = None
    if str(indicator_id or "").isdigit():
        indicator = period.system.indicators.filter(pk=int(indicator_id), rule=Indicator.Rule.ENTERED).first()
    if indicator is None:
        errors["indicator"] = _("请选择本年度指标体系中“省厅录入”的指标。")
    region = Region.objects.filter(code=str(region_code or "").strip()).first()
    wanted = None
    if indicator is not None:
        wanted = Region.Level.CITY if indicator.level == Level.CITY else Region.Level.COUNTY
    if region is None or (wanted and region.level != wanted):
        errors["region"] = _("区划代码“%(c)s”不是该指标评价对象（%(level)s）的区划。") % {
            "c": region_code or "",
            "level": indicator.get_level_display() if indicator else "",
        }
    try:
        number = float(str(value).strip())
    except (TypeError, ValueError):
        number = None
        errors["value"] = _("录入值应为数字。")
    if not evidence:
        errors["evidence"] = _("请上传佐证材料（图片、PDF、Word 或 Excel）。")
    else:
        try:
            check_evidence(evidence)
        except ValidationError as exc:
            errors["evidence"] = exc.messages[0]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        row = EnteredValue.objects.filter(period=period, indicator=indicator, region=region).first()
        before = None if row is None else row.value
        if row is None:
            row = EnteredValue(period=period, indicator=indicator, region=region)
        row.value, row.note, row.entered_by = number, (note or "").strip()[:200], actor
        row.evidence.save(evidence.name, evidence, save=False)
        row.save()
        audit_record(
            actor=actor,
            action="evaluation.value_enter",
            obj=row,
            changes={"indicator": indicator.code, "region": region.code, "value": [before, number]},
        )
    return row
