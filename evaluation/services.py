"""Writes of the performance evaluation: indicator systems, periods, closing (the snapshot),
scores and ranks. Every write is audited in its own transaction."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from evaluation import compute
from evaluation.links import FIGURE_LISTS
from evaluation.models import EntityScore, Indicator, IndicatorScore, IndicatorSystem, Level, Period, SurveyResult
from portal.accounts.capabilities import Cap, has_cap
from portal.accounts.scoping import is_province_wide
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
