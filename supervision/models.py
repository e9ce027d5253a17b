"""Listed supervision (挂牌督办, policy §9).

The province (or a city, within its subtree) lists key problems in the supervision ledger
(督办台账). An item (``SupervisionItem``) covers one or more problems and complaints and keeps
Henan's four lists (problem, measures, rectification responsibility, supervision
responsibility). It has a deadline in working days, a reporting cadence, a supervision team of
inspectors, and moves listed → rectifying → reported → delisted (摘牌), or back to rectifying
when the acceptance fails (``supervision/transitions.py``, compare-and-swap on ``version``).

"Overdue" is never stored: it is the deadline against today for an item not delisted.
Everything is scoped by the item's region (the lowest region holding what it covers) and by what
it covers: the province sees all, a city its subtree, a county the items that cover it
(``SupervisionItemQuerySet.visible_to``).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal.accounts.capabilities import Cap, has_cap
from portal.accounts.scoping import ScopedQuerySet, subtree_q
from supervision.figure_tables import (  # noqa: F401 - the dashboards' summary tables
    IncidentFigure,
    InspectionFigure,
    SupervisionFigure,
)


class SupervisionItemQuerySet(ScopedQuerySet):
    def visible_to(self, user, cap: Cap | None = Cap.VIEW_RECORDS) -> SupervisionItemQuerySet:
        """The one scoping rule, widened to what an item covers: an item in the user's subtree,
        or one covering a problem or complaint of it (an item covering two counties is scoped
        to their city, and each county still sees it)."""
        if cap is not None and not has_cap(user, cap):
            return self.none()
        own = subtree_q(user, "region")
        if not own:  # province-wide: an empty Q
            return self.all()
        through_problems = SupervisionItem.problems.through.objects.filter(
            subtree_q(user, "problem__region"), supervisionitem_id=OuterRef("pk")
        )
        through_complaints = SupervisionItem.complaints.through.objects.filter(
            subtree_q(user, "complaint__handling_region"), supervisionitem_id=OuterRef("pk")
        )
        return self.filter(own | Exists(through_problems) | Exists(through_complaints))

    def open(self):
        return self.exclude(status=SupervisionItem.Status.DELISTED)

    def overdue(self, today=None):
        today = today or timezone.localdate()
        return self.open().filter(deadline__lt=today)

    def with_overdue(self, today=None):
        today = today or timezone.localdate()
        return self.annotate(
            is_overdue=models.ExpressionWrapper(
                ~Q(status=SupervisionItem.Status.DELISTED) & Q(deadline__lt=today), output_field=models.BooleanField()
            )
        )


class SupervisionItem(models.Model):
    class Status(models.TextChoices):
        LISTED = "listed", _("已挂牌")
        RECTIFYING = "rectifying", _("整改中")
        REPORTED = "reported", _("已报整改报告")
        DELISTED = "delisted", _("已摘牌")

    class Level(models.TextChoices):
        PROVINCE = "province", _("省级挂牌")
        CITY = "city", _("市级挂牌")

    OPEN_STATES = (Status.LISTED, Status.RECTIFYING, Status.REPORTED)

    code = models.CharField(_("督办编号"), max_length=32, unique=True)
    title = models.CharField(_("督办事项"), max_length=200)
    level = models.CharField(_("挂牌级别"), max_length=8, choices=Level.choices)
    region = models.ForeignKey(
        "regions.Region", verbose_name=_("所属区划"), on_delete=models.PROTECT, related_name="+", db_index=False
    )
    listed_by_region = models.ForeignKey(
        "regions.Region", verbose_name=_("挂牌机关区划"), on_delete=models.PROTECT, related_name="+"
    )
    unit = models.ForeignKey(
        "regions.Unit", verbose_name=_("责任单位"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    domain = models.ForeignKey(
        "regions.EnforcementDomain",
        verbose_name=_("执法领域"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # Henan's four lists (四个清单).
    problem_list = models.TextField(_("问题清单"))
    measures_list = models.TextField(_("措施清单"))
    rectification_responsibility = models.TextField(_("整改责任清单"))
    supervision_responsibility = models.TextField(_("督办责任清单"))

    problems = models.ManyToManyField(
        "cases.Problem", verbose_name=_("涉及问题"), blank=True, related_name="supervision_items"
    )
    complaints = models.ManyToManyField(
        "complaints.Complaint", verbose_name=_("涉及投诉"), blank=True, related_name="supervision_items"
    )
    team = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("督导组成员"), blank=True, related_name="supervision_teams"
    )
    serious = models.BooleanField(_("情节严重（可驻地督导）"), default=False)
    candidate_key = models.CharField(_("来源候选"), max_length=120, blank=True)

    status = models.CharField(_("状态"), max_length=12, choices=Status.choices, default=Status.LISTED)
    listed_on = models.DateField(_("挂牌日期"), default=timezone.localdate)
    deadline_days = models.PositiveSmallIntegerField(_("整改时限（工作日）"))
    deadline = models.DateField(_("整改期限"))
    deadline_provisional = models.BooleanField(_("期限为临时计算"), default=False)
    deadline_version = models.PositiveIntegerField(_("期限版本"), default=1)
    report_every_days = models.PositiveSmallIntegerField(_("报告周期（工作日）"))
    next_report_due = models.DateField(_("下次报告日期"), null=True, blank=True)
    # Set when the rectification report comes in: the team accepts on site by then.
    acceptance_due = models.DateField(_("验收期限"), null=True, blank=True)
    report_seq = models.PositiveIntegerField(_("已报进展次数"), default=0)
    failed_acceptances = models.PositiveSmallIntegerField(_("验收未通过次数"), default=0)
    version = models.PositiveIntegerField(_("版本"), default=1)  # compare-and-swap for transitions

    listed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("挂牌人"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("挂牌时间"), default=timezone.now)
    updated_at = models.DateTimeField(_("更新时间"), default=timezone.now)
    delisted_at = models.DateTimeField(_("摘牌时间"), null=True, blank=True)
    # Working days from listing to delisting (the calendar's), fixed when delisted.
    delist_working_days = models.PositiveIntegerField(_("摘牌用时（工作日）"), null=True, blank=True)
    # What the public page shows once delisted (no personal data, checked on write).
    handling_result = models.TextField(_("处理结果"), blank=True)

    objects = SupervisionItemQuerySet.as_manager()
    scope_region_field = "region"

    class Meta:
        verbose_name = _("督办事项")
        verbose_name_plural = _("督办台账")
        ordering = ["-listed_on", "-id"]
        indexes = [
            models.Index(fields=["-listed_on", "-id"], name="supitem_listed_idx"),
            models.Index(fields=["region", "-listed_on"], name="supitem_region_listed_idx"),
            models.Index(
                fields=["deadline"],
                name="supitem_open_deadline_idx",
                condition=Q(status__in=["listed", "rectifying", "reported"]),
            ),
            models.Index(
                fields=["next_report_due"],
                name="supitem_report_due_idx",
                condition=Q(status__in=["listed", "rectifying"]),
            ),
            models.Index(fields=["acceptance_due"], name="supitem_acceptance_due_idx", condition=Q(status="reported")),
            models.Index(fields=["status", "region"], name="supitem_status_region_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="delisted", delisted_at__isnull=False) | ~Q(status="delisted"),
                name="supitem_delisted_has_time",
            ),
            models.CheckConstraint(
                condition=Q(deadline_days__gte=1, deadline_days__lte=365), name="supitem_deadline_days_range"
            ),
            models.CheckConstraint(
                condition=Q(report_every_days__gte=1, report_every_days__lte=60), name="supitem_report_every_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATES

    def overdue_on(self, day=None) -> bool:
        day = day or timezone.localdate()
        return self.is_open and self.deadline < day

    @property
    def delisted_on_time(self) -> bool | None:
        if self.delisted_at is None:
            return None
        return timezone.localtime(self.delisted_at).date() <= self.deadline


class ProgressReport(models.Model):
    """A periodic progress report (进展报告) or the rectification report (整改报告)."""

    class Kind(models.TextChoices):
        PROGRESS = "progress", _("阶段进展报告")
        RECTIFICATION = "rectification", _("整改报告")

    item = models.ForeignKey(SupervisionItem, on_delete=models.CASCADE, related_name="reports")
    kind = models.CharField(_("类型"), max_length=16, choices=Kind.choices, default=Kind.PROGRESS)
    text = models.TextField(_("报告内容"))
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("报告时间"), default=timezone.now)

    objects = ScopedQuerySet.as_manager()
    scope_region_field = "item__region"

    class Meta:
        verbose_name = _("督办进展报告")
        verbose_name_plural = _("督办进展报告")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.text[:40]


class AcceptanceVisit(models.Model):
    """The team's on-site acceptance (现场验收): date, members, findings, result."""

    class Result(models.TextChoices):
        PASSED = "passed", _("验收通过，予以摘牌")
        FAILED = "failed", _("验收未通过，继续整改")

    item = models.ForeignKey(SupervisionItem, on_delete=models.CASCADE, related_name="visits")
    visited_on = models.DateField(_("验收日期"))
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, verbose_name=_("验收人员"), related_name="+")
    findings = models.TextField(_("验收发现"))
    result = models.CharField(_("验收结果"), max_length=8, choices=Result.choices)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("记录时间"), default=timezone.now)

    objects = ScopedQuerySet.as_manager()
    scope_region_field = "item__region"

    class Meta:
        verbose_name = _("验收记录")
        verbose_name_plural = _("验收记录")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.visited_on} {self.get_result_display()}"


