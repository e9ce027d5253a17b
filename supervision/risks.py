"""Negative lists (重大执法风险隐患负面清单): writes and reads. Every write runs in one transaction
with its audit event; a refused write (a measure without owner or date, a review of a retired
item, an adoption twice) raises a ValidationError naming the field and nothing is saved.

Reads: ``risk_items_visible_to`` (the user's subtree, the one scoping rule) and
``risk_lists_above`` (the published lists of the regions above the user's: a city reads the
province's list and adopts items from it into its own)."""

from __future__ import annotations

import calendar
import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Prefetch, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.accounts.capabilities import Cap, has_cap
from portal.accounts.scoping import ensure_writable, get_visible_or_404
from portal.audit.services import audit_record
from portal.core.api import ConflictError
from portal.regions.models import Region
from supervision.models import RiskItem, RiskMeasure, RiskReview

DEFAULT_REVIEW_MONTHS = 3


def add_months(day: dt.date, months: int) -> dt.date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


# --- reads ----------------------------------------------------------------------------------------


def _measures():
    return Prefetch("measures", queryset=RiskMeasure.objects.select_related("owner_user"))


def risk_items_visible_to(user, *, status: str | None = None):
    items = RiskItem.objects.visible_to(user).select_related("region", "domain").prefetch_related(_measures())
    if status:
        items = items.filter(status=status)
    return items.annotate(adopted_count=Count("adoptions", distinct=True)).order_by("region__path", "code")


def risk_lists_above(user):
    """Active items of the regions above the user's (the province's list for a city; the
    province's and the city's for a county), with whether the user's list has adopted each."""
    if not has_cap(user, Cap.VIEW_RECORDS) or not user.region_id or user.region.level == Region.Level.PROVINCE:
        return RiskItem.objects.none()
    above = [code for code in user.region.path.split("/") if code and code != user.region_id]
    return (
        RiskItem.objects.filter(region_id__in=above, status=RiskItem.Status.ACTIVE)
        .select_related("region", "domain")
        .prefetch_related(_measures())
        .annotate(adopted_here=Count("adoptions", filter=Q(adoptions__region_id=user.region_id)))
        .order_by("region__path", "code")
    )


def risk_item_get(user, pk: int) -> RiskItem:
    return get_visible_or_404(RiskItem.objects.select_related("region", "domain", "adopted_from__region"), user, pk=pk)


# --- writes ---------------------------------------------------------------------------------------


def _check_scores(likelihood, impact, errors: dict) -> None:
    for name, value in (("likelihood", likelihood), ("impact", impact)):
        if value not in RiskItem.SCALE:
            errors[name] = _("请在 1 至 5 之间评分。")


def _check_measures(measures, errors: dict) -> list[RiskMeasure]:
    """Each measure needs its text, an owner (one of the three responsible people, or a named
    user) and a due date; the first fault is reported with the measure's number."""
    built = []
    if not measures:
        errors["measures"] = _("请至少填写一项防范措施，并写明责任人和完成期限。")
        return built
    for number, raw in enumerate(measures, start=1):
        text = (raw.get("text") or "").strip()
        kind = raw.get("owner_kind") or ""
        user = raw.get("owner_user")
        due_on = raw.get("due_on")
        problem = None
        if not text:
            problem = _("第 %(n)s 项防范措施没有内容。")
        elif kind not in RiskMeasure.Owner.values:
            problem = _("第 %(n)s 项防范措施没有责任人：请选择第一责任人、分管领导、承办部门或指定人员。")
        elif kind == RiskMeasure.Owner.USER and user is None:
            problem = _("第 %(n)s 项防范措施选择了指定人员，但没有选择具体账号。")
        elif not isinstance(due_on, dt.date):
            problem = _("第 %(n)s 项防范措施没有完成期限：请填写日期。")
        if problem:
            errors["measures"] = problem % {"n": number}
            return built
        built.append(
            RiskMeasure(
                text=text,
                owner_kind=kind,
                owner_user=user if kind == RiskMeasure.Owner.USER else None,
                due_on=due_on,
            )
        )
    return built


