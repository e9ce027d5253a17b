"""Complaints and public feedback (投诉举报, 12328), policy §7 and §8: the closed loop.

A complaint comes in through a channel (the 12328 hotline's work orders, an operator's form,
the public web form, WeChat or app clients, letters, volunteer supervisors, media and online
public opinion), is classified the way 12328 does, routed to the responsible unit by the
editable rule table (escalated to the level above for the categories that say so), accepted,
answered, called back and closed. Time limits are counted in working days from the
configurable table; "overdue" and the yellow/red lights are derived, never stored (see
``complaints.selectors``). State changes go through ``complaints.services.complaint_transition``
and the table in ``complaints/transitions.py``.

Scoping: a complaint belongs to the region of the unit handling it (``handling_region``), so a
county sees what its units handle, a city also what it handles itself (escalated complaints
included), the province everything.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from complaints.figure_tables import ComplaintFigure  # noqa: F401 - the dashboards' summary table
from portal.accounts.scoping import ScopedQuerySet
from portal.core.fields import EncryptedTextField


class Channel(models.TextChoices):
    HOTLINE_12328 = "12328", _("12328热线工单")
    OPERATOR = "operator", _("热线坐席录入")
    WEB = "web", _("网站")
    WECHAT = "wechat", _("微信")
    APP = "app", _("移动应用")
    OPEN311 = "open311", _("Open311 客户端")
    LETTER = "letter", _("来信")
    VISIT = "visit", _("来访")
    VOLUNTEER = "volunteer", _("义务监督员")
    MEDIA = "media", _("媒体")
    OPINION = "opinion", _("网络舆情")


# What a staff member may record by hand (the others come from their own systems or pages).
STAFF_CHANNELS = (
    Channel.OPERATOR,
    Channel.LETTER,
    Channel.VISIT,
    Channel.VOLUNTEER,
    Channel.MEDIA,
    Channel.OPINION,
)
# Channels whose clients are other systems holding an API token (IntakeClient).
CLIENT_CHANNELS = (Channel.HOTLINE_12328, Channel.WECHAT, Channel.APP, Channel.OPEN311)


class Kind(models.TextChoices):
    """The classes of a 12328 work order (表扬 and 非辖属 tallied by some centres)."""

    CONSULTATION = "consultation", _("信息咨询")
    COMPLAINT = "complaint", _("投诉举报")
    SUGGESTION = "suggestion", _("意见建议")
    PRAISE = "praise", _("表扬")
    NOT_OURS = "not_ours", _("非辖属")


class Area(models.TextChoices):
    """12328 business areas (railway, aviation and post are referred elsewhere)."""

    HIGHWAY = "highway", _("公路")
    WATERWAY = "waterway", _("水路")
    ROAD_TRANSPORT = "road_transport", _("道路运输")
    URBAN_TRANSIT = "urban_transit", _("城市客运")
    MARITIME = "maritime", _("海事")
    SALVAGE = "salvage", _("救助打捞")
    WATER_RESCUE = "water_rescue", _("水上搜救")


class Satisfaction(models.TextChoices):
    SATISFIED = "satisfied", _("满意")
    BASIC = "basic", _("基本满意")
    UNSATISFIED = "unsatisfied", _("不满意")


# --- configuration (editable tables) -------------------------------------------------------------


class TimeLimit(models.Model):
    """Time limits per class, in working days (DESIGN.md defaults: accept 1, handle 15, one
    extension of 7, yellow 1 working day before the deadline, callback the next working day)."""

    kind = models.CharField(_("类别"), max_length=16, choices=Kind.choices, unique=True)
    accept_days = models.PositiveSmallIntegerField(_("受理时限（工作日）"), default=1)
    handle_days = models.PositiveSmallIntegerField(_("办理时限（工作日）"), default=15)
    extension_days = models.PositiveSmallIntegerField(_("每次延期（工作日）"), default=7)
    max_extensions = models.PositiveSmallIntegerField(_("最多延期次数"), default=1)
    warn_days = models.PositiveSmallIntegerField(_("黄灯提前（工作日）"), default=1)
    callback_days = models.PositiveSmallIntegerField(_("回访时限（工作日）"), default=1)

    class Meta:
        verbose_name = _("办理时限")
        verbose_name_plural = _("办理时限")
        ordering = ["kind"]
        constraints = [
            models.CheckConstraint(
                condition=Q(accept_days__gte=0, handle_days__gte=1, handle_days__lte=120, warn_days__lte=10),
                name="complaint_time_limit_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.accept_days}/{self.handle_days}"


class IntakeSettings(models.Model):
    """One row (pk=1): the duplicate-suggestion window and text-similarity threshold."""

    duplicate_window_days = models.PositiveSmallIntegerField(_("疑似重复比对时间窗（天）"), default=30)
    similarity_threshold = models.FloatField(_("文本相似度阈值（0–1）"), default=0.35)

    class Meta:
        verbose_name = _("受理设置")
        verbose_name_plural = _("受理设置")
        constraints = [
            models.CheckConstraint(condition=Q(pk=1), name="complaint_settings_single_row"),
            models.CheckConstraint(
                condition=Q(duplicate_window_days__gte=1, duplicate_window_days__lte=365)
                & Q(similarity_threshold__gt=0, similarity_threshold__lte=1),
                name="complaint_settings_range",
            ),
        ]

    def __str__(self) -> str:
        return str(_("受理设置"))


class RoutingRule(models.Model):
    """Which unit handles complaints from a region in a business area (blank area: any)."""

    region = models.ForeignKey("regions.Region", verbose_name=_("区划"), on_delete=models.CASCADE, related_name="+")
    area = models.CharField(_("业务领域"), max_length=16, choices=Area.choices, blank=True)
    unit = models.ForeignKey("regions.Unit", verbose_name=_("承办单位"), on_delete=models.CASCADE, related_name="+")
    note = models.CharField(_("说明"), max_length=200, blank=True)
    active = models.BooleanField(_("启用"), default=True)
    updated_at = models.DateTimeField(_("更新时间"), default=timezone.now)

    objects = ScopedQuerySet.as_manager()
    scope_region_field = "region"

    class Meta:
        verbose_name = _("转办规则")
        verbose_name_plural = _("转办规则")
        ordering = ["region_id", "area"]
        constraints = [models.UniqueConstraint(fields=["region", "area"], name="complaint_routing_rule_unique")]

    def __str__(self) -> str:
        return f"{self.region_id} {self.get_area_display() or _('全部领域')} → {self.unit_id}"


class VolunteerSupervisor(models.Model):
    """义务监督员: appointed members of the public who report what they see (§15)."""

    number = models.CharField(_("编号"), max_length=20, unique=True)
    name = models.CharField(_("姓名"), max_length=64)
    phone = EncryptedTextField(_("手机号"), kind="phone")
    phone_hash = models.CharField(max_length=32, blank=True, db_index=True, editable=False)
    organisation = models.CharField(_("单位/职业"), max_length=100, blank=True)
    region = models.ForeignKey("regions.Region", verbose_name=_("所属区划"), on_delete=models.PROTECT, related_name="+")
    appointed_on = models.DateField(_("聘任日期"), default=timezone.localdate)
    term_ends_on = models.DateField(_("聘期至"), null=True, blank=True)  # §8: the term of appointment
    active = models.BooleanField(_("在聘"), default=True)

    objects = ScopedQuerySet.as_manager()
    scope_region_field = "region"

    class Meta:
        verbose_name = _("义务监督员")
        verbose_name_plural = _("义务监督员")
        ordering = ["number"]

    def __str__(self) -> str:
        return self.number


class IntakeClient(models.Model):
    """Another system that submits complaints with an API token (12328 platform, WeChat, app,
    Open311 clients): its user account authenticates, its channel is recorded on every complaint."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, verbose_name=_("接口账号"), on_delete=models.CASCADE, related_name="intake_client"
    )
    name = models.CharField(_("名称"), max_length=64)
    channel = models.CharField(_("渠道"), max_length=16, choices=[(c.value, c.label) for c in CLIENT_CHANNELS])
    active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("接入系统")
        verbose_name_plural = _("接入系统")

    def __str__(self) -> str:
        return self.name


