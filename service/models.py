"""Service-oriented enforcement (执法为民, policy §14–§16): the register of transport enterprises,
leaders' assignments to enterprises and grassroots stations (联百企驻百站), visit logs, station
days (驻点办公) and their monthly check, and the light registers of §1, §2 and §16.

Stations are ``regions.Unit`` rows of kind ``station``; leaders are accounts. Every record is
scoped by a region (``ScopedQuerySet``) like the rest of the portal."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal.accounts.scoping import ScopedQuerySet
from service.figure_tables import ServiceFigure  # noqa: F401 - the dashboards' summary table


class Enterprise(models.Model):
    """A transport enterprise (运输企业). The credit code's check character is tested on every
    write; a code that fails it is kept only with ``check_override_reason`` (early pilot codes)."""

    class Kind(models.TextChoices):
        PASSENGER = "passenger", _("道路旅客运输")
        FREIGHT = "freight", _("道路货物运输")
        DANGEROUS = "dangerous", _("危险货物运输")
        TAXI = "taxi", _("出租汽车")
        BUS = "bus", _("城市公交")
        WATERWAY = "waterway", _("水路运输")
        REPAIR = "repair", _("机动车维修")
        TRAINING = "training", _("驾驶员培训")
        OTHER = "other", _("其他")

    class Size(models.TextChoices):
        LARGE = "large", _("大型")
        MEDIUM = "medium", _("中型")
        SMALL = "small", _("小型")
        MICRO = "micro", _("微型")

    name = models.CharField(_("企业名称"), max_length=128)
    credit_code = models.CharField(_("统一社会信用代码"), max_length=18, unique=True)
    check_override_reason = models.CharField(_("校验未通过的确认理由"), max_length=200, blank=True)
    kind = models.CharField(_("类型"), max_length=16, choices=Kind.choices)
    size = models.CharField(_("规模"), max_length=8, choices=Size.choices)
    region = models.ForeignKey("regions.Region", verbose_name=_("所属区划"), on_delete=models.PROTECT, related_name="+")
    active = models.BooleanField(_("在册"), default=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("登记时间"), default=timezone.now)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("运输企业")
        verbose_name_plural = _("运输企业")
        ordering = ["region_id", "name"]
        constraints = [
            models.UniqueConstraint(fields=["name"], name="service_enterprise_unique_name"),
            models.CheckConstraint(
                condition=Q(credit_code__regex=r"^[0-9A-HJ-NPQRTUWXY]{18}$"), name="service_credit_code_shape"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class LeaderContact(models.Model):
    """A leadership member's (领导班子成员) post and the phone published to their enterprises:
    only a number marked ``published`` ever reaches the public contact list."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="leader_contact")
    post = models.CharField(_("职务"), max_length=64)
    phone = models.CharField(_("公开联系电话"), max_length=20, blank=True)
    published = models.BooleanField(_("向联系企业公开"), default=False)
    region = models.ForeignKey("regions.Region", verbose_name=_("所属区划"), on_delete=models.PROTECT, related_name="+")

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("领导联系方式")
        verbose_name_plural = _("领导联系方式")

    def __str__(self) -> str:
        return f"{self.user} {self.post}"