def risk_item_create(
    *,
    actor,
    region,
    code: str,
    title: str,
    domain,
    description: str,
    likelihood: int,
    impact: int,
    measures: list[dict],
    review_every_months: int = DEFAULT_REVIEW_MONTHS,
    adopted_from: RiskItem | None = None,
) -> RiskItem:
    if not has_cap(actor, Cap.EDIT_RECORDS):
        raise ValidationError(_("您没有登记负面清单的权限。"))
    ensure_writable(actor, region=region)
    errors: dict[str, str] = {}
    if region.level not in (Region.Level.PROVINCE, Region.Level.CITY, Region.Level.COUNTY):
        errors["region"] = _("负面清单按省、市、县三级编制：请选择省、市或县级区划。")
    if not (title or "").strip():
        errors["title"] = _("请填写风险事项。")
    if not (code or "").strip():
        errors["code"] = _("请填写编号。")
    elif RiskItem.objects.filter(region=region, code=code.strip()).exists():
        errors["code"] = _("本级清单已有编号 %(code)s，请换一个编号。") % {"code": code}
    _check_scores(likelihood, impact, errors)
    if not isinstance(review_every_months, int) or not 1 <= review_every_months <= 12:
        errors["review_every_months"] = _("复核周期应为 1 至 12 个月。")
    built = _check_measures(measures, errors)
    if errors:
        raise ValidationError(errors)
    today = timezone.localdate()
    with transaction.atomic():
        item = RiskItem.objects.create(
            region=region,
            code=code.strip(),
            title=title.strip(),
            domain=domain,
            description=description.strip(),
            likelihood=likelihood,
            impact=impact,
            review_every_months=review_every_months,
            next_review_on=add_months(today, review_every_months),
            adopted_from=adopted_from,
            created_by=actor,
        )
        for measure in built:
            measure.item = item
        RiskMeasure.objects.bulk_create(built)
        audit_record(
            actor=actor,
            action="risk_item.adopt" if adopted_from else "risk_item.create",
            obj=item,
            changes={
                "region": region.code,
                "code": item.code,
                "score": item.score,
                "measures": len(built),
                **({"adopted_from": adopted_from.pk} if adopted_from else {}),
            },
        )
    return item


def risk_item_adopt(*, actor, source: RiskItem, code: str | None = None) -> RiskItem:
    """Copy an item of a list above the actor's region into the actor's own list (its
    measures with their owners by role; a named owner of the source region's becomes the
    first responsible person of the adopting level). Refused twice for the same list."""
    region = actor.region
    above = [c for c in (region.path.split("/") if region else []) if c and c != region.code]
    if source.region_id not in above or source.status != RiskItem.Status.ACTIVE:
        raise ValidationError({"source": _("只能采用上级清单中有效的风险事项。")})
    if RiskItem.objects.filter(region=region, adopted_from=source).exists():
        message = _("本级清单已采用过该事项（%(code)s），无需重复采用。") % {"code": source.code}
        raise ValidationError({"source": message})
    today = timezone.localdate()
    measures = [
        {
            "text": m.text,
            "owner_kind": m.owner_kind if m.owner_kind != RiskMeasure.Owner.USER else RiskMeasure.Owner.FIRST,
            "owner_user": None,
            "due_on": max(m.due_on, today),
        }
        for m in source.measures.all()
    ]
    return risk_item_create(
        actor=actor,
        region=region,
        code=code or f"{source.code}-{region.code}",
        title=source.title,
        domain=source.domain,
        description=source.description,
        likelihood=source.likelihood,
        impact=source.impact,
        measures=measures,
        review_every_months=source.review_every_months,
        adopted_from=source,
    )


def risk_measure_add(*, actor, item: RiskItem, text: str, owner_kind: str, owner_user=None, due_on=None) -> RiskMeasure:
    errors: dict[str, str] = {}
    if item.status != RiskItem.Status.ACTIVE:
        raise ValidationError({"item": _("该风险事项已退出清单，不能再添加防范措施。")})
    raw = {"text": text, "owner_kind": owner_kind, "owner_user": owner_user, "due_on": due_on}
    built = _check_measures([raw], errors)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        measure = built[0]
        measure.item = item
        measure.save()
        audit_record(
            actor=actor,
            action="risk_measure.add",
            obj=item,
            changes={"measure": measure.pk, "owner": owner_kind, "due_on": str(due_on)},
        )
    return measure