# --- the complaint ---------------------------------------------------------------------------------


class ComplaintQuerySet(ScopedQuerySet):
    def open(self):
        return self.filter(status__in=Complaint.OPEN_STATES)


class Complaint(models.Model):
    class Status(models.TextChoices):
        RECEIVED = "received", _("待受理")
        ACCEPTED = "accepted", _("办理中")
        RETURN_REQUESTED = "return_requested", _("退单待审")
        REPLIED = "replied", _("已答复待回访")
        CALLED_BACK = "called_back", _("已回访")
        CLOSED = "closed", _("已办结")

    class CloseKind(models.TextChoices):
        CALLBACK = "callback", _("回访后办结")
        NO_CALLBACK = "no_callback", _("无法回访，说明理由办结")
        REJECTED = "rejected", _("不予受理")
        MERGED = "merged", _("并案办理")

    # The handling clock runs in these states (time-limit lights, overdue lists, alerts).
    OPEN_STATES = (Status.RECEIVED, Status.ACCEPTED, Status.RETURN_REQUESTED)

    tracking_number = models.CharField(_("受理编号"), max_length=20, unique=True)
    channel = models.CharField(_("渠道"), max_length=16, choices=Channel.choices)
    # The 12328 work-order number, or another client's own reference: one complaint per
    # (channel, external_id), so a retried upload finds the complaint it created before.
    external_id = models.CharField(_("外部编号"), max_length=64, blank=True)
    intake_client = models.ForeignKey(
        IntakeClient, verbose_name=_("接入系统"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    volunteer = models.ForeignKey(
        VolunteerSupervisor,
        verbose_name=_("义务监督员"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="complaints",
        db_index=False,  # partial index below
    )

    kind = models.CharField(_("类别"), max_length=16, choices=Kind.choices, default=Kind.COMPLAINT)
    area = models.CharField(_("业务领域"), max_length=16, choices=Area.choices)
    category = models.ForeignKey(
        "cases.Category",
        verbose_name=_("问题类别"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="complaints",
        db_index=False,  # complaint_category_time_idx leads with it
    )
    subject = models.CharField(_("标题"), max_length=200)
    description = models.TextField(_("诉求内容"))
    location = models.CharField(_("地点"), max_length=200, blank=True)
    latitude = models.DecimalField(_("纬度"), max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(_("经度"), max_digits=9, decimal_places=6, null=True, blank=True)
    incident_on = models.DateField(_("发生日期"), null=True, blank=True)
    source_name = models.CharField(_("来源媒体/平台"), max_length=100, blank=True)
    source_url = models.URLField(_("来源链接"), max_length=500, blank=True)

    # The complainant: personal data, masked everywhere; phone and ID number encrypted at rest.
    complainant_name = models.CharField(_("投诉人"), max_length=64, blank=True)
    phone = EncryptedTextField(_("联系电话"), kind="phone")
    phone_hash = models.CharField(max_length=32, blank=True, editable=False)
    id_number = EncryptedTextField(_("身份证号"), kind="id_number")
    id_number_hash = models.CharField(max_length=32, blank=True, editable=False)
    plate = models.CharField(_("车牌号"), max_length=16, blank=True)

    region = models.ForeignKey(
        "regions.Region", verbose_name=_("所属区划"), on_delete=models.PROTECT, related_name="+", db_index=False
    )
    unit = models.ForeignKey(
        "regions.Unit",
        verbose_name=_("被投诉单位"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="complaints_against",
    )
    # No single-column indexes on these two: the composite indexes below lead with them.
    handling_unit = models.ForeignKey(
        "regions.Unit", verbose_name=_("承办单位"), on_delete=models.PROTECT, related_name="complaints", db_index=False
    )
    handling_region = models.ForeignKey(
        "regions.Region", verbose_name=_("承办区划"), on_delete=models.PROTECT, related_name="+", db_index=False
    )
    escalated = models.BooleanField(_("提级办理"), default=False)
    routing_rule = models.ForeignKey(
        RoutingRule, verbose_name=_("转办规则"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.RECEIVED)
    version = models.PositiveIntegerField(_("版本"), default=1)  # compare-and-swap for transitions
    received_at = models.DateTimeField(_("登记时间"), default=timezone.now)
    accept_deadline = models.DateField(_("受理期限"))
    deadline = models.DateField(_("办理期限"))
    # The first day of the yellow light: ``warn_days`` working days before the deadline.
    deadline_warn_from = models.DateField(_("黄灯起始日"))
    # Bumped whenever the deadline moves (extension, reroute, 重办), so alerts for an old
    # deadline are never confused with the new one.
    deadline_version = models.PositiveIntegerField(_("期限版本"), default=1)
    deadline_provisional = models.BooleanField(_("期限为临时计算"), default=False)
    extensions_used = models.PositiveSmallIntegerField(_("已延期次数"), default=0)
    accepted_at = models.DateTimeField(_("受理时间"), null=True, blank=True)
    replied_at = models.DateTimeField(_("答复时间"), null=True, blank=True)
    callback_at = models.DateTimeField(_("回访时间"), null=True, blank=True)
    satisfaction = models.CharField(_("满意度"), max_length=12, choices=Satisfaction.choices, blank=True)
    closed_at = models.DateTimeField(_("办结时间"), null=True, blank=True)
    close_kind = models.CharField(_("办结方式"), max_length=12, choices=CloseKind.choices, blank=True)
    close_reason = models.TextField(_("办结说明"), blank=True)
    reopen_count = models.PositiveSmallIntegerField(_("重办次数"), default=0)
    return_count = models.PositiveSmallIntegerField(_("退单次数"), default=0)
    misroute_count = models.PositiveSmallIntegerField(_("错转次数"), default=0)
    duplicate_of = models.ForeignKey(
        "self",
        verbose_name=_("并入"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="merged",
        db_index=False,  # partial index below
    )
    bigrams = ArrayField(models.IntegerField(), verbose_name=_("文本特征"), default=list, blank=True, editable=False)
    # How many likely duplicates intake found (None: not checked yet; see tasks.py).
    suspected_duplicates = models.PositiveSmallIntegerField(_("疑似重复"), null=True, blank=True, editable=False)

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("登记人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    updated_at = models.DateTimeField(_("更新时间"), default=timezone.now)

    objects = ComplaintQuerySet.as_manager()
    scope_region_field = "handling_region"

    class Meta:
        verbose_name = _("投诉举报")
        verbose_name_plural = _("投诉举报")
        ordering = ["-received_at", "-id"]
        indexes = [
            # Lists: the subtree's regions, newest first.
            models.Index(fields=["handling_region", "-received_at"], name="complaint_region_received_idx"),
            # Inboxes and the time-limit lights: open complaints by deadline and by yellow day.
            models.Index(
                fields=["handling_region", "deadline"],
                name="complaint_open_deadline_idx",
                condition=Q(status__in=["received", "accepted", "return_requested"]),
            ),
            models.Index(
                fields=["deadline_warn_from"],
                name="complaint_open_warn_idx",
                condition=Q(status__in=["received", "accepted", "return_requested"]),
            ),
            models.Index(fields=["accept_deadline"], name="complaint_accept_due_idx", condition=Q(status="received")),
            # Duplicate suggestions: the same phone, the same plate, the same region, recently.
            models.Index(fields=["phone_hash", "received_at"], name="complaint_phone_idx", condition=~Q(phone_hash="")),
            models.Index(fields=["plate", "received_at"], name="complaint_plate_idx", condition=~Q(plate="")),
            models.Index(fields=["id_number_hash"], name="complaint_id_number_idx", condition=~Q(id_number_hash="")),
            models.Index(fields=["region", "received_at"], name="complaint_region_time_idx"),
            GinIndex(fields=["bigrams"], name="complaint_bigrams_gin"),
            # The duplicate check's safety net (tasks.complaints_flag_unchecked).
            models.Index(
                fields=["received_at"], name="complaint_unchecked_idx", condition=Q(suspected_duplicates__isnull=True)
            ),
            models.Index(
                fields=["duplicate_of"], name="complaint_duplicate_of_idx", condition=Q(duplicate_of__isnull=False)
            ),
            models.Index(fields=["volunteer"], name="complaint_volunteer_idx", condition=Q(volunteer__isnull=False)),
            # Statistics by unit, category and month.
            models.Index(fields=["handling_unit", "received_at"], name="complaint_unit_received_idx"),
            models.Index(fields=["category", "received_at"], name="complaint_category_time_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "external_id"], condition=~Q(external_id=""), name="complaint_external_id_unique"
            ),
            # Closing needs a recorded callback, or a recorded reason why there was none.
            models.CheckConstraint(
                condition=~Q(status="closed")
                | (
                    Q(closed_at__isnull=False)
                    & (
                        Q(close_kind="callback", callback_at__isnull=False)
                        | (Q(close_kind__in=["no_callback", "rejected", "merged"]) & ~Q(close_reason=""))
                    )
                ),
                name="complaint_closed_with_callback_or_reason",
            ),
            models.CheckConstraint(
                condition=Q(deadline_warn_from__lte=models.F("deadline")), name="complaint_warn_before_deadline"
            ),
            models.CheckConstraint(
                condition=Q(duplicate_of__isnull=True) | ~Q(duplicate_of=models.F("pk")), name="complaint_not_own_dup"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.tracking_number} {self.subject}"

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATES

    @property
    def code(self) -> str:
        """The number people quote (alerts and other apps call a record's number its code)."""
        return self.tracking_number


class Reply(models.Model):
    """The answer given to the complainant (答复)."""

    class Method(models.TextChoices):
        PHONE = "phone", _("电话")
        SMS = "sms", _("短信")
        LETTER = "letter", _("书面")
        ONLINE = "online", _("网上")
        VISIT = "visit", _("当面")

    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="replies")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    method = models.CharField(_("答复方式"), max_length=8, choices=Method.choices, default=Method.PHONE)
    text = models.TextField(_("答复内容"))
    created_at = models.DateTimeField(_("答复时间"), default=timezone.now)

    class Meta:
        verbose_name = _("答复")
        verbose_name_plural = _("答复")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.text[:40]


class Callback(models.Model):
    """The callback to the complainant after the reply (回访), with their satisfaction."""

    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="callbacks")
    caller = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    satisfaction = models.CharField(_("满意度"), max_length=12, choices=Satisfaction.choices)
    note = models.TextField(_("回访记录"), blank=True)
    created_at = models.DateTimeField(_("回访时间"), default=timezone.now)

    class Meta:
        verbose_name = _("回访")
        verbose_name_plural = _("回访")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.get_satisfaction_display()


class Decision(models.TextChoices):
    PENDING = "pending", _("待审批")
    APPROVED = "approved", _("已批准")
    REFUSED = "refused", _("不予批准")


class ReturnRequest(models.Model):
    """A unit's request to hand a complaint back (退单), decided by the level above; an
    approved one re-routes the complaint and counts as a misroute of the first routing."""

    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="returns")
    from_unit = models.ForeignKey("regions.Unit", on_delete=models.PROTECT, related_name="+")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(_("申请时间"), default=timezone.now)
    reason = models.TextField(_("退单理由"))
    decision = models.CharField(_("审批结果"), max_length=8, choices=Decision.choices, default=Decision.PENDING)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(_("审批时间"), null=True, blank=True)
    decision_note = models.TextField(_("审批意见"), blank=True)
    to_unit = models.ForeignKey("regions.Unit", null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("退单申请")
        verbose_name_plural = _("退单申请")
        ordering = ["requested_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["complaint"], condition=Q(decision="pending"), name="complaint_one_pending_return"
            ),
            models.CheckConstraint(condition=~Q(reason=""), name="complaint_return_has_reason"),
        ]

    def __str__(self) -> str:
        return f"{self.complaint_id} {self.get_decision_display()}"


class Extension(models.Model):
    """A request for more handling time (延期), approved by the level above."""

    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="extensions")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(_("申请时间"), default=timezone.now)
    reason = models.TextField(_("延期理由"))
    current_deadline = models.DateField(_("原期限"))
    new_deadline = models.DateField(_("延期至"), null=True, blank=True)
    decision = models.CharField(_("审批结果"), max_length=8, choices=Decision.choices, default=Decision.PENDING)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(_("审批时间"), null=True, blank=True)
    decision_note = models.TextField(_("审批意见"), blank=True)

    class Meta:
        verbose_name = _("延期申请")
        verbose_name_plural = _("延期申请")
        ordering = ["requested_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["complaint"], condition=Q(decision="pending"), name="complaint_one_pending_extension"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.complaint_id} {self.get_decision_display()}"