class Assignment(models.Model):
    """A leader's contact enterprise or station (联企 / 驻站): exactly one of the two."""

    leader = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("领导"), on_delete=models.PROTECT, related_name="+"
    )
    enterprise = models.ForeignKey(
        Enterprise,
        verbose_name=_("联系企业"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="assignments",
    )
    station = models.ForeignKey(
        "regions.Unit", verbose_name=_("联系站所"), null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+")  # the target's
    assigned_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    assigned_at = models.DateTimeField(default=timezone.now)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("联系分工")
        verbose_name_plural = _("联系分工")
        constraints = [
            models.CheckConstraint(
                condition=Q(enterprise__isnull=False, station__isnull=True)
                | Q(enterprise__isnull=True, station__isnull=False),
                name="service_assignment_one_target",
            ),
            models.UniqueConstraint(fields=["leader", "enterprise"], name="service_assignment_unique_enterprise"),
            models.UniqueConstraint(fields=["leader", "station"], name="service_assignment_unique_station"),
        ]

    def __str__(self) -> str:
        return f"{self.leader} → {self.enterprise or self.station}"


class Visit(models.Model):
    """A leader's visit to an assigned enterprise (走访: 一对一、直通车 service)."""

    class Form(models.TextChoices):
        ONE_TO_ONE = "one_to_one", _("一对一服务")
        THROUGH_TRAIN = "through", _("直通车服务")
        SYMPOSIUM = "symposium", _("座谈")
        PHONE = "phone", _("电话回访")

    enterprise = models.ForeignKey(Enterprise, verbose_name=_("企业"), on_delete=models.PROTECT, related_name="visits")
    leader = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("领导"), on_delete=models.PROTECT, related_name="+"
    )
    visited_on = models.DateField(_("走访日期"))
    form = models.CharField(_("服务形式"), max_length=12, choices=Form.choices)
    notes = models.TextField(_("走访情况"), blank=True)
    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("走访记录")
        verbose_name_plural = _("走访记录")
        ordering = ["-visited_on", "-id"]

    def __str__(self) -> str:
        return f"{self.enterprise} {self.visited_on}"


class VisitIssue(models.Model):
    """An issue an enterprise raised at a visit, followed to its resolution or to a problem on
    the problem list."""

    class Status(models.TextChoices):
        OPEN = "open", _("办理中")
        RESOLVED = "resolved", _("已解决")
        PROBLEM = "problem", _("已转入问题清单")

    visit = models.ForeignKey(Visit, on_delete=models.CASCADE, related_name="issues")
    text = models.CharField(_("反映问题"), max_length=500)
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.OPEN)
    resolution = models.CharField(_("解决情况"), max_length=500, blank=True)
    problem = models.ForeignKey(
        "cases.Problem",
        verbose_name=_("问题清单问题"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    closed_at = models.DateTimeField(null=True, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_region_field = "visit__region"

    class Meta:
        verbose_name = _("走访反映问题")
        verbose_name_plural = _("走访反映问题")
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="problem") | Q(problem__isnull=False), name="service_issue_problem_linked"
            ),
            models.CheckConstraint(
                condition=~Q(status="resolved") | ~Q(resolution=""), name="service_issue_resolution_given"
            ),
        ]

    def __str__(self) -> str:
        return self.text[:40]


class StationDay(models.Model):
    """A day a leader spent stationed at a station (驻点办公). One per leader and date: a second
    on the same date is refused (a day counts once)."""

    leader = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("领导"), on_delete=models.PROTECT, related_name="+"
    )
    station = models.ForeignKey("regions.Unit", verbose_name=_("驻点站所"), on_delete=models.PROTECT, related_name="+")
    day = models.DateField(_("驻点日期"))
    officer_opinions = models.TextField(_("收集的执法人员意见"), blank=True)
    public_opinions = models.TextField(_("收集的群众意见"), blank=True)
    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("驻点办公")
        verbose_name_plural = _("驻点办公")
        ordering = ["-day", "-id"]
        constraints = [models.UniqueConstraint(fields=["leader", "day"], name="service_station_day_once_per_date")]
        indexes = [models.Index(fields=["day", "leader"], name="service_stationday_day_idx")]

    def __str__(self) -> str:
        return f"{self.leader} {self.station} {self.day}"


class StationMonth(models.Model):
    """A closed month of a leader with stations assigned: the days stationed, fixed when the
    month is closed (``service.services.station_months_close``); ``below`` is days < 2."""

    leader = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("领导"), on_delete=models.PROTECT, related_name="+"
    )
    month = models.DateField(_("月份"))  # first day
    days = models.PositiveSmallIntegerField(_("驻点天数"))
    below = models.BooleanField(_("不足2天"))
    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+")  # the leader's
    closed_at = models.DateTimeField(default=timezone.now)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("驻点月度核查")
        verbose_name_plural = _("驻点月度核查")
        ordering = ["-month", "region_id"]
        constraints = [models.UniqueConstraint(fields=["leader", "month"], name="service_station_month_once")]

    def __str__(self) -> str:
        return f"{self.leader} {self.month:%Y-%m}"


