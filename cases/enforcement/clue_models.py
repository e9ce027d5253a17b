"""The exemption list, discretion benchmarks and problem clues (issue 19, policy §3 §14).

``ExemptionItem`` is one item of Henan's list of minor violations exempt from penalty
(轻微违法行为免予行政处罚事项清单) in one version: the violation item it covers, its conditions
and the dates it is in force. ``DiscretionBenchmark`` is the fine range of one violation item at
one discretion level, versioned the same way. A case is judged by the version in force on its
decision date (``effective_from <= decided_on`` and ``effective_to`` empty or after it). Two
versions of one item (or one item and level) never overlap: the services check it under a lock
on the violation item, and the table's exclusion constraint refuses what slips past them.

``ClueRule`` is a rule of the clue engine as data (on/off and its numeric thresholds);
``Clue`` a candidate problem found in the case data (``cases/enforcement/clues.py``), accepted
into the problem list or dismissed with a reason (compare-and-swap on ``version``, audited).
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import ArrayField, BigIntegerRangeField, DateRangeField, RangeOperators
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal.accounts.scoping import ScopedQuerySet
from portal.dashboards.models import FigureTable, count_field

# the size of the official list (DESIGN.md: "Henan's list has 20 items"); the items not entered
# yet are shown as waiting for an administrator, never made up
OFFICIAL_LIST_SIZE = 20


def in_force_range():
    """[effective_from, effective_to) as a PostgreSQL daterange (open-ended when to is empty)."""
    return models.Func(
        models.F("effective_from"),
        models.F("effective_to"),
        models.Value("[)"),
        function="daterange",
        output_field=DateRangeField(),
    )


LEVELS = ("mitigated", "lighter", "general", "heavier")


def point_range(value) -> models.Func:
    """[value, value] as an int8range: GiST compares ranges natively, so "the same item (and
    level)" is an overlap of two points and the exclusion constraints need no btree_gist (the
    embedded PostgreSQL of the tests does not ship that extension)."""
    return models.Func(value, value, models.Value("[]"), function="int8range", output_field=BigIntegerRangeField())


def level_number():
    return models.Case(
        *(models.When(level=level, then=models.Value(n)) for n, level in enumerate(LEVELS)),
        default=models.Value(len(LEVELS)),
        output_field=models.BigIntegerField(),
    )


class Condition(models.TextChoices):
    """The conditions DESIGN.md names, all of which must hold for an exemption."""

    FIRST_OFFENCE = "first_offence", _("初次违法")
    NO_OBSTRUCTION = "no_obstruction", _("未阻碍执法")
    CORRECTED = "corrected", _("按要求改正")
    NO_HARM = "no_harm", _("未造成危害后果")
    REMOVED_IN_TIME = "removed_in_time", _("在规定期限内消除后果")


class Provenance(models.TextChoices):
    DESIGN = "design", _("已知（设计文件所载）")
    ADMIN = "admin", _("管理员依正式文本录入")
    DEMO = "demo", _("演示数据（非正式标准，须由管理员替换）")


class ExemptionItem(models.Model):
    violation_item = models.ForeignKey(
        "cases.ViolationItem", verbose_name=_("违法事项"), on_delete=models.PROTECT, related_name="exemptions"
    )
    name = models.CharField(_("免罚事项"), max_length=200)
    legal_basis = models.CharField(_("依据"), max_length=200, blank=True)
    conditions = ArrayField(
        models.CharField(max_length=24, choices=Condition.choices), verbose_name=_("免罚条件"), default=list
    )
    first_offence_days = models.PositiveIntegerField(_("首违认定期间（日）"), default=365)
    effective_from = models.DateField(_("生效日期"))
    effective_to = models.DateField(_("失效日期"), null=True, blank=True)  # exclusive; empty: still in force
    provenance = models.CharField(_("来源"), max_length=8, choices=Provenance.choices, default=Provenance.ADMIN)
    note = models.CharField(_("说明"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("录入时间"), default=timezone.now)

    class Meta:
        verbose_name = _("轻微违法免罚事项")
        verbose_name_plural = _("轻微违法免罚事项清单")
        ordering = ["violation_item__code", "-effective_from"]
        constraints = [
            models.CheckConstraint(
                condition=Q(effective_to__isnull=True) | Q(effective_to__gt=models.F("effective_from")),
                name="exemption_dates_ordered",
            ),
            ExclusionConstraint(
                name="exemption_versions_no_overlap",
                expressions=[
                    (point_range(models.F("violation_item")), RangeOperators.OVERLAPS),
                    (in_force_range(), RangeOperators.OVERLAPS),
                ],
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.effective_from}–{self.effective_to or ''})"

    def condition_labels(self) -> list[str]:
        labels = dict(Condition.choices)
        return [str(labels.get(c, c)) for c in self.conditions]

    def in_force_on(self, day) -> bool:
        return self.effective_from <= day and (self.effective_to is None or day < self.effective_to)


class DiscretionBenchmark(models.Model):
    violation_item = models.ForeignKey(
        "cases.ViolationItem", verbose_name=_("违法事项"), on_delete=models.PROTECT, related_name="benchmarks"
    )
    level = models.CharField(
        _("裁量等级"),
        max_length=16,
        choices=[  # the levels of EnforcementCase.Discretion that carry a fine range (LEVELS)
            ("mitigated", _("减轻处罚")),
            ("lighter", _("从轻处罚")),
            ("general", _("一般处罚")),
            ("heavier", _("从重处罚")),
        ],
    )
    min_amount = models.DecimalField(_("罚款下限（元）"), max_digits=12, decimal_places=2)
    max_amount = models.DecimalField(_("罚款上限（元）"), max_digits=12, decimal_places=2)
    effective_from = models.DateField(_("生效日期"))
    effective_to = models.DateField(_("失效日期"), null=True, blank=True)
    provenance = models.CharField(_("来源"), max_length=8, choices=Provenance.choices, default=Provenance.ADMIN)
    note = models.CharField(_("说明"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("录入时间"), default=timezone.now)

    class Meta:
        verbose_name = _("裁量基准")
        verbose_name_plural = _("裁量基准")
        ordering = ["violation_item__code", "level", "-effective_from"]
        constraints = [
            models.CheckConstraint(condition=Q(min_amount__lte=models.F("max_amount")), name="benchmark_min_le_max"),
            models.CheckConstraint(condition=Q(min_amount__gte=0), name="benchmark_min_nonnegative"),
            models.CheckConstraint(
                condition=Q(effective_to__isnull=True) | Q(effective_to__gt=models.F("effective_from")),
                name="benchmark_dates_ordered",
            ),
            ExclusionConstraint(
                name="benchmark_versions_no_overlap",
                expressions=[
                    (point_range(models.F("violation_item") * 8 + level_number()), RangeOperators.OVERLAPS),
                    (in_force_range(), RangeOperators.OVERLAPS),
                ],
            ),
        ]

    def __str__(self) -> str:
        return f"{self.violation_item_id}/{self.level} {self.min_amount}–{self.max_amount}"


class ClueRule(models.Model):
    """One rule of the clue engine: its code names the SQL in ``clues.RULES``; ``params`` holds
    its thresholds (numbers, checked against ``clues.RULES[code].params`` when saved)."""

    code = models.CharField(_("规则代码"), max_length=32, unique=True)
    name = models.CharField(_("规则名称"), max_length=64)
    description = models.CharField(_("规则说明"), max_length=300, blank=True)
    enabled = models.BooleanField(_("启用"), default=True)
    params = models.JSONField(_("阈值参数"), default=dict, blank=True)
    version = models.PositiveIntegerField(_("版本"), default=1)
    updated_at = models.DateTimeField(_("修改时间"), default=timezone.now)

    class Meta:
        verbose_name = _("线索规则")
        verbose_name_plural = _("线索规则")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class Clue(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", _("待研判")
        ACCEPTED = "accepted", _("已转为问题")
        DISMISSED = "dismissed", _("已排除")

    rule = models.ForeignKey(ClueRule, verbose_name=_("规则"), on_delete=models.PROTECT, related_name="clues")
    key = models.CharField(_("线索标识"), max_length=96)  # what makes it one clue (a case, a unit-month …)
    unit = models.ForeignKey("regions.Unit", verbose_name=_("单位"), on_delete=models.PROTECT, related_name="+")
    region = models.ForeignKey("regions.Region", verbose_name=_("区划"), on_delete=models.PROTECT, related_name="+")
    figures = models.JSONField(_("依据数据"), default=dict)
    case_keys = ArrayField(models.BigIntegerField(), verbose_name=_("涉及案件"), default=list)
    case_count = models.PositiveIntegerField(_("涉及案件数"), default=0)
    status = models.CharField(_("状态"), max_length=12, choices=Status.choices, default=Status.OPEN)
    version = models.PositiveIntegerField(_("版本"), default=1)
    problem = models.ForeignKey(
        "cases.Problem", verbose_name=_("转立问题"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    note = models.TextField(_("处理说明"), blank=True)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    handled_at = models.DateTimeField(_("处理时间"), null=True, blank=True)
    found_at = models.DateTimeField(_("发现时间"), default=timezone.now)
    seen_at = models.DateTimeField(_("最近一次检出"), default=timezone.now)

    objects = ScopedQuerySet.as_manager()
    scope_region_field = "region"

    class Meta:
        verbose_name = _("问题线索")
        verbose_name_plural = _("问题线索")
        ordering = ["-found_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["rule", "key"], name="clue_rule_key_unique"),
            models.CheckConstraint(condition=~Q(status="dismissed") | ~Q(note=""), name="clue_dismissed_has_reason"),
            models.CheckConstraint(
                condition=~Q(status="accepted") | Q(problem__isnull=False), name="clue_accepted_has_problem"
            ),
        ]
        indexes = [
            models.Index(fields=["region", "-found_at"], name="clue_region_found_idx"),
            models.Index(fields=["rule", "unit"], name="clue_open_rule_unit_idx", condition=Q(status="open")),
        ]

    def __str__(self) -> str:
        return f"{self.rule_id}:{self.key}"


class ClueRun(models.Model):
    """One run of the engine (an upload's check or the nightly rescan): what it looked at, what
    it found per rule and how long each rule's statement took."""

    kind = models.CharField(_("类型"), max_length=12)  # upload, nightly, rescan
    cases = models.PositiveIntegerField(_("检查案件数"), default=0)
    found = models.JSONField(_("各规则检出"), default=dict)
    seconds = models.JSONField(_("各规则耗时（秒）"), default=dict)
    total_seconds = models.FloatField(_("总耗时（秒）"), default=0)
    finished_at = models.DateTimeField(_("完成时间"), default=timezone.now)

    class Meta:
        verbose_name = _("线索检查运行")
        verbose_name_plural = _("线索检查运行")
        ordering = ["-finished_at"]

    def __str__(self) -> str:
        return f"{self.kind} {self.finished_at:%Y-%m-%d %H:%M}"


class ClueFigure(FigureTable):
    """The dashboards' summary table of clues (``clue_figures.py`` fills it from the clues): by
    the clue's region and unit, and by rule (``rule``) or by unit (``agency``: the unit again,
    kept in the subtree rows so a region's dashboard lists its units)."""

    rule = models.ForeignKey(ClueRule, null=True, on_delete=models.CASCADE, related_name="+", db_index=False)
    agency = models.ForeignKey("regions.Unit", null=True, on_delete=models.CASCADE, related_name="+", db_index=False)

    DIMENSIONS = ("dim", "rule", "agency", "month")

    total = count_field()
    open = count_field()
    accepted = count_field()
    dismissed = count_field()

    class Meta:
        indexes = [
            models.Index(fields=["dim", "region"], name="dash_clue_dim_region_idx"),
            models.Index(fields=["unit", "dim"], name="dash_clue_unit_dim_idx"),
        ]
