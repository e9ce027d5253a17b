"""Performance evaluation (绩效评价, §17, §18): the indicator system of a year, its periods,
the inputs (third-party survey, mystery visits, values the province enters) and the scores.

A period's scores are computed from the portal's own figures (``portal.dashboards.registry``
named figures), from the survey and from entered values; closing a period stores every input
the score used (``IndicatorScore.inputs``), so a later change of the records never moves a
closed or published score. Only an appeal's decision re-scores, one indicator, audited.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from portal.accounts.scoping import ScopedQuerySet


class Dimension(models.TextChoices):
    DAILY = "daily", _("日常评价")
    DATA = "data", _("信息化数据评价")
    ONSITE = "onsite", _("实地评价")
    SOCIAL = "social", _("社会评价")


class Level(models.TextChoices):
    CITY = "city", _("市级交通运输局")
    COUNTY = "county", _("县级执法大队")


class IndicatorSystem(models.Model):
    year = models.PositiveSmallIntegerField(_("年度"), unique=True)
    copied_from = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("复制自")
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("指标体系")
        verbose_name_plural = _("指标体系")
        ordering = ["-year"]

    def __str__(self) -> str:
        return _("%(year)s年度指标体系") % {"year": self.year}


class Indicator(models.Model):
    class Rule(models.TextChoices):
        COMPUTED = "computed", _("平台数据自动计算")
        ENTERED = "entered", _("省厅录入（附佐证）")
        IMPORTED = "imported", _("第三方评价导入")

    system = models.ForeignKey(IndicatorSystem, on_delete=models.CASCADE, related_name="indicators")
    code = models.CharField(_("指标编号"), max_length=16)
    name = models.CharField(_("指标名称"), max_length=100)
    dimension = models.CharField(_("评价维度"), max_length=8, choices=Dimension.choices)
    level = models.CharField(_("评价对象"), max_length=8, choices=Level.choices)
    weight = models.DecimalField(_("权重（分值）"), max_digits=5, decimal_places=2)
    rule = models.CharField(_("计分方式"), max_length=8, choices=Rule.choices)
    # computed: a named figure of the dashboards' registry; imported: "satisfaction" or an item.
    figure = models.CharField(_("数据来源"), max_length=64, blank=True)
    # The scoring curve: full marks at ``target``, linear to 0 at ``zero_at`` (either direction:
    # a rate 0.95 → 0.60, a count 0 → 10). Entered values are on the same curve.
    target = models.FloatField(_("满分值"), default=1.0)
    zero_at = models.FloatField(_("零分值"), default=0.0)
    description = models.TextField(_("评分说明"), blank=True)
    sort_order = models.PositiveSmallIntegerField(_("排序"), default=0)

    class Meta:
        verbose_name = _("评价指标")
        verbose_name_plural = _("评价指标")
        ordering = ["level", "sort_order", "code"]
        constraints = [
            models.UniqueConstraint(fields=["system", "level", "code"], name="eval_indicator_code_once"),
            models.CheckConstraint(condition=Q(weight__gt=0, weight__lte=100), name="eval_indicator_weight_range"),
            models.CheckConstraint(condition=~Q(target=models.F("zero_at")), name="eval_indicator_curve_not_flat"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    def fraction(self, value: float | None) -> float:
        """The share of the weight earned by ``value`` on the linear curve (no value: full
        marks — nothing to score against is nothing done wrong; the breakdown says so)."""
        if value is None:
            return 1.0
        share = (value - self.zero_at) / (self.target - self.zero_at)
        return max(0.0, min(1.0, share))


class Period(models.Model):
    class Kind(models.TextChoices):
        HALF = "half", _("半年")
        YEAR = "year", _("年度")

    class Status(models.TextChoices):
        OPEN = "open", _("进行中")
        CLOSED = "closed", _("已关账（申诉期）")
        PUBLISHED = "published", _("已公布")

    system = models.ForeignKey(IndicatorSystem, on_delete=models.PROTECT, related_name="periods")
    kind = models.CharField(_("周期类型"), max_length=8, choices=Kind.choices)
    half = models.PositiveSmallIntegerField(_("半年"), null=True, blank=True)  # 1 or 2; None for a year
    starts_on = models.DateField(_("开始日期"))
    ends_on = models.DateField(_("结束日期"))
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.OPEN)
    closed_at = models.DateTimeField(_("关账时间"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    survey_missing = models.BooleanField(_("关账时缺第三方评价"), default=False)
    appeal_until = models.DateField(_("申诉截止日"), null=True, blank=True)
    published_at = models.DateTimeField(_("公布时间"), null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("评价周期")
        verbose_name_plural = _("评价周期")
        ordering = ["-starts_on", "kind"]
        constraints = [
            models.UniqueConstraint(fields=["system", "kind", "half"], name="eval_period_once"),
            models.UniqueConstraint(
                fields=["system", "kind"], condition=Q(half__isnull=True), name="eval_year_period_once"
            ),
            models.CheckConstraint(
                condition=Q(kind="year", half__isnull=True) | Q(kind="half", half__in=[1, 2]),
                name="eval_period_half_matches_kind",
            ),
            models.CheckConstraint(
                condition=Q(status="open") | Q(closed_at__isnull=False, closed_by__isnull=False),
                name="eval_period_closed_says_who",
            ),
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def year(self) -> int:
        return self.system.year

    @property
    def label(self) -> str:
        if self.kind == self.Kind.YEAR:
            return _("%(year)s年度") % {"year": self.starts_on.year}
        return (_("%(year)s年上半年") if self.half == 1 else _("%(year)s年下半年")) % {"year": self.starts_on.year}

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.OPEN


class SurveyResult(models.Model):
    """One region's half-yearly third-party result (questionnaire): rates are fractions 0–1."""

    period = models.ForeignKey(Period, on_delete=models.CASCADE, related_name="survey_results")
    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+")
    sample_size = models.PositiveIntegerField(_("样本量"))
    satisfaction = models.FloatField(_("满意率"))
    items = models.JSONField(_("分项得分"), default=dict, blank=True)
    imported_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    imported_at = models.DateTimeField(_("导入时间"), auto_now_add=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("第三方满意度评价")
        verbose_name_plural = _("第三方满意度评价")
        constraints = [
            models.UniqueConstraint(fields=["period", "region"], name="eval_survey_once"),
            models.CheckConstraint(condition=Q(satisfaction__gte=0, satisfaction__lte=1), name="eval_survey_rate"),
        ]

    def __str__(self) -> str:
        return f"{self._meta.verbose_name} {self.pk}"


class MysteryFinding(models.Model):
    """A mystery-visit (暗访) finding of the third party; it can become a problem."""

    period = models.ForeignKey(Period, on_delete=models.CASCADE, related_name="findings")
    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+")
    visited_on = models.DateField(_("暗访日期"))
    place = models.CharField(_("暗访地点"), max_length=100)
    finding = models.TextField(_("发现问题"))
    problem = models.ForeignKey(
        "cases.Problem", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("转为问题")
    )
    imported_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("暗访发现")
        verbose_name_plural = _("暗访发现")
        ordering = ["visited_on", "pk"]

    def __str__(self) -> str:
        return f"{self._meta.verbose_name} {self.pk}"


class EnteredValue(models.Model):
    """A value the province enters for an ``entered`` indicator, with its evidence."""

    period = models.ForeignKey(Period, on_delete=models.CASCADE, related_name="entered_values")
    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="+")
    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+")
    value = models.FloatField(_("录入值"))
    evidence = models.FileField(_("佐证材料"), upload_to="evaluation/evidence/%Y/%m/")
    note = models.CharField(_("说明"), max_length=200, blank=True)
    entered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    entered_at = models.DateTimeField(_("录入时间"), auto_now=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("录入指标值")
        verbose_name_plural = _("录入指标值")
        constraints = [models.UniqueConstraint(fields=["period", "indicator", "region"], name="eval_entered_once")]

    def __str__(self) -> str:
        return f"{self._meta.verbose_name} {self.pk}"


class EntityScore(models.Model):
    """One entity's (a city or a county) score in a period, with its ranks."""

    period = models.ForeignKey(Period, on_delete=models.CASCADE, related_name="scores")
    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+")
    level = models.CharField(_("评价对象"), max_length=8, choices=Level.choices)
    total = models.DecimalField(_("总分"), max_digits=6, decimal_places=2)
    dimensions = models.JSONField(_("维度得分"), default=dict)
    rank = models.PositiveSmallIntegerField(_("排名"))  # within its level, province-wide
    rank_in_city = models.PositiveSmallIntegerField(_("市内排名"), null=True, blank=True)  # counties
    previous_rank = models.PositiveSmallIntegerField(_("上期排名"), null=True, blank=True)
    previous_total = models.DecimalField(_("上期总分"), max_digits=6, decimal_places=2, null=True, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("评价得分")
        verbose_name_plural = _("评价得分")
        ordering = ["level", "rank", "region_id"]
        constraints = [models.UniqueConstraint(fields=["period", "region"], name="eval_score_once")]
        indexes = [models.Index(fields=["period", "level", "rank"], name="eval_score_rank_idx")]

    def __str__(self) -> str:
        return f"{self._meta.verbose_name} {self.pk}"

    @property
    def change(self) -> int | None:
        """Places gained since the previous period (positive: up)."""
        return None if self.previous_rank is None else self.previous_rank - self.rank


class IndicatorScore(models.Model):
    """One indicator's value and points for one entity, with the inputs it was computed from
    (frozen at closing)."""

    entity = models.ForeignKey(EntityScore, on_delete=models.CASCADE, related_name="indicator_scores")
    indicator = models.ForeignKey(Indicator, on_delete=models.PROTECT, related_name="+")
    value = models.FloatField(_("指标值"), null=True, blank=True)
    points = models.DecimalField(_("得分"), max_digits=6, decimal_places=2)
    inputs = models.JSONField(_("计算依据"), default=dict)

    class Meta:
        verbose_name = _("指标得分")
        verbose_name_plural = _("指标得分")
        constraints = [models.UniqueConstraint(fields=["entity", "indicator"], name="eval_indicator_score_once")]

    def __str__(self) -> str:
        return f"{self._meta.verbose_name} {self.pk}"


class Appeal(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("待裁定")
        UPHELD = "upheld", _("申诉成立（已重新计分）")
        REJECTED = "rejected", _("申诉不成立")

    entity = models.ForeignKey(EntityScore, on_delete=models.CASCADE, related_name="appeals")
    indicator = models.ForeignKey(Indicator, on_delete=models.PROTECT, related_name="+")
    reason = models.TextField(_("申诉理由"))
    evidence = models.FileField(_("佐证材料"), upload_to="evaluation/appeals/%Y/%m/")
    filed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    filed_at = models.DateTimeField(_("申诉时间"), auto_now_add=True)
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.PENDING)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(_("裁定时间"), null=True, blank=True)
    decision = models.TextField(_("裁定意见"), blank=True)
    new_value = models.FloatField(_("改正后的指标值"), null=True, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_region_field = "entity__region"

    class Meta:
        verbose_name = _("评价申诉")
        verbose_name_plural = _("评价申诉")
        ordering = ["-filed_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["entity", "indicator"], condition=Q(status="pending"), name="eval_appeal_one_pending"
            )
        ]

    def __str__(self) -> str:
        return f"{self._meta.verbose_name} {self.pk}"
