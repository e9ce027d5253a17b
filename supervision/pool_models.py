"""Enforcement supervision (执法监督, policy §7 and §13): the inspector pool, cross-region
activities with their targets, the reproducible random draws, the on-site inspection records
and their findings. Imported by ``supervision.models`` so Django knows the models.

Scoping: the pool is scoped by the pool's region (the province or a city keeps its own); an
activity by its organiser's region, widened once the visit has started to the accounts of its
targets' regions (so they read the results), and **embargoed** before that: until
``starts_on`` the accounts of a target's region (or above it, below the organiser) and of the
target unit see nothing of it (``Activity.scope_rule``, the hook of the one scoping mechanism
``portal.accounts.scoping.scope_q``). Every child (target, draw, team, record, finding, photo)
delegates to the same rule through its ``activity``.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal.accounts.scoping import ScopedQuerySet, is_province_wide, subtree_q

EVERYTHING = Q(pk__isnull=False)


class Inspector(models.Model):
    """A member of a supervision personnel pool (执法监督人员库): a portal user or a person
    without an account. ``pool_region`` is the province or the city that keeps the pool."""

    code = models.CharField(_("人员编号"), max_length=16, unique=True)
    name = models.CharField(_("姓名"), max_length=64)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("门户账号"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="inspector",
    )
    pool_region = models.ForeignKey(
        "regions.Region", verbose_name=_("所属人员库"), on_delete=models.PROTECT, related_name="+"
    )
    home_region = models.ForeignKey(
        "regions.Region", verbose_name=_("工作单位所在区划"), on_delete=models.PROTECT, related_name="+"
    )
    home_unit = models.ForeignKey(
        "regions.Unit", verbose_name=_("工作单位"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    domains = models.ManyToManyField("regions.EnforcementDomain", verbose_name=_("可监督执法领域"), related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    objects = ScopedQuerySet.as_manager()
    scope_region_field = "pool_region"

    class Meta:
        verbose_name = _("执法监督人员")
        verbose_name_plural = _("执法监督人员库")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class InspectorStatus(models.Model):
    """A status from a date (until the next entry, or ``ends_on``)."""

    class Status(models.TextChoices):
        AVAILABLE = "available", _("在库可抽")
        ON_LEAVE = "on_leave", _("休假/借调")
        LEFT = "left", _("已调离")

    inspector = models.ForeignKey(Inspector, on_delete=models.CASCADE, related_name="statuses")
    status = models.CharField(_("状态"), max_length=12, choices=Status.choices)
    starts_on = models.DateField(_("起始日期"))
    ends_on = models.DateField(_("截止日期"), null=True, blank=True)
    note = models.CharField(_("说明"), max_length=200, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_region_field = "inspector__pool_region"

    class Meta:
        verbose_name = _("人员状态")
        verbose_name_plural = _("人员状态")
        ordering = ["inspector", "starts_on", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(ends_on__gte=models.F("starts_on")), name="inspstatus_period"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_status_display()} {self.starts_on}"


class Avoidance(models.Model):
    """A declared conflict (回避): a unit or a region (with its subtree) the inspector must not
    inspect. The home region is always avoided without an entry."""

    inspector = models.ForeignKey(Inspector, on_delete=models.CASCADE, related_name="avoidances")
    unit = models.ForeignKey("regions.Unit", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    region = models.ForeignKey("regions.Region", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    reason = models.CharField(_("回避事由"), max_length=200)

    objects = ScopedQuerySet.as_manager()
    scope_region_field = "inspector__pool_region"

    class Meta:
        verbose_name = _("回避事项")
        verbose_name_plural = _("回避事项")
        constraints = [
            models.CheckConstraint(
                condition=Q(unit__isnull=False) | Q(region__isnull=False), name="avoidance_names_something"
            )
        ]

    def __str__(self) -> str:
        return self.reason


class ActivityQuerySet(ScopedQuerySet):
    pass


class Activity(models.Model):
    """A cross-region supervision activity (异地执法监督) of a quarter."""

    class Method(models.TextChoices):
        INSPECTION = "inspection", _("督查")
        UNANNOUNCED = "unannounced", _("暗访（四不两直）")
        JOINT = "joint", _("联合检查")

    class Status(models.TextChoices):
        PLANNED = "planned", _("计划中")
        DRAWN = "drawn", _("已抽取人员")
        DONE = "done", _("已完成")
        PUBLISHED = "published", _("已公开")

    code = models.CharField(_("活动编号"), max_length=32, unique=True)
    title = models.CharField(_("活动名称"), max_length=200)
    year = models.PositiveSmallIntegerField(_("年度"))
    quarter = models.PositiveSmallIntegerField(_("季度"))
    region = models.ForeignKey(
        "regions.Region", verbose_name=_("组织机关区划"), on_delete=models.PROTECT, related_name="+"
    )
    method = models.CharField(_("方式"), max_length=12, choices=Method.choices)
    domain = models.ForeignKey(
        "regions.EnforcementDomain",
        verbose_name=_("执法领域"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    starts_on = models.DateField(_("现场检查开始"))
    ends_on = models.DateField(_("现场检查结束"))
    team_size = models.PositiveSmallIntegerField(_("抽取人数"), default=3)
    joint_participants = models.TextField(_("联合检查参加部门及人员"), blank=True)
    status = models.CharField(_("状态"), max_length=12, choices=Status.choices, default=Status.PLANNED)
    published_result = models.TextField(_("公开的检查结果"), blank=True)
    published_at = models.DateTimeField(_("公开时间"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    version = models.PositiveIntegerField(default=1)

    objects = ActivityQuerySet.as_manager()
    scope_region_field = "region"

    class Meta:
        verbose_name = _("执法监督活动")
        verbose_name_plural = _("执法监督活动")
        ordering = ["-starts_on", "-id"]
        indexes = [models.Index(fields=["region", "year", "quarter"], name="supact_region_quarter_idx")]
        constraints = [
            models.CheckConstraint(condition=Q(quarter__gte=1, quarter__lte=4), name="supact_quarter_range"),
            models.CheckConstraint(condition=Q(ends_on__gte=models.F("starts_on")), name="supact_period_order"),
            models.CheckConstraint(condition=Q(team_size__gte=1, team_size__lte=30), name="supact_team_size"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"

    @property
    def started(self) -> bool:
        return timezone.localdate() >= self.starts_on

    @staticmethod
    def scope_rule(user, subtree: Q, prefix: str = "") -> Q:
        """The hook of ``portal.accounts.scoping.scope_q`` (``prefix``: the path to the activity
        from a child model, e.g. ``"activity__"``).

        Visible: the organiser's subtree, or — once the visit has started — an activity with a
        target in the user's subtree. Embargoed (四不两直): before ``starts_on`` (Asia/Shanghai),
        an activity with a target whose unit is the user's, or whose region is the user's or
        below it (accounts of the target region and of the regions between it and the organiser;
        the organiser's region and those above it excepted), is hidden whatever else would show
        it.
        """
        if not getattr(user, "is_authenticated", False) or not user.region_id:
            return Q(pk__in=[])
        today = timezone.localdate()
        outer = OuterRef("pk") if not prefix else OuterRef(prefix.rstrip("_") + "_id")
        started = Q(**{f"{prefix}starts_on__lte": today})
        if is_province_wide(user):
            seen = EVERYTHING
        else:
            reached = ActivityTarget.objects.filter(subtree_q(user, "region"), activity_id=outer)
            seen = (subtree or EVERYTHING) | (started & Exists(reached))
        # the drawn team's members with an account see the activity they are to carry out
        seen |= Exists(TeamMember.objects.filter(activity_id=outer, inspector__user_id=user.pk))
        # a target in the user's region or below it, unless the user's region is the organiser's
        # or above it: the province (and a city over its own counties' visits) organises and
        # supervises, it is not the one visited (issue 17 §4: "accounts of the target region")
        touched = Q(region__path__startswith=user.region.path) & ~Q(activity__region__path__startswith=user.region.path)
        if user.unit_id:
            touched |= Q(unit_id=user.unit_id)
        touching = ActivityTarget.objects.filter(touched, activity_id=outer)
        return seen & ~(~started & Exists(touching))


def _child_rule(user, subtree: Q) -> Q:
    return Activity.scope_rule(user, subtree, prefix="activity__")


class ActivityTarget(models.Model):
    """A unit to visit: proposed from the problem density (with the figures shown, kept as
    they were), drawn at random (双随机) or chosen by hand."""

    class Source(models.TextChoices):
        RANKED = "ranked", _("问题密度排名")
        RANDOM = "random", _("随机抽取")
        MANUAL = "manual", _("指定")

    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="targets")
    unit = models.ForeignKey("regions.Unit", verbose_name=_("被检查单位"), on_delete=models.PROTECT, related_name="+")
    region = models.ForeignKey(
        "regions.Region", verbose_name=_("被检查区划"), on_delete=models.PROTECT, related_name="+"
    )
    source = models.CharField(_("来源"), max_length=8, choices=Source.choices)
    figures = models.JSONField(_("问题密度"), default=dict, blank=True)
    visited = models.BooleanField(_("已检查"), default=False)

    objects = ScopedQuerySet.as_manager()
    scope_region_field = "activity__region"
    scope_rule = staticmethod(_child_rule)

    class Meta:
        verbose_name = _("检查对象")
        verbose_name_plural = _("检查对象")
        ordering = ["activity", "id"]
        constraints = [models.UniqueConstraint(fields=["activity", "unit"], name="supact_target_unique")]

    def __str__(self) -> str:
        return str(self.unit_id)


class Draw(models.Model):
    """One commit-then-reveal draw (see ``supervision.draws`` for the algorithm).

    Committed: the normalised candidate list, its SHA-256 and the named future public value
    (a lottery draw on ``value_date``) are fixed at ``committed_at``. Revealed: the value is
    entered (after ``value_date`` has begun), the seed and the result follow. ``seq`` 1 is
    the first draw; a redraw (seq > 1) needs a reason and keeps every earlier one."""

    class Kind(models.TextChoices):
        TEAM = "team", _("抽取检查人员")
        TARGETS = "targets", _("随机抽取检查对象")

    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="draws")
    kind = models.CharField(_("类型"), max_length=8, choices=Kind.choices)
    seq = models.PositiveSmallIntegerField(_("次序"))
    size = models.PositiveSmallIntegerField(_("抽取数量"))
    candidates = models.JSONField(_("候选名单"))  # normalised: sorted codes
    candidates_hash = models.CharField(_("候选名单哈希"), max_length=64)
    committed_at = models.DateTimeField(_("固定时间"))
    value_source = models.CharField(_("公开随机数来源"), max_length=100)
    value_date = models.DateField(_("开奖日期"))
    value_raw = models.CharField(_("开奖号码（原文）"), max_length=100, blank=True)
    value = models.CharField(_("开奖号码（规范化）"), max_length=100, blank=True)
    revealed_at = models.DateTimeField(_("揭晓时间"), null=True, blank=True)
    seed = models.CharField(_("种子"), max_length=64, blank=True)
    result = models.JSONField(_("抽取结果"), default=list, blank=True)
    reason = models.TextField(_("重抽理由"), blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    objects = ScopedQuerySet.as_manager()
    scope_region_field = "activity__region"
    scope_rule = staticmethod(_child_rule)

    class Meta:
        verbose_name = _("随机抽取")
        verbose_name_plural = _("随机抽取")
        ordering = ["activity", "kind", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["activity", "kind", "seq"], name="supdraw_seq_unique"),
            models.CheckConstraint(condition=Q(seq=1) | ~Q(reason=""), name="supdraw_redraw_has_reason"),
            models.CheckConstraint(
                condition=Q(revealed_at__isnull=True) | ~Q(value=""), name="supdraw_revealed_has_value"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.activity_id}/{self.kind}/{self.seq}"

    @property
    def revealed(self) -> bool:
        return self.revealed_at is not None


class TeamMember(models.Model):
    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="team")
    inspector = models.ForeignKey(Inspector, on_delete=models.PROTECT, related_name="memberships")
    draw = models.ForeignKey(Draw, on_delete=models.CASCADE, related_name="members")

    objects = ScopedQuerySet.as_manager()
    scope_region_field = "activity__region"
    scope_rule = staticmethod(_child_rule)

    class Meta:
        verbose_name = _("检查组成员")
        verbose_name_plural = _("检查组成员")
        constraints = [models.UniqueConstraint(fields=["activity", "inspector"], name="supteam_unique")]

    def __str__(self) -> str:
        return str(self.inspector_id)


class ChecklistVersion(models.Model):
    """The checklist of the handbook 《交通运输执法监督工作手册》 for one method, as data an
    administrator edits: a new version is a new row; a record keeps the version it used."""

    method = models.CharField(_("方式"), max_length=12, choices=Activity.Method.choices)
    version = models.PositiveSmallIntegerField(_("版本"))
    items = models.JSONField(_("检查事项"))  # a list of strings
    active = models.BooleanField(_("启用"), default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("检查清单版本")
        verbose_name_plural = _("检查清单")
        ordering = ["method", "-version"]
        constraints = [models.UniqueConstraint(fields=["method", "version"], name="checklist_version_unique")]

    def __str__(self) -> str:
        return f"{self.get_method_display()} v{self.version}"


class InspectionRecord(models.Model):
    """The on-site record of one target (one per target)."""

    target = models.OneToOneField(ActivityTarget, on_delete=models.CASCADE, related_name="record")
    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="records")
    checklist = models.ForeignKey(ChecklistVersion, on_delete=models.PROTECT, related_name="+")
    answers = models.JSONField(_("检查结果"), default=dict)  # item index -> ok | problem | na
    members = models.ManyToManyField(Inspector, verbose_name=_("到场人员"), related_name="+")
    visited_on = models.DateField(_("检查日期"))
    notes = models.TextField(_("情况记录"), blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    objects = ScopedQuerySet.as_manager()
    scope_region_field = "activity__region"
    scope_rule = staticmethod(_child_rule)

    class Meta:
        verbose_name = _("现场检查记录")
        verbose_name_plural = _("现场检查记录")

    def __str__(self) -> str:
        return f"{self.target_id} {self.visited_on}"


class Finding(models.Model):
    record = models.ForeignKey(InspectionRecord, on_delete=models.CASCADE, related_name="findings")
    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="findings")
    item = models.PositiveSmallIntegerField(_("对应检查事项"), null=True, blank=True)
    text = models.TextField(_("发现问题"))
    problem = models.OneToOneField(
        "cases.Problem", null=True, blank=True, on_delete=models.SET_NULL, related_name="supervision_finding"
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    objects = ScopedQuerySet.as_manager()
    scope_region_field = "activity__region"
    scope_rule = staticmethod(_child_rule)

    class Meta:
        verbose_name = _("检查发现")
        verbose_name_plural = _("检查发现")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.text[:40]


class FindingPhoto(models.Model):
    """An evidence photo of a finding (checked by ``cases.evidence.check_evidence``)."""

    finding = models.ForeignKey(Finding, on_delete=models.CASCADE, related_name="photos")
    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="+")
    file = models.FileField(_("文件"), upload_to="inspection/%Y/%m/")
    original_name = models.CharField(_("原文件名"), max_length=200)
    content_type = models.CharField(_("类型"), max_length=100)
    size = models.PositiveIntegerField(_("大小（字节）"))
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(default=timezone.now)

    objects = ScopedQuerySet.as_manager()
    scope_region_field = "activity__region"
    scope_rule = staticmethod(_child_rule)

    class Meta:
        verbose_name = _("检查发现照片")
        verbose_name_plural = _("检查发现照片")

    def __str__(self) -> str:
        return self.original_name
