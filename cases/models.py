"""The problem list (问题清单) and its rectification (整改), policy §4-§6.

A problem is found through any channel, gets a rectification plan with a deadline counted in
working days, is rectified with evidence, verified by the level above and closed (销号).
"Overdue" is never stored: it is derived from the deadline and the state (``OPEN_STATES``).
State changes go through ``cases.services.problem_transition`` and the table in
``cases/transitions.py``.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cases.enforcement.clue_models import (  # noqa: F401 - exemption list, benchmarks, clues
    Clue,
    ClueFigure,
    ClueRule,
    ClueRun,
    DiscretionBenchmark,
    ExemptionItem,
)
from cases.enforcement.models import (  # noqa: F401 - enforcement case data (its own package)
    CaseUploadClient,
    EnforcementCase,
    EnforcementCaseKey,
    EnforcementCaseTally,
    EnforcementFigure,
    ViolationItem,
)
from cases.figure_tables import ProblemFigure  # noqa: F401 - the dashboards' summary table
from portal.accounts.scoping import ScopedQuerySet


class Category(models.Model):
    """Misconduct categories: an editable two-level list seeded from the 2023 campaign's five
    classes, 公路"三乱", 吃拿卡要 and Henan's 八不准/六严禁 (discipline rules)."""

    class Group(models.TextChoices):
        CAMPAIGN_2023 = "campaign2023", _("2023年专项整治五类突出问题")
        SANLUAN = "sanluan", _('公路"三乱"')
        CHINAKAYAO = "chinakayao", _("吃拿卡要")
        BABUZHUN = "babuzhun", _("八不准")
        LIUYANJIN = "liuyanjin", _("六严禁")
        OTHER = "other", _("其他")

    code = models.SlugField(_("代码"), max_length=48, unique=True)
    name = models.CharField(_("名称"), max_length=64)
    group = models.CharField(_("来源"), max_length=16, choices=Group.choices)
    parent = models.ForeignKey(
        "self", verbose_name=_("上级类别"), null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    # A breach of Henan's enforcement discipline counts toward the 四必究 rule.
    is_discipline_breach = models.BooleanField(_("属于执法纪律违规"), default=False)
    # Complaints in these categories are escalated to the level above (提级办理, §8).
    escalate_complaints = models.BooleanField(_("投诉提级办理"), default=False)
    sort_order = models.PositiveSmallIntegerField(_("排序"), default=0)
    active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("问题类别")
        verbose_name_plural = _("问题类别")
        ordering = ["group", "sort_order", "code"]

    def __str__(self) -> str:
        return f"{self.parent.name} / {self.name}" if self.parent_id and self.parent else self.name


class ProblemQuerySet(ScopedQuerySet):
    def open(self):
        return self.filter(status__in=Problem.OPEN_STATES)

    def overdue(self, today=None):
        today = today or timezone.localdate()
        return self.filter(status__in=Problem.OPEN_STATES, deadline__lt=today)

    def with_overdue(self, today=None):
        today = today or timezone.localdate()
        return self.annotate(
            is_overdue=models.ExpressionWrapper(
                Q(status__in=Problem.OPEN_STATES, deadline__lt=today), output_field=models.BooleanField()
            )
        )


class Problem(models.Model):
    class Status(models.TextChoices):
        REGISTERED = "registered", _("已登记")
        ASSIGNED = "assigned", _("已交办")
        RECTIFYING = "rectifying", _("整改中")
        SUBMITTED = "submitted", _("待核查")
        CLOSED = "closed", _("已销号")

    class Source(models.TextChoices):
        INSPECTION = "inspection", _("监督检查")
        UNANNOUNCED_VISIT = "unannounced", _("暗访")
        COMPLAINT = "complaint", _("投诉举报")
        PUBLIC_OPINION = "opinion", _("舆情")
        SELF_INSPECTION = "self", _("自查")
        DATA_ANALYSIS = "data", _("数据分析")
        REFERRAL = "referral", _("上级交办")
        THIRD_PARTY = "third_party", _("第三方评估")
        MEDIA = "media", _("媒体曝光")
        CROSS_REGION = "cross_region", _("异地执法监督")

    class Severity(models.TextChoices):
        GENERAL = "general", _("一般")
        SERIOUS = "serious", _("较重")
        GRAVE = "grave", _("严重")

    OPEN_STATES = (Status.REGISTERED, Status.ASSIGNED, Status.RECTIFYING, Status.SUBMITTED)

    code = models.CharField(_("问题编号"), max_length=32, unique=True)
    title = models.CharField(_("问题标题"), max_length=200)
    description = models.TextField(_("问题描述"), blank=True)
    category = models.ForeignKey(
        Category, verbose_name=_("问题类别"), on_delete=models.PROTECT, related_name="problems"
    )
    source = models.CharField(_("发现渠道"), max_length=16, choices=Source.choices)
    severity = models.CharField(_("严重程度"), max_length=8, choices=Severity.choices, default=Severity.GENERAL)
    region = models.ForeignKey("regions.Region", verbose_name=_("所属区划"), on_delete=models.PROTECT, related_name="+")
    unit = models.ForeignKey(
        "regions.Unit", verbose_name=_("责任单位"), on_delete=models.PROTECT, related_name="problems"
    )
    domain = models.ForeignKey(
        "regions.EnforcementDomain", verbose_name=_("执法领域"), on_delete=models.PROTECT, related_name="problems"
    )
    is_key = models.BooleanField(_("重点问题"), default=False)
    # The three responsible people of §6: 一把手总负责, 分管领导抓推进, 业务部门具体承办.
    first_responsible = models.CharField(_("第一责任人"), max_length=64, blank=True)
    deputy_in_charge = models.CharField(_("分管领导"), max_length=64, blank=True)
    handling_department = models.CharField(_("承办部门"), max_length=64, blank=True)
    first_responsible_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("第一责任人账号"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    deputy_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("分管领导账号"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    handler_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("承办人账号"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    status = models.CharField(_("状态"), max_length=12, choices=Status.choices, default=Status.REGISTERED)
    deadline = models.DateField(_("整改期限"), null=True, blank=True)
    # Bumped whenever the deadline moves (extension, return), so alerts for an old deadline
    # are never confused with the new one.
    deadline_version = models.PositiveIntegerField(_("期限版本"), default=1)
    deadline_provisional = models.BooleanField(_("期限为临时计算"), default=False)
    version = models.PositiveIntegerField(_("版本"), default=1)  # compare-and-swap for transitions

    found_on = models.DateField(_("发现日期"), default=timezone.localdate)
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("登记人"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("登记时间"), default=timezone.now)
    updated_at = models.DateTimeField(_("更新时间"), default=timezone.now)
    closed_at = models.DateTimeField(_("销号时间"), null=True, blank=True)

    objects = ProblemQuerySet.as_manager()
    scope_region_field = "region"

    class Meta:
        verbose_name = _("问题")
        verbose_name_plural = _("问题清单")
        ordering = ["-created_at", "-id"]
        indexes = [
            # The list page's default order: alone for the province (a page is the first rows of
            # this index, not a sort of the whole list), after the region for a county.
            models.Index(fields=["-created_at", "-id"], name="problem_created_idx"),
            models.Index(fields=["region", "-created_at"], name="problem_region_created_idx"),
            # "Open and due before": alert sweeps, overdue lists and dashboards.
            models.Index(
                fields=["deadline"],
                name="problem_open_deadline_idx",
                condition=Q(status__in=["registered", "assigned", "rectifying", "submitted"]),
            ),
            models.Index(fields=["status", "region"], name="problem_status_region_idx"),
            models.Index(fields=["category", "region"], name="problem_category_region_idx"),
            models.Index(fields=["unit", "status"], name="problem_unit_status_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="closed", closed_at__isnull=False) | ~Q(status="closed"),
                name="problem_closed_has_time",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["registered"]) | Q(deadline__isnull=False),
                name="problem_deadline_once_assigned",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATES

    def overdue_on(self, day=None) -> bool:
        day = day or timezone.localdate()
        return self.is_open and self.deadline is not None and self.deadline < day


class ProblemLink(models.Model):
    """What raised a problem (a complaint, an inspection finding, a case record ...), kept
    both ways: the other side finds its problems through (object_type, object_id)."""

    problem = models.ForeignKey(Problem, on_delete=models.CASCADE, related_name="links")
    object_type = models.CharField(_("对象类型"), max_length=64)
    object_id = models.CharField(_("对象ID"), max_length=64)
    note = models.CharField(_("说明"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("问题来源关联")
        verbose_name_plural = _("问题来源关联")
        constraints = [
            models.UniqueConstraint(fields=["problem", "object_type", "object_id"], name="problem_link_unique"),
        ]
        indexes = [models.Index(fields=["object_type", "object_id"], name="problem_link_target_idx")]

    def __str__(self) -> str:
        return f"{self.object_type}:{self.object_id}"


class DeadlineRule(models.Model):
    """Default rectification time limits in working days, per category and severity; a rule
    without a category applies to every category of that severity."""

    category = models.ForeignKey(Category, verbose_name=_("问题类别"), null=True, blank=True, on_delete=models.CASCADE)
    severity = models.CharField(_("严重程度"), max_length=8, choices=Problem.Severity.choices)
    working_days = models.PositiveSmallIntegerField(_("整改时限（工作日）"))

    class Meta:
        verbose_name = _("整改时限规则")
        verbose_name_plural = _("整改时限规则")
        constraints = [
            models.UniqueConstraint(fields=["category", "severity"], name="deadline_rule_unique"),
            models.UniqueConstraint(
                fields=["severity"], condition=Q(category__isnull=True), name="deadline_rule_default_unique"
            ),
            models.CheckConstraint(condition=Q(working_days__gte=1, working_days__lte=365), name="deadline_rule_range"),
        ]

    def __str__(self) -> str:
        return f"{self.category or _('全部类别')} / {self.get_severity_display()}: {self.working_days}"


class RectificationPlan(models.Model):
    problem = models.OneToOneField(Problem, on_delete=models.CASCADE, related_name="plan")
    measures = models.TextField(_("整改措施"))
    route_map = models.TextField(_("路线图"), blank=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    updated_at = models.DateTimeField(_("更新时间"), default=timezone.now)

    class Meta:
        verbose_name = _("整改方案")
        verbose_name_plural = _("整改方案")

    def __str__(self) -> str:
        return str(self.problem_id)


class Milestone(models.Model):
    plan = models.ForeignKey(RectificationPlan, on_delete=models.CASCADE, related_name="milestones")
    title = models.CharField(_("节点"), max_length=200)
    due_on = models.DateField(_("计划完成日期"))
    done_on = models.DateField(_("实际完成日期"), null=True, blank=True)
    # Why a milestone not done is no obstacle to submitting (a change of plan, a step overtaken).
    explanation = models.TextField(_("未完成说明"), blank=True)

    class Meta:
        verbose_name = _("时间节点")
        verbose_name_plural = _("时间节点")
        ordering = ["due_on", "id"]

    def __str__(self) -> str:
        return f"{self.due_on} {self.title}"


class ExtensionRequest(models.Model):
    class Decision(models.TextChoices):
        PENDING = "pending", _("待审批")
        APPROVED = "approved", _("已批准")
        REFUSED = "refused", _("不予批准")

    problem = models.ForeignKey(Problem, on_delete=models.CASCADE, related_name="extensions")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(_("申请时间"), default=timezone.now)
    current_deadline = models.DateField(_("原期限"))
    requested_deadline = models.DateField(_("申请延期至"))
    reason = models.TextField(_("延期理由"))
    decision = models.CharField(_("审批结果"), max_length=8, choices=Decision.choices, default=Decision.PENDING)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(_("审批时间"), null=True, blank=True)
    decision_note = models.TextField(_("审批意见"), blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_region_field = "problem__region"

    class Meta:
        verbose_name = _("延期申请")
        verbose_name_plural = _("延期申请")
        ordering = ["-requested_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["problem"], condition=Q(decision="pending"), name="extension_one_pending_per_problem"
            ),
            models.CheckConstraint(
                condition=Q(requested_deadline__gt=models.F("current_deadline")), name="extension_moves_forward"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.requested_deadline} {self.get_decision_display()}"


class ProgressEntry(models.Model):
    problem = models.ForeignKey(Problem, on_delete=models.CASCADE, related_name="progress")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    note = models.TextField(_("整改进展"))
    created_at = models.DateTimeField(_("时间"), default=timezone.now)

    objects = ScopedQuerySet.as_manager()
    scope_region_field = "problem__region"

    class Meta:
        verbose_name = _("整改进展")
        verbose_name_plural = _("整改进展")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.note[:40]


class Evidence(models.Model):
    """An evidence file, stored under MEDIA_ROOT (outside the web root) and served only by a
    view that checks the reader may see the problem."""

    problem = models.ForeignKey(Problem, on_delete=models.CASCADE, related_name="evidence")
    progress = models.ForeignKey(ProgressEntry, null=True, blank=True, on_delete=models.SET_NULL, related_name="files")
    # Evidence of a verification (photos of the site, the written check's papers).
    verification = models.ForeignKey(
        "Verification", null=True, blank=True, on_delete=models.SET_NULL, related_name="files"
    )
    file = models.FileField(_("文件"), upload_to="evidence/%Y/%m/")
    original_name = models.CharField(_("原文件名"), max_length=200)
    content_type = models.CharField(_("类型"), max_length=100)
    size = models.PositiveIntegerField(_("大小（字节）"))
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(_("上传时间"), default=timezone.now)

    objects = ScopedQuerySet.as_manager()
    scope_region_field = "problem__region"

    class Meta:
        verbose_name = _("佐证材料")
        verbose_name_plural = _("佐证材料")
        ordering = ["uploaded_at", "id"]

    def __str__(self) -> str:
        return self.original_name


class Verification(models.Model):
    """A verification of a submitted rectification by the level above (核查). The verifier
    records it first (method, date, who, findings, evidence; ``result`` pending); the move
    ``verify_pass`` or ``verify_fail`` then concludes the pending records of that round.
    Records without a method are conclusions written before verifications were recorded."""

    class Result(models.TextChoices):
        PENDING = "pending", _("已核查，待结论")
        PASSED = "passed", _("通过，予以销号")
        FAILED = "failed", _("未通过，退回整改")

    class Method(models.TextChoices):
        DESK = "desk", _("书面核查")
        ONSITE = "onsite", _("实地核查")
        UNANNOUNCED = "unannounced", _("暗访复查")

    problem = models.ForeignKey(Problem, on_delete=models.CASCADE, related_name="verifications")
    verifier = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    result = models.CharField(_("核查结果"), max_length=8, choices=Result.choices)
    method = models.CharField(_("核查方式"), max_length=12, choices=Method.choices, blank=True)
    verified_on = models.DateField(_("核查日期"), null=True, blank=True)
    verifiers = models.CharField(_("核查人员"), max_length=200, blank=True)
    findings = models.TextField(_("核查发现"), blank=True)
    note = models.TextField(_("核查意见"), blank=True)
    new_deadline = models.DateField(_("新整改期限"), null=True, blank=True)
    created_at = models.DateTimeField(_("核查时间"), default=timezone.now)
    concluded_at = models.DateTimeField(_("作出结论时间"), null=True, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_region_field = "problem__region"

    class Meta:
        verbose_name = _("核查记录")
        verbose_name_plural = _("核查记录")
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(result__in=["passed", "pending"]) | Q(new_deadline__isnull=False),
                name="verification_fail_has_deadline",
            ),
            models.CheckConstraint(
                condition=~Q(result="pending") | (~Q(method="") & Q(verified_on__isnull=False)),
                name="verification_record_complete",
            ),
        ]
        indexes = [
            models.Index(fields=["problem"], condition=Q(result="pending"), name="verification_pending_idx"),
        ]

    def __str__(self) -> str:
        return self.get_result_display()

    @property
    def is_record(self) -> bool:
        """A verification actually recorded (method and date), not a bare conclusion."""
        return bool(self.method)


class TransitionRequirement(models.Model):
    """What a workflow move needs (§6: rectification really done before it is closed): one row
    per (move, named check) for problems of a severity, optionally for key problems only.
    A check applies to a problem when an active row of its move matches its severity (or has
    none) and, for key-only rows, the problem is a key problem. Checks are the functions of
    ``cases.requirements.CHECKS``; the defaults are seeded by migration 0007."""

    move = models.CharField(_("办理操作"), max_length=16)
    check_code = models.CharField(_("条件"), max_length=32)
    severity = models.CharField(
        _("严重程度"), max_length=8, choices=Problem.Severity.choices, blank=True, help_text=_("留空：所有严重程度")
    )
    key_only = models.BooleanField(_("仅限重点问题"), default=False)
    active = models.BooleanField(_("启用"), default=True)
    note = models.CharField(_("说明"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("办理条件")
        verbose_name_plural = _("办理条件")
        ordering = ["move", "check_code", "severity", "key_only"]
        constraints = [
            models.UniqueConstraint(
                fields=["move", "check_code", "severity", "key_only"], name="transition_requirement_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.move}: {self.check_code}"


class Accountability(models.Model):
    """追责问责: who was held accountable, and how."""

    class Measure(models.TextChoices):
        ADMONITION_TALK = "talk", _("诫勉谈话")
        CRITICISM = "criticism", _("通报批评")
        DISCIPLINE = "discipline", _("党纪政务处分")
        TRANSFER = "transfer", _("调离执法岗位")
        ORGANISATIONAL = "organisational", _("组织处理")
        OTHER = "other", _("其他")

    problem = models.ForeignKey(Problem, on_delete=models.CASCADE, related_name="accountability")
    unit = models.ForeignKey("regions.Unit", verbose_name=_("所在单位"), on_delete=models.PROTECT, related_name="+")
    person_name = models.CharField(_("姓名"), max_length=64)
    post = models.CharField(_("职务"), max_length=64)
    measure = models.CharField(_("问责方式"), max_length=16, choices=Measure.choices)
    discipline_breach = models.BooleanField(_("违反执法纪律（八不准、六严禁）"), default=False)
    serious = models.BooleanField(_("情节严重或恶劣"), default=False)
    decided_by = models.CharField(_("决定机关"), max_length=100)
    decided_on = models.DateField(_("决定日期"))
    created_at = models.DateTimeField(default=timezone.now)

    objects = ScopedQuerySet.as_manager()
    scope_region_field = "problem__region"

    class Meta:
        verbose_name = _("追责问责")
        verbose_name_plural = _("追责问责")
        ordering = ["-decided_on", "id"]
        indexes = [models.Index(fields=["unit", "decided_on"], name="accountability_unit_date_idx")]

    def __str__(self) -> str:
        return f"{self.person_name} {self.get_measure_display()}"


class Disclosure(models.Model):
    """A handling result approved for publication (§5), written without personal data."""

    problem = models.OneToOneField(Problem, on_delete=models.CASCADE, related_name="disclosure")
    title = models.CharField(_("公开标题"), max_length=200)
    summary = models.TextField(_("处理结果"))
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    published_at = models.DateTimeField(_("发布时间"), default=timezone.now)

    class Meta:
        verbose_name = _("处理结果公开")
        verbose_name_plural = _("处理结果公开")
        ordering = ["-published_at"]
        # the public results page reads the newest first, a page at a time: in index order, not
        # a sort of everything ever published
        indexes = [models.Index(fields=["-published_at", "-id"], name="disclosure_newest_idx")]

    def __str__(self) -> str:
        return self.title


class ImportJob(models.Model):
    """One Excel ledger import (台账导入): the stored upload, its dry-run report and, once the
    user has chosen how to write, the result. Files above ``cases.imports.INLINE_MAX_ROWS``
    rows are validated and written by ``cases.tasks.ledger_import_run``; the page polls the
    progress fields. Scoped by the importing user's region, like everything else."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("排队中")
        VALIDATING = "validating", _("校验中")
        PREVIEWED = "previewed", _("待确认写入")
        WRITING = "writing", _("写入中")
        DONE = "done", _("已写入")
        REFUSED = "refused", _("未写入")
        FAILED = "failed", _("失败")

    class Mode(models.TextChoices):
        VALID_ONLY = "valid_only", _("写入全部有效行")
        ALL_OR_NOTHING = "all_or_nothing", _("全部有效才写入")

    FINISHED_STATES = (Status.PREVIEWED, Status.DONE, Status.REFUSED, Status.FAILED)

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("导入人"), on_delete=models.PROTECT, related_name="+"
    )
    region = models.ForeignKey("regions.Region", verbose_name=_("所属区划"), on_delete=models.PROTECT, related_name="+")
    file = models.FileField(_("文件"), upload_to="imports/%Y/%m/", blank=True)
    original_name = models.CharField(_("原文件名"), max_length=200)
    sha256 = models.CharField(max_length=64)
    status = models.CharField(_("状态"), max_length=12, choices=Status.choices, default=Status.QUEUED)
    # Blank while previewing; the user's choice once they ask to write.
    mode = models.CharField(_("写入方式"), max_length=16, choices=Mode.choices, blank=True)
    total_rows = models.PositiveIntegerField(_("数据行数"), default=0)
    validated_rows = models.PositiveIntegerField(_("已校验行数"), default=0)
    valid_rows = models.PositiveIntegerField(_("有效行数"), default=0)
    written_rows = models.PositiveIntegerField(_("已写入行数"), default=0)
    error_count = models.PositiveIntegerField(_("错误数"), default=0)
    # The first bad cells, [{"row": 12, "column": "区划代码", "message": "..."}]: capped.
    errors = models.JSONField(_("错误明细"), default=list, blank=True)
    message = models.TextField(_("说明"), blank=True)  # why the file was refused or failed
    created_at = models.DateTimeField(_("上传时间"), default=timezone.now)
    updated_at = models.DateTimeField(_("更新时间"), default=timezone.now)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_region_field = "region"

    class Meta:
        verbose_name = _("台账导入")
        verbose_name_plural = _("台账导入")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "-created_at"], name="importjob_user_created_idx")]

    def __str__(self) -> str:
        return f"{self.original_name} {self.get_status_display()}"

    @property
    def running(self) -> bool:
        return self.status not in self.FINISHED_STATES

    @property
    def percent(self) -> int:
        if self.status in (self.Status.DONE, self.Status.REFUSED, self.Status.FAILED):
            return 100
        if not self.total_rows:
            return 0
        return min(100, round(100 * self.validated_rows / self.total_rows))
