"""Risks (风险预警, policy §10): the negative lists of major enforcement risks (重大执法风险隐患
负面清单) and the three-level incident reports (突发事件信息报送, 三级负责制). Imported by
``supervision.models`` so Django knows the models.

Negative lists
- A ``RiskItem`` belongs to the list of one region: the province, a city or a county. It is scored
  likelihood × impact, each 1–5 (the 5×5 matrix of ``RiskItem.band``: 1–4 low, 5–9 medium,
  10–16 high, 20–25 extreme), carries prevention measures (``RiskMeasure``: each with an owner —
  one of the three responsible people of §6 or a named user — and a due date) and a review
  cycle (every ``review_every_months`` months, a quarter by default); ``next_review_on`` is when
  the next review is owed (alerted by ``supervision/alerts.py`` through the alert ledger).
  Retired items are kept (history); reviews (``RiskReview``) and every change are audited.
- A city or county sees the lists of the regions above it (``risk_lists_above``) and adopts an
  item into its own list (``adopted_from``, at most once per list).

Incidents
- An ``Incident`` starts at a county. The county forwards it to the city within the class's
  limit (30 minutes by default) and the city to the province (60), counted in clock minutes from
  the server's receipt time at each level (``received_at``, ``city_received_at``), never from a
  time the reporter types (``occurred_at`` is shown, never counted). ``city_due_at`` and
  ``province_due_at`` are stored when each clock starts; the minute sweep of the alert ledger
  alerts the next level's duty officer when one passes unforwarded.
- Reports (``IncidentReport``): one initial, any follow-ups, one final (closing the incident).
- An incident of a class with a zero-target goal (duty crime, conflict, negative public opinion)
  counts on the dashboards' zero figures unless it is linked to a problem or complaint of the
  same event, which counts it already (``supervision/figures.py``).
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal.accounts.scoping import ScopedQuerySet


class RiskItem(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active", _("有效")
        RETIRED = "retired", _("已退出")

    class Band(models.TextChoices):
        LOW = "low", _("低风险")
        MEDIUM = "medium", _("中风险")
        HIGH = "high", _("高风险")
        EXTREME = "extreme", _("重大风险")

    SCALE = (1, 2, 3, 4, 5)

    region = models.ForeignKey(
        "regions.Region", verbose_name=_("清单所属区划"), on_delete=models.PROTECT, related_name="+"
    )
    code = models.CharField(_("编号"), max_length=24)
    title = models.CharField(_("风险事项"), max_length=200)
    domain = models.ForeignKey(
        "regions.EnforcementDomain", verbose_name=_("执法领域"), on_delete=models.PROTECT, related_name="+"
    )
    description = models.TextField(_("风险描述"))
    likelihood = models.PositiveSmallIntegerField(_("可能性"), default=3)
    impact = models.PositiveSmallIntegerField(_("影响程度"), default=3)
    status = models.CharField(_("状态"), max_length=8, choices=Status.choices, default=Status.ACTIVE)
    review_every_months = models.PositiveSmallIntegerField(_("复核周期（月）"), default=3)
    next_review_on = models.DateField(_("下次复核日期"))
    last_reviewed_on = models.DateField(_("上次复核日期"), null=True, blank=True)
    adopted_from = models.ForeignKey(
        "self", verbose_name=_("采用自"), null=True, blank=True, on_delete=models.SET_NULL, related_name="adoptions"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("登记人"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("登记时间"), default=timezone.now)
    retired_at = models.DateTimeField(_("退出时间"), null=True, blank=True)
    version = models.PositiveIntegerField(_("版本"), default=1)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("风险隐患事项")
        verbose_name_plural = _("重大执法风险隐患负面清单")
        ordering = ["region_id", "code"]
        constraints = [
            models.UniqueConstraint(fields=["region", "code"], name="risk_item_code_once"),
            models.UniqueConstraint(
                fields=["region", "adopted_from"],
                condition=Q(adopted_from__isnull=False),
                name="risk_item_adopted_once",
            ),
            models.CheckConstraint(condition=Q(likelihood__gte=1, likelihood__lte=5), name="risk_likelihood_1_5"),
            models.CheckConstraint(condition=Q(impact__gte=1, impact__lte=5), name="risk_impact_1_5"),
            models.CheckConstraint(
                condition=Q(review_every_months__gte=1, review_every_months__lte=12), name="risk_review_cycle_1_12"
            ),
        ]
        indexes = [
            # The review alerts' scan: active items by their next review date.
            models.Index(fields=["next_review_on"], name="risk_item_review_idx", condition=Q(status="active")),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"

    @property
    def score(self) -> int:
        return self.likelihood * self.impact

    @classmethod
    def band_of(cls, score: int) -> str:
        if score >= 20:
            return cls.Band.EXTREME
        if score >= 10:
            return cls.Band.HIGH
        if score >= 5:
            return cls.Band.MEDIUM
        return cls.Band.LOW

    @property
    def band(self) -> str:
        return self.band_of(self.score)

    def get_band_display(self) -> str:
        return self.Band(self.band).label

    @property
    def review_due(self) -> bool:
        return self.status == self.Status.ACTIVE and self.next_review_on <= timezone.localdate()


class RiskMeasure(models.Model):
    """A prevention measure (防范措施) of a risk item, with its owner and due date."""

    class Owner(models.TextChoices):
        FIRST = "first", _("第一责任人（一把手）")
        DEPUTY = "deputy", _("分管领导")
        DEPARTMENT = "department", _("承办部门")
        USER = "user", _("指定人员")

    item = models.ForeignKey(RiskItem, verbose_name=_("风险事项"), on_delete=models.CASCADE, related_name="measures")
    text = models.TextField(_("防范措施"))
    owner_kind = models.CharField(_("责任人"), max_length=12, choices=Owner.choices)
    owner_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("指定责任人账号"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    due_on = models.DateField(_("完成期限"))
    done_on = models.DateField(_("完成日期"), null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = ScopedQuerySet.as_manager()
    scope_region_field = "item__region"

    class Meta:
        verbose_name = _("防范措施")
        verbose_name_plural = _("防范措施")
        ordering = ["item_id", "due_on", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(owner_kind="user", owner_user__isnull=False) | ~Q(owner_kind="user"))
                & Q(owner_kind__in=["first", "deputy", "department", "user"]),
                name="risk_measure_has_owner",
            ),
        ]

    def __str__(self) -> str:
        return self.text[:40]

    @property
    def owner_label(self) -> str:
        if self.owner_kind == self.Owner.USER and self.owner_user is not None:
            return self.owner_user.get_full_name() or self.owner_user.get_username()
        return str(self.Owner(self.owner_kind).label)


class RiskReview(models.Model):
    """One periodic review (定期复核) of a risk item: the scores then, and what was found."""

    item = models.ForeignKey(RiskItem, verbose_name=_("风险事项"), on_delete=models.CASCADE, related_name="reviews")
    reviewed_on = models.DateField(_("复核日期"))
    likelihood = models.PositiveSmallIntegerField(_("可能性"))
    impact = models.PositiveSmallIntegerField(_("影响程度"))
    note = models.TextField(_("复核意见"))
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("复核人"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    objects = ScopedQuerySet.as_manager()
    scope_region_field = "item__region"

    class Meta:
        verbose_name = _("风险复核")
        verbose_name_plural = _("风险复核记录")
        ordering = ["-reviewed_on", "-pk"]

    def __str__(self) -> str:
        return f"{self.item_id} {self.reviewed_on}"


# --- incidents ----------------------------------------------------------------------------------


class IncidentClass(models.Model):
    """A class of incident (突发事件类别) and its forwarding limits in clock minutes, editable by
    an administrator; ``zero_goal`` names the dashboards' zero-target it counts towards."""

    class ZeroGoal(models.TextChoices):
        NONE = "", _("不计入")
        DUTY_CRIME = "duty_crime", _("零职务犯罪")
        CONFLICT = "conflict", _("零执法冲突")
        OPINION = "opinion", _("零负面舆情")

    code = models.SlugField(_("代码"), max_length=24, unique=True)
    name = models.CharField(_("名称"), max_length=32, unique=True)
    county_to_city_minutes = models.PositiveSmallIntegerField(_("县报市时限（分钟）"), default=30)
    city_to_province_minutes = models.PositiveSmallIntegerField(_("市报省时限（分钟）"), default=60)
    zero_goal = models.CharField(_("计入零目标"), max_length=12, choices=ZeroGoal.choices, blank=True, default="")
    sort_order = models.PositiveSmallIntegerField(_("排序"), default=0)

    class Meta:
        verbose_name = _("突发事件类别")
        verbose_name_plural = _("突发事件类别")
        ordering = ["sort_order", "code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(county_to_city_minutes__gte=1, city_to_province_minutes__gte=1), name="incident_limits_set"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Incident(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", _("处置中")
        CLOSED = "closed", _("已终报")

    class Level(models.TextChoices):
        COUNTY = "county", _("县级")
        CITY = "city", _("市级")
        PROVINCE = "province", _("省级")

    code = models.CharField(_("编号"), max_length=24, unique=True)
    title = models.CharField(_("事件名称"), max_length=200)
    incident_class = models.ForeignKey(
        IncidentClass, verbose_name=_("事件类别"), on_delete=models.PROTECT, related_name="incidents"
    )
    region = models.ForeignKey(
        "regions.Region", verbose_name=_("发生地（县级）"), on_delete=models.PROTECT, related_name="+"
    )
    unit = models.ForeignKey(
        "regions.Unit", verbose_name=_("涉事单位"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    occurred_at = models.DateTimeField(_("报告人所述发生时间"), null=True, blank=True)
    status = models.CharField(_("状态"), max_length=8, choices=Status.choices, default=Status.OPEN)
    level = models.CharField(_("当前所在层级"), max_length=8, choices=Level.choices, default=Level.COUNTY)
    # Receipt and forwarding times, all the server's clock.
    received_at = models.DateTimeField(_("县级接报时间"), default=timezone.now)
    city_due_at = models.DateTimeField(_("报市时限"))
    forwarded_to_city_at = models.DateTimeField(_("报市时间"), null=True, blank=True)
    city_received_at = models.DateTimeField(_("市级接报时间"), null=True, blank=True)
    province_due_at = models.DateTimeField(_("报省时限"), null=True, blank=True)
    forwarded_to_province_at = models.DateTimeField(_("报省时间"), null=True, blank=True)
    province_received_at = models.DateTimeField(_("省级接报时间"), null=True, blank=True)
    closed_at = models.DateTimeField(_("终报时间"), null=True, blank=True)
    # The same event's problem or complaint: then that record counts it on the zero figures.
    problem = models.ForeignKey(
        "cases.Problem", verbose_name=_("关联问题"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    complaint = models.ForeignKey(
        "complaints.Complaint",
        verbose_name=_("关联投诉"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("报告人"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    version = models.PositiveIntegerField(_("版本"), default=1)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("突发事件")
        verbose_name_plural = _("突发事件信息报送")
        ordering = ["-received_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(forwarded_to_city_at__isnull=True) | Q(city_received_at__isnull=False),
                name="incident_city_receipt_recorded",
            ),
            models.CheckConstraint(
                condition=Q(forwarded_to_province_at__isnull=True)
                | Q(forwarded_to_city_at__isnull=False, province_received_at__isnull=False),
                name="incident_province_after_city",
            ),
            models.CheckConstraint(
                condition=Q(status="open", closed_at__isnull=True) | Q(status="closed", closed_at__isnull=False),
                name="incident_closed_has_time",
            ),
        ]
        indexes = [
            # The minute sweep's two probes: open limits not forwarded yet, by when they pass.
            models.Index(
                fields=["city_due_at"],
                name="incident_city_due_idx",
                condition=Q(forwarded_to_city_at__isnull=True, status="open"),
            ),
            models.Index(
                fields=["province_due_at"],
                name="incident_province_due_idx",
                condition=Q(forwarded_to_province_at__isnull=True, status="open", province_due_at__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"

    @property
    def city_late(self) -> bool:
        """Forwarded to the city after its limit, or not yet and the limit has passed."""
        return (self.forwarded_to_city_at or timezone.now()) > self.city_due_at and (
            self.forwarded_to_city_at is not None or self.status == self.Status.OPEN
        )

    @property
    def province_late(self) -> bool:
        if self.province_due_at is None:
            return False
        return (self.forwarded_to_province_at or timezone.now()) > self.province_due_at and (
            self.forwarded_to_province_at is not None or self.status == self.Status.OPEN
        )

    @property
    def minutes_to_city(self) -> int | None:
        return _minutes(self.received_at, self.forwarded_to_city_at)

    @property
    def minutes_to_province(self) -> int | None:
        return _minutes(self.city_received_at, self.forwarded_to_province_at)


def _minutes(start, end) -> int | None:
    if start is None or end is None:
        return None
    return int((end - start) / dt.timedelta(minutes=1))


class IncidentReport(models.Model):
    class Kind(models.TextChoices):
        INITIAL = "initial", _("首报")
        FOLLOW_UP = "follow_up", _("续报")
        FINAL = "final", _("终报")

    incident = models.ForeignKey(Incident, verbose_name=_("突发事件"), on_delete=models.CASCADE, related_name="reports")
    kind = models.CharField(_("报告类型"), max_length=10, choices=Kind.choices)
    text = models.TextField(_("报告内容"))
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("报告人"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    author_region = models.ForeignKey(
        "regions.Region", verbose_name=_("报告层级"), null=True, on_delete=models.PROTECT, related_name="+"
    )
    received_at = models.DateTimeField(_("接收时间"), default=timezone.now)

    objects = ScopedQuerySet.as_manager()
    scope_region_field = "incident__region"

    class Meta:
        verbose_name = _("事件报告")
        verbose_name_plural = _("事件报告")
        ordering = ["received_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["incident", "kind"],
                condition=Q(kind__in=["initial", "final"]),
                name="incident_report_kind_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.incident_id} {self.kind}"


class DutyOfficer(models.Model):
    """Who receives a region's incident alerts (值班人员). A region without any: its staff."""

    region = models.ForeignKey("regions.Region", verbose_name=_("区划"), on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("值班人员"), on_delete=models.CASCADE, related_name="+"
    )

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("值班人员")
        verbose_name_plural = _("值班人员")
        constraints = [models.UniqueConstraint(fields=["region", "user"], name="duty_officer_once")]

    def __str__(self) -> str:
        return f"{self.region_id} {self.user}"