class Stationing(models.Model):
    """Stationed supervision (驻地督导) of a serious item: a period on site with daily logs."""

    item = models.ForeignKey(SupervisionItem, on_delete=models.CASCADE, related_name="stationings")
    starts_on = models.DateField(_("驻地开始"))
    ends_on = models.DateField(_("驻地结束"))
    place = models.CharField(_("驻地地点"), max_length=200)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    objects = ScopedQuerySet.as_manager()
    scope_region_field = "item__region"

    class Meta:
        verbose_name = _("驻地督导")
        verbose_name_plural = _("驻地督导")
        ordering = ["starts_on", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(ends_on__gte=models.F("starts_on")), name="stationing_period_order"),
        ]

    def __str__(self) -> str:
        return f"{self.starts_on} – {self.ends_on}"


class StationLog(models.Model):
    stationing = models.ForeignKey(Stationing, on_delete=models.CASCADE, related_name="logs")
    day = models.DateField(_("日期"))
    text = models.TextField(_("督导日志"))
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    objects = ScopedQuerySet.as_manager()
    scope_region_field = "stationing__item__region"

    class Meta:
        verbose_name = _("驻地督导日志")
        verbose_name_plural = _("驻地督导日志")
        ordering = ["day", "id"]
        constraints = [models.UniqueConstraint(fields=["stationing", "day"], name="station_log_one_per_day")]

    def __str__(self) -> str:
        return f"{self.day}"


