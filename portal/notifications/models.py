"""The alert ledger: what is owed (``Alert``), to whom and how (``Delivery``), and what arrived
in the portal (``InboxMessage``).

An ``Alert`` is owed at most once: its key is (subject, step, version), where the step names
the source and kind (``AlertStep``) and the version is the subject's deadline version, so a
moved deadline owes its steps again; the key is packed into the primary key. The sweep
(``sweep.py``) inserts the alerts the ledger does not hold yet; the fan-out turns each into
one ``Delivery`` per (channel, recipient), again under a unique key; a delivery is claimed by
compare-and-swap before anything is sent (``delivery.py`` documents the send protocol and what
"exactly once" means for each channel).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Run(models.Model):
    """One run of a periodic job (sweep, fan-out, redispatch), for the status page."""

    class Kind(models.TextChoices):
        SWEEP = "sweep", _("到期扫描")
        FANOUT = "fanout", _("分发")
        REDISPATCH = "redispatch", _("补发检查")

    class Outcome(models.TextChoices):
        RUNNING = "running", _("运行中")
        OK = "ok", _("成功")
        SKIPPED = "skipped", _("跳过")
        ERROR = "error", _("出错")

    kind = models.CharField(_("类型"), max_length=12, choices=Kind.choices)
    started_at = models.DateTimeField(_("开始时间"), default=timezone.now)
    finished_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    outcome = models.CharField(_("结果"), max_length=8, choices=Outcome.choices, default=Outcome.RUNNING)
    today = models.DateField(_("业务日期"), null=True, blank=True)
    alerts = models.PositiveIntegerField(_("新增提醒"), default=0)
    deliveries = models.PositiveIntegerField(_("新增投递"), default=0)
    enqueued = models.PositiveIntegerField(_("入队投递"), default=0)
    # A sweep's alerts carry its run id and lie in these heap blocks of the ledger (its length
    # before and after the sweep's INSERTs): the fan-out reads just those blocks instead of an
    # index on the run that every alert would pay for, and checks it found ``alerts`` rows there
    # (else it reads the ledger by run id). It claims the run by setting fanned_at.
    first_block = models.PositiveIntegerField(_("首个数据块"), null=True, blank=True)
    last_block = models.PositiveIntegerField(_("末个数据块"), null=True, blank=True)
    fanned_at = models.DateTimeField(_("分发时间"), null=True, blank=True)
    detail = models.JSONField(_("明细"), default=dict, blank=True)
    error = models.TextField(_("错误"), blank=True)

    class Meta:
        verbose_name = _("运行记录")
        verbose_name_plural = _("运行记录")
        ordering = ["-started_at", "-id"]
        indexes = [
            models.Index(fields=["kind", "-started_at"], name="notif_run_kind_started_idx"),
            # The redispatcher's question: sweeps whose alerts were never fanned out.
            models.Index(
                fields=["started_at"],
                name="notif_run_unfanned_idx",
                condition=Q(kind="sweep", fanned_at__isnull=True, alerts__gt=0),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.started_at:%Y-%m-%d %H:%M} {self.outcome}"


# An alert's key packed into its bigint primary key: subject (35 bits) | step code (12) |
# deadline version (16). Injective within those bounds, which a check constraint enforces; the
# SQL packing fails loudly beyond them (a subject overflows bigint, a version gives NULL), so a
# key never collides with another alert's. One index then guards "at most once", instead of a
# surrogate key plus a five-column unique index: the sweep writes 100,000 of these in one
# statement and each index is a third of its cost.
SUBJECT_SHIFT, STEP_SHIFT = 28, 16
SUBJECT_LIMIT, STEP_LIMIT, VERSION_LIMIT = 1 << (63 - SUBJECT_SHIFT), 1 << (SUBJECT_SHIFT - STEP_SHIFT), 1 << STEP_SHIFT
PACKED_KEY_SQL = (
    f"({{subject}} * {1 << SUBJECT_SHIFT} + {{step}}::bigint * {1 << STEP_SHIFT}"
    f" + CASE WHEN {{version}} < {VERSION_LIMIT} THEN {{version}} END)"
)


class AlertStep(models.Model):
    """What an alert can be about: a source's (kind, step) pair, with the small code that goes
    into the ledger's keys. The sweep registers every step the sources declare before it
    inserts; rows are never changed or removed (a key's meaning must not move)."""

    id = models.SmallAutoField(primary_key=True)
    source = models.CharField(_("来源"), max_length=16)
    kind = models.CharField(_("类别"), max_length=16)
    name = models.CharField(_("节点"), max_length=16)

    class Meta:
        verbose_name = _("提醒节点")
        verbose_name_plural = _("提醒节点")
        constraints = [
            models.UniqueConstraint(fields=["source", "kind", "name"], name="alert_step_once"),
            models.CheckConstraint(condition=Q(id__gt=0, id__lt=STEP_LIMIT), name="alert_step_code_fits"),
        ]

    def __str__(self) -> str:
        return f"{self.source}:{self.kind}:{self.name}"


class Alert(models.Model):
    """Something owed to people about one subject: a step of a time limit that was reached.

    Narrow on purpose (no foreign key constraints, one index): the sweep inserts a hundred
    thousand of these in one statement. The subject is polymorphic: the step's
    ``source`` names the registry entry in ``sources.py``. Titles and texts are rendered at
    delivery from the subject; whether an alert was fanned out is its run's business
    (``Run.fanned_at``); ``fire_on`` is the day it became owed.
    """

    id = models.BigIntegerField(_("提醒键"), primary_key=True, editable=False)
    subject_id = models.BigIntegerField(_("对象ID"))
    step = models.ForeignKey(
        AlertStep,
        on_delete=models.PROTECT,
        db_constraint=False,  # a per-row check would cost the sweep; steps are never deleted
        db_index=False,
        related_name="+",
        verbose_name=_("节点"),
    )
    version = models.PositiveIntegerField(_("期限版本"))
    due_on = models.DateField(_("期限"), null=True, blank=True)
    # Limits counted in clock minutes (an incident's forwarding limit): the moment it passed.
    # Set only by the sources with ``minute_precision``, which the minute sweep covers.
    due_at = models.DateTimeField(_("期限时刻"), null=True, blank=True)
    fire_on = models.DateField(_("触发日期"))
    run = models.ForeignKey(
        Run, null=True, blank=True, on_delete=models.DO_NOTHING, db_constraint=False, db_index=False, related_name="+"
    )

    class Meta:
        verbose_name = _("提醒")
        verbose_name_plural = _("提醒台账")
        constraints = [
            # Owed at most once: the primary key is (subject, step, version), packed.
            models.CheckConstraint(
                condition=Q(
                    id=F("subject_id") * (1 << SUBJECT_SHIFT) + F("step") * (1 << STEP_SHIFT) + F("version"),
                    subject_id__gte=0,
                    subject_id__lt=SUBJECT_LIMIT,
                    step__gt=0,
                    step__lt=STEP_LIMIT,
                    version__lt=VERSION_LIMIT,
                ),
                name="alert_key_is_packed",
            ),
        ]

    def __str__(self) -> str:
        return self.key

    def save(self, *args, **kwargs):
        if self.pk is None:  # a new alert: never an update of the one already under its key
            self.pk = self.pack(self.subject_id, self.step_id, self.version)
            kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    @staticmethod
    def pack(subject_id: int, step_id: int, version: int) -> int:
        return (subject_id << SUBJECT_SHIFT) | (step_id << STEP_SHIFT) | version

    @property
    def key(self) -> str:
        return f"{self.step.source}:{self.subject_id}:{self.step.kind}:{self.step.name}:v{self.version}"


class Channel(models.TextChoices):
    INBOX = "inbox", _("站内消息")
    EMAIL = "email", _("电子邮件")
    SMS = "sms", _("短信")


class Delivery(models.Model):
    """One alert (or one digest) to one person over one channel.

    ``pending`` → ``sending`` (claimed: a claim token and a lease) → ``sent`` at the commit
    point; ``confirmed_at`` once the receiving server acknowledged. A stale ``sending`` row
    (its worker died) goes back to ``pending`` and is sent again: under the send protocol its
    message did not leave, or left in the worker's last moment and is repeated under the same
    key (``delivery.py``).
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("待发送")
        SENDING = "sending", _("发送中")
        SENT = "sent", _("已发送")
        FAILED = "failed", _("发送失败")
        UNDELIVERABLE = "undeliverable", _("无法投递")
        DIGESTED = "digested", _("并入汇总")
        CANCELLED = "cancelled", _("已撤销")

    OPEN_STATUSES = (Status.PENDING, Status.SENDING)

    # Looked up through the unique (alert, channel, recipient) index, which leads with it.
    alert = models.ForeignKey(
        Alert, null=True, blank=True, on_delete=models.CASCADE, related_name="deliveries", db_index=False
    )
    is_digest = models.BooleanField(_("汇总"), default=False)
    digest = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="items",
        verbose_name=_("并入的汇总"),
        db_index=False,  # indexed below, only where set
    )
    # No index of its own: every row version of a delivery would pay for it, and nothing reads
    # deliveries by person (the inbox has its own table); accounts are deactivated, not deleted.
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_index=False)
    channel = models.CharField(_("渠道"), max_length=8, choices=Channel.choices)
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.PENDING)
    address = models.CharField(_("投递地址"), max_length=254, blank=True)
    attempts = models.PositiveSmallIntegerField(_("尝试次数"), default=0)
    next_attempt_at = models.DateTimeField(_("下次尝试"), default=timezone.now)
    enqueued_at = models.DateTimeField(_("入队时间"), null=True, blank=True)
    claim_token = models.UUIDField(_("领取令牌"), null=True, blank=True)
    lease_until = models.DateTimeField(_("领取有效期"), null=True, blank=True)
    sent_at = models.DateTimeField(_("发送时间"), null=True, blank=True)
    confirmed_at = models.DateTimeField(_("对方确认时间"), null=True, blank=True)
    last_error = models.CharField(_("最近错误"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("生成时间"), default=timezone.now)
    updated_at = models.DateTimeField(_("更新时间"), default=timezone.now)

    class Meta:
        verbose_name = _("投递")
        verbose_name_plural = _("投递记录")
        constraints = [
            models.UniqueConstraint(
                fields=["alert", "channel", "recipient"],
                condition=Q(alert__isnull=False),
                name="delivery_once_per_channel",
            ),
            models.CheckConstraint(
                condition=Q(is_digest=True, alert__isnull=True) | Q(is_digest=False, alert__isnull=False),
                name="delivery_alert_or_digest",
            ),
            models.CheckConstraint(
                condition=~Q(status="sending") | Q(claim_token__isnull=False, lease_until__isnull=False),
                name="delivery_sending_is_claimed",
            ),
        ]
        indexes = [
            # Backlog, redispatch and recent failures: the rows not finished yet (and failures).
            models.Index(
                fields=["status", "next_attempt_at"],
                name="delivery_open_idx",
                condition=Q(status__in=["pending", "sending", "failed"]),
            ),
            models.Index(fields=["digest"], name="delivery_digest_idx", condition=Q(digest__isnull=False)),
            # Sent, but the receiving server's answer never came back (status page).
            models.Index(
                fields=["channel"],
                name="delivery_unconfirmed_idx",
                condition=Q(status="sent", confirmed_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.channel} → {self.recipient_id}: {self.status}"

    @property
    def idempotency_key(self) -> str:
        """Stable for this delivery across retries: receivers may drop repeats by it."""
        return f"portal-delivery-{self.pk}"


class InboxMessage(models.Model):
    """A message in a user's in-portal inbox. Only its owner ever sees it (``selectors``)."""

    class Level(models.TextChoices):
        INFO = "info", _("提醒")
        WARNING = "warning", _("到期")
        DANGER = "danger", _("逾期")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    # Exactly once per delivery: written in the transaction that marks the delivery sent.
    delivery = models.OneToOneField(Delivery, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    level = models.CharField(_("级别"), max_length=8, choices=Level.choices, default=Level.INFO)
    title = models.CharField(_("标题"), max_length=200)
    body = models.TextField(_("内容"), blank=True)
    link = models.CharField(_("链接"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("时间"), default=timezone.now)
    read_at = models.DateTimeField(_("阅读时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("站内消息")
        verbose_name_plural = _("站内消息")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["user", "-created_at"], name="inbox_user_created_idx"),
            models.Index(fields=["user"], name="inbox_unread_idx", condition=Q(read_at__isnull=True)),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_read(self) -> bool:
        return self.read_at is not None


class NotificationPreference(models.Model):
    """A user's channel choices. The inbox always receives; without a row the defaults apply
    (``NOTIFICATIONS_DEFAULT_CHANNELS``)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, primary_key=True, on_delete=models.CASCADE, related_name="notification_preference"
    )
    email = models.BooleanField(_("电子邮件"), default=True)
    sms = models.BooleanField(_("短信"), default=False)
    updated_at = models.DateTimeField(_("更新时间"), default=timezone.now)

    class Meta:
        verbose_name = _("提醒方式")
        verbose_name_plural = _("提醒方式")

    def __str__(self) -> str:
        return str(self.user_id)