def risk_measure_done(*, actor, item: RiskItem, measure_id: int, done_on: dt.date, note: str = "") -> RiskMeasure:
    """Mark a prevention measure done on ``done_on`` (not in the future; once: compare-and-swap on
    ``done_on IS NULL``, so two people finishing it at once record it once)."""
    measure = RiskMeasure.objects.filter(item=item, pk=measure_id).first()
    if measure is None:
        raise ValidationError({"measure_id": _("该事项没有这项防范措施，请刷新页面后重试。")})
    if done_on > timezone.localdate():
        raise ValidationError({"done_on": _("完成日期不能晚于今天。")})
    if done_on < timezone.localdate(measure.created_at):
        raise ValidationError({"done_on": _("完成日期不能早于措施登记的日期。")})
    with transaction.atomic():
        if not RiskMeasure.objects.filter(pk=measure.pk, done_on__isnull=True).update(done_on=done_on):
            raise ConflictError(_("这项措施已记录完成，无需重复记录。"))
        audit_record(
            actor=actor,
            action="risk_measure.done",
            obj=item,
            changes={"measure": measure.pk, "done_on": str(done_on), "note": (note or "").strip()},
        )
    measure.refresh_from_db()
    return measure


def risk_item_review(*, actor, item: RiskItem, likelihood: int, impact: int, note: str) -> RiskReview:
    """Record a periodic review: the scores now, and the next review one cycle later."""
    if item.status != RiskItem.Status.ACTIVE:
        when = timezone.localdate(item.retired_at) if item.retired_at else ""
        raise ValidationError({"item": _("该风险事项已于 %(when)s 退出清单，不再复核。") % {"when": when}})
    errors: dict[str, str] = {}
    _check_scores(likelihood, impact, errors)
    if not (note or "").strip():
        errors["note"] = _("请填写复核意见：风险是否变化、措施是否落实。")
    if errors:
        raise ValidationError(errors)
    today = timezone.localdate()
    with transaction.atomic():
        moved = RiskItem.objects.filter(pk=item.pk, version=item.version, status=RiskItem.Status.ACTIVE).update(
            likelihood=likelihood,
            impact=impact,
            last_reviewed_on=today,
            next_review_on=add_months(today, item.review_every_months),
            version=item.version + 1,
        )
        if not moved:
            raise ConflictError(_("该风险事项已被他人修改，请刷新后重试。"))
        review = RiskReview.objects.create(
            item=item, reviewed_on=today, likelihood=likelihood, impact=impact, note=note.strip(), reviewer=actor
        )
        audit_record(
            actor=actor,
            action="risk_item.review",
            obj=item,
            changes={
                "likelihood": [item.likelihood, likelihood],
                "impact": [item.impact, impact],
                "next_review_on": str(add_months(today, item.review_every_months)),
            },
        )
    item.refresh_from_db()
    return review


def risk_item_retire(*, actor, item: RiskItem, reason: str) -> RiskItem:
    if item.status != RiskItem.Status.ACTIVE:
        raise ValidationError({"item": _("该风险事项已退出清单。")})
    if not (reason or "").strip():
        raise ValidationError({"reason": _("请写明退出清单的理由。")})
    now = timezone.now()
    with transaction.atomic():
        moved = RiskItem.objects.filter(pk=item.pk, version=item.version, status=RiskItem.Status.ACTIVE).update(
            status=RiskItem.Status.RETIRED, retired_at=now, version=item.version + 1
        )
        if not moved:
            raise ConflictError(_("该风险事项已被他人修改，请刷新后重试。"))
        audit_record(actor=actor, action="risk_item.retire", obj=item, changes={"reason": reason.strip()})
    item.refresh_from_db()
    return item


def matrix_cells(items) -> list[list[dict]]:
    """The 5×5 matrix (rows: impact 5 → 1, columns: likelihood 1 → 5) with each cell's score,
    band and the number of the given items in it."""
    counts: dict[tuple[int, int], int] = {}
    for item in items:
        counts[item.likelihood, item.impact] = counts.get((item.likelihood, item.impact), 0) + 1
    rows = []
    for impact in reversed(RiskItem.SCALE):
        rows.append(
            [
                {
                    "likelihood": likelihood,
                    "impact": impact,
                    "score": likelihood * impact,
                    "band": RiskItem.band_of(likelihood * impact),
                    "count": counts.get((likelihood, impact), 0),
                }
                for likelihood in RiskItem.SCALE
            ]
        )
    return rows