class SupervisionEvidence(models.Model):
    """An evidence file of a report, a visit or a log (stored like ``cases.Evidence``: outside
    the web root, type by content, served only to readers of the item)."""

    item = models.ForeignKey(SupervisionItem, on_delete=models.CASCADE, related_name="evidence")
    report = models.ForeignKey(ProgressReport, null=True, blank=True, on_delete=models.CASCADE, related_name="files")
    visit = models.ForeignKey(AcceptanceVisit, null=True, blank=True, on_delete=models.CASCADE, related_name="files")
    file = models.FileField(_("文件"), upload_to="supervision/%Y/%m/")
    original_name = models.CharField(_("原文件名"), max_length=200)
    content_type = models.CharField(_("类型"), max_length=100)
    size = models.PositiveIntegerField(_("大小（字节）"))
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(_("上传时间"), default=timezone.now)

    objects = ScopedQuerySet.as_manager()
    scope_region_field = "item__region"

    class Meta:
        verbose_name = _("督办佐证材料")
        verbose_name_plural = _("督办佐证材料")
        ordering = ["uploaded_at", "id"]

    def __str__(self) -> str:
        return self.original_name


class Referral(models.Model):
    """提请追责: ineffective rectification (a second failed acceptance, or the deadline passed by
    M working days) proposes a referral to the local party committee and government; sending it
    records an accountability entry (``cases.Accountability``)."""

    class Reason(models.TextChoices):
        SECOND_FAILURE = "second_failure", _("两次验收未通过")
        DEADLINE_PASSED = "deadline_passed", _("超过整改期限")

    class Status(models.TextChoices):
        PROPOSED = "proposed", _("建议提请追责")
        SENT = "sent", _("已提请追责")

    item = models.ForeignKey(SupervisionItem, on_delete=models.CASCADE, related_name="referrals")
    reason = models.CharField(_("提请原因"), max_length=16, choices=Reason.choices)
    status = models.CharField(_("状态"), max_length=8, choices=Status.choices, default=Status.PROPOSED)
    proposed_at = models.DateTimeField(_("建议时间"), default=timezone.now)
    sent_at = models.DateTimeField(_("提请时间"), null=True, blank=True)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    recipient = models.CharField(_("提请对象"), max_length=200, blank=True)
    accountability = models.ForeignKey(
        "cases.Accountability", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = ScopedQuerySet.as_manager()
    scope_region_field = "item__region"

    class Meta:
        verbose_name = _("提请追责")
        verbose_name_plural = _("提请追责")
        ordering = ["proposed_at", "id"]
        constraints = [
            # One open proposal per item: a sweep and a failed acceptance never propose twice.
            models.UniqueConstraint(fields=["item"], condition=Q(status="proposed"), name="referral_one_proposed"),
            models.CheckConstraint(
                condition=~Q(status="sent") | Q(sent_at__isnull=False), name="referral_sent_has_time"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_reason_display()} {self.get_status_display()}"


class CandidateDismissal(models.Model):
    """A dismissed listing candidate: kept with its reason, and hidden until its count exceeds
    the count at dismissal. One per candidate key and dismissing region."""

    key = models.CharField(_("候选标识"), max_length=120)
    region = models.ForeignKey("regions.Region", verbose_name=_("区划"), on_delete=models.CASCADE, related_name="+")
    count_at_dismissal = models.PositiveIntegerField(_("不予挂牌时的数量"))
    reason = models.TextField(_("不予挂牌理由"))
    dismissed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    dismissed_at = models.DateTimeField(default=timezone.now)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("不予挂牌的候选")
        verbose_name_plural = _("不予挂牌的候选")
        constraints = [models.UniqueConstraint(fields=["key", "region"], name="candidate_dismissal_unique")]

    def __str__(self) -> str:
        return self.key


from supervision.pool_models import (  # noqa: E402,F401 - enforcement supervision (执法监督)
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
from supervision.risk_models import (  # noqa: E402,F401 - risks (风险预警): negative lists, incidents
    DutyOfficer,
    Incident,
    IncidentClass,
    IncidentReport,
    RiskItem,
    RiskMeasure,
    RiskReview,
)
from supervision.warning_models import MonitoringRun, MonitoringWarning  # noqa: E402,F401 - 监测预警 (issue 18 §2)