class ServiceRecord(models.Model):
    """The light registers (我为群众办实事 §16; 党支部 §1; 示范点 §2): one table, a kind each.
    ``unit`` is the station or unit the record is about (rest rooms at overload stations, a
    party branch of a station, a demonstration site)."""

    class Kind(models.TextChoices):
        REST_ROOM = "rest_room", _("司机之家（治超站休息室）")
        OPEN_DAY = "open_day", _("执法开放日")
        EXPERIENCE_WEEK = "experience", _("执法体验周")
        SERVICE_POINT = "service_point", _("便民服务点")
        CASE_EXPLANATION = "case_talk", _("以案释法")
        PARTY_BRANCH = "party_branch", _("基层站所党支部")
        MODEL_POST = "model_post", _("党员示范岗")
        DEMONSTRATION = "demo_site", _("服务型执法示范点")

    class Status(models.TextChoices):
        PLANNED = "planned", _("筹建中")
        IN_USE = "in_use", _("已建成/已开展")
        CLOSED = "closed", _("已撤销")

    kind = models.CharField(_("类别"), max_length=16, choices=Kind.choices)
    title = models.CharField(_("名称"), max_length=128)
    unit = models.ForeignKey(
        "regions.Unit", verbose_name=_("站所/单位"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    region = models.ForeignKey("regions.Region", verbose_name=_("所属区划"), on_delete=models.PROTECT, related_name="+")
    held_on = models.DateField(_("日期"), null=True, blank=True)
    status = models.CharField(_("状态"), max_length=8, choices=Status.choices, default=Status.IN_USE)
    # rest rooms: the facilities checklist
    has_shower = models.BooleanField(_("淋浴"), default=False)
    has_rest = models.BooleanField(_("休息"), default=False)
    has_water = models.BooleanField(_("饮水"), default=False)
    participants = models.PositiveIntegerField(_("参加人数"), null=True, blank=True)
    media = models.CharField(_("媒体报道"), max_length=200, blank=True)
    notes = models.TextField(_("说明"), blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("为民办实事登记")
        verbose_name_plural = _("为民办实事登记")
        ordering = ["kind", "region_id", "-id"]
        indexes = [models.Index(fields=["kind", "region"], name="service_record_kind_idx")]
        constraints = [
            # one rest room, party branch or demonstration site per station: the coverage
            # figure counts records and equals the stations covered
            models.UniqueConstraint(
                fields=["kind", "unit"],
                condition=Q(kind__in=["rest_room", "party_branch", "demo_site"], unit__isnull=False),
                name="service_record_one_per_station",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class RecordPhoto(models.Model):
    """A photo of a light record: an image by its bytes (JPEG or PNG), stored outside the web root."""

    record = models.ForeignKey(ServiceRecord, on_delete=models.CASCADE, related_name="photos")
    file = models.FileField(_("照片"), upload_to="service/%Y/%m/")
    original_name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(default=timezone.now)

    objects = ScopedQuerySet.as_manager()
    scope_region_field = "record__region"

    class Meta:
        verbose_name = _("登记照片")
        verbose_name_plural = _("登记照片")

    def __str__(self) -> str:
        return self.original_name


class Meeting(models.Model):
    """A joint meeting or consultation (联席会议、业务会商, policy §12): its decisions are tracked
    to done against a deadline, with alerts through the ledger (``service/alerts.py``)."""

    class Kind(models.TextChoices):
        JOINT = "joint", _("联席会议")
        CONSULTATION = "consult", _("业务会商")

    kind = models.CharField(_("类别"), max_length=8, choices=Kind.choices)
    subject = models.CharField(_("议题"), max_length=200)
    held_on = models.DateField(_("会议日期"))
    departments = models.CharField(_("参加部门"), max_length=300)
    region = models.ForeignKey("regions.Region", verbose_name=_("所属区划"), on_delete=models.PROTECT, related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("联席会议/业务会商")
        verbose_name_plural = _("联席会议/业务会商")
        ordering = ["-held_on", "-id"]

    def __str__(self) -> str:
        return self.subject


class Decision(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", _("落实中")
        DONE = "done", _("已落实")

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="decisions")
    text = models.CharField(_("议定事项"), max_length=500)
    responsible = models.CharField(_("责任部门"), max_length=100)
    deadline = models.DateField(_("完成期限"))
    status = models.CharField(_("状态"), max_length=8, choices=Status.choices, default=Status.OPEN)
    done_note = models.CharField(_("落实情况"), max_length=500, blank=True)
    done_at = models.DateTimeField(null=True, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_region_field = "meeting__region"

    class Meta:
        verbose_name = _("议定事项")
        verbose_name_plural = _("议定事项")
        ordering = ["deadline", "id"]
        indexes = [
            models.Index(fields=["deadline"], condition=Q(status="open"), name="service_decision_open_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=~Q(status="done") | ~Q(done_note=""), name="service_decision_done_note"),
        ]

    def __str__(self) -> str:
        return self.text[:40]
