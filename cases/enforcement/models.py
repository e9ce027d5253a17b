"""Enforcement cases: one row per version in a table partitioned by the year of 立案.

Why two tables. PostgreSQL's declarative partitioning requires the partition key in every
unique constraint, so "(unit, case number) is unique" cannot live on the partitioned table
itself. ``EnforcementCaseKey`` is that constraint: one narrow row per case, unpartitioned, unique
on (unit, case number), holding the current version's number, content hash and revision time
(what the upload compares against). ``EnforcementCase`` holds every version of every case
(``is_current`` marks the one shown); the table is ``PARTITION BY RANGE (filed_year)`` with one
partition per year, made ahead of time by ``cases_enforcement_ensure_partitions`` (beat). Its
primary key in the database is (id, filed_year); ``id`` alone is unique by its sequence, which
is what Django's single-column primary key relies on.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from portal.accounts.scoping import ScopedQuerySet
from portal.core.fields import EncryptedTextField
from portal.dashboards.models import FigureTable, count_field

MIN_FILED_YEAR = 2015  # the oldest partition; a 立案 date before it is refused at upload
MAX_BATCH = 5000
# the soft measures (§14) as the tally's columns, in EnforcementCase.SoftMeasure's order
SOFT_COLUMNS = ("persuasion", "demonstration", "warning", "interview")


class ViolationItem(models.Model):
    """The violation items (违法事项) a case names by code: an editable list with the legal basis
    and whether the item is on Henan's list of minor violations exempt from penalty (§14)."""

    code = models.CharField(_("事项代码"), max_length=32, unique=True)
    name = models.CharField(_("违法事项"), max_length=128)
    legal_basis = models.CharField(_("处罚依据"), max_length=200, blank=True)
    exempt_first_offence = models.BooleanField(_("首违免罚事项"), default=False)
    active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("违法事项")
        verbose_name_plural = _("违法事项")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class CaseUploadClient(models.Model):
    """A unit's case system: its user account holds the API token (DRF's, as for the 12328
    intake clients); every case it uploads belongs to ``unit``, and to no other."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("接口账号"),
        on_delete=models.CASCADE,
        related_name="case_upload_client",
    )
    unit = models.ForeignKey(
        "regions.Unit", verbose_name=_("上传单位"), on_delete=models.PROTECT, related_name="case_upload_clients"
    )
    name = models.CharField(_("系统名称"), max_length=64)
    active = models.BooleanField(_("启用"), default=True)

    objects = ScopedQuerySet.as_manager()
    scope_region_field = "unit__region"

    class Meta:
        verbose_name = _("案件上传系统")
        verbose_name_plural = _("案件上传系统")

    def __str__(self) -> str:
        return self.name


class EnforcementCaseKey(models.Model):
    """One row per case: (unit, case number) unique, and the current version's facts."""

    unit = models.ForeignKey("regions.Unit", verbose_name=_("上传单位"), on_delete=models.PROTECT, related_name="+")
    case_number = models.CharField(_("案号"), max_length=64)
    filed_year = models.PositiveSmallIntegerField(_("立案年度"))
    current_version = models.PositiveIntegerField(_("当前版本"))
    current_hash = models.CharField(_("内容摘要"), max_length=32)
    current_revised_at = models.DateTimeField(_("当前版本修改时间"))

    class Meta:
        verbose_name = _("案件编号")
        verbose_name_plural = _("案件编号")
        constraints = [
            models.UniqueConstraint(fields=["unit", "case_number"], name="enforcement_case_unique_number"),
        ]

    def __str__(self) -> str:
        return self.case_number


class EnforcementCaseQuerySet(ScopedQuerySet):
    def current(self):
        return self.filter(is_current=True)


class EnforcementCase(models.Model):
    """One version of an enforcement case (the current one has ``is_current``)."""

    class Mode(models.TextChoices):
        ON_SITE = "on_site", _("现场执法")
        NON_SITE = "non_site", _("非现场执法（闯卡抓拍等）")
        OVERLOAD_STATION = "overload_station", _("超限检测站")

    class PenaltyType(models.TextChoices):
        NONE = "none", _("不予处罚")
        WARNING = "warning", _("警告")
        FINE = "fine", _("罚款")
        CONFISCATION = "confiscation", _("没收违法所得")
        SUSPENSION = "suspension", _("暂扣许可证件")
        REVOCATION = "revocation", _("吊销许可证件")

    class Discretion(models.TextChoices):
        EXEMPT = "exempt", _("不予处罚（免罚）")
        MITIGATED = "mitigated", _("减轻处罚")
        LIGHTER = "lighter", _("从轻处罚")
        GENERAL = "general", _("一般处罚")
        HEAVIER = "heavier", _("从重处罚")

    class SoftMeasure(models.TextChoices):
        PERSUASION = "persuasion", _("说服教育")
        DEMONSTRATION = "demonstration", _("劝导示范")
        WARNING = "warning", _("警示告诫")
        INTERVIEW = "interview", _("指导约谈")

    class Status(models.TextChoices):
        FILED = "filed", _("已立案")
        DECIDED = "decided", _("已作出决定")
        CLOSED = "closed", _("已结案")
        REVOKED = "revoked", _("已撤销")

    id = models.BigAutoField(primary_key=True)
    key = models.ForeignKey(
        EnforcementCaseKey, verbose_name=_("案件"), on_delete=models.PROTECT, related_name="versions"
    )
    version = models.PositiveIntegerField(_("版本"))
    is_current = models.BooleanField(_("当前版本"))
    content_hash = models.CharField(_("内容摘要"), max_length=32)
    revised_at = models.DateTimeField(_("单位系统修改时间"))
    received_at = models.DateTimeField(_("接收时间"))

    unit = models.ForeignKey("regions.Unit", verbose_name=_("上传单位"), on_delete=models.PROTECT, related_name="+")
    region = models.ForeignKey("regions.Region", verbose_name=_("案发区划"), on_delete=models.PROTECT, related_name="+")
    case_number = models.CharField(_("案号"), max_length=64)
    filed_year = models.PositiveSmallIntegerField(_("立案年度"))
    violation_item = models.ForeignKey(
        ViolationItem, verbose_name=_("违法事项"), on_delete=models.PROTECT, related_name="+"
    )
    legal_basis = models.CharField(_("处罚依据"), max_length=200, blank=True)
    penalty_type = models.CharField(_("处罚种类"), max_length=16, choices=PenaltyType.choices)
    penalty_amount = models.DecimalField(_("罚款金额（元）"), max_digits=12, decimal_places=2, null=True, blank=True)
    discretion = models.CharField(_("裁量等级"), max_length=16, choices=Discretion.choices)
    mode = models.CharField(_("执法方式"), max_length=16, choices=Mode.choices)
    soft_measures = ArrayField(
        models.CharField(max_length=16, choices=SoftMeasure.choices), verbose_name=_("柔性执法措施"), blank=True
    )
    officer_certificates = ArrayField(models.CharField(max_length=32), verbose_name=_("执法人员证件号"), size=2)
    party_name = models.CharField(_("当事人"), max_length=64)
    party_id_number = EncryptedTextField(_("当事人证件号码"), kind="id_number")
    party_id_number_hash = models.CharField(max_length=32, blank=True, editable=False)
    plate = EncryptedTextField(_("车牌号"), kind="plate")
    plate_hash = models.CharField(max_length=32, blank=True, editable=False)
    place = models.CharField(_("违法地点"), max_length=128, blank=True)
    filed_on = models.DateField(_("立案日期"))
    decided_on = models.DateField(_("决定日期"), null=True, blank=True)
    closed_on = models.DateField(_("结案日期"), null=True, blank=True)
    status = models.CharField(_("案件状态"), max_length=16, choices=Status.choices)

    objects = EnforcementCaseQuerySet.as_manager()
    scope_region_field = "region"

    class Meta:
        verbose_name = _("执法案件")
        verbose_name_plural = _("执法案件")
        # Every index is made on the partitioned table by migration 0009 (and so on each
        # partition); the search and list indexes hold current versions only.
        indexes = [
            models.Index(fields=["key", "version"], name="enf_case_key_version_idx"),
            models.Index(fields=["case_number"], name="enf_case_number_idx", condition=Q(is_current=True)),
            models.Index(fields=["plate_hash"], name="enf_case_plate_idx", condition=Q(is_current=True)),
            models.Index(
                fields=["party_id_number_hash"],
                name="enf_case_id_number_idx",
                condition=Q(is_current=True),
            ),
            models.Index(fields=["-filed_on", "-id"], name="enf_case_filed_idx", condition=Q(is_current=True)),
            models.Index(
                fields=["region", "-filed_on", "-id"], name="enf_case_region_filed_idx", condition=Q(is_current=True)
            ),
            models.Index(
                fields=["unit", "-filed_on", "-id"], name="enf_case_unit_filed_idx", condition=Q(is_current=True)
            ),
            # a unit's decided fines by date: the clue rule of month-end bunching (issue 19) reads
            # one unit's months at a time instead of every fine of the province
            models.Index(
                fields=["unit", "decided_on"],
                name="enf_case_unit_fine_decided_idx",
                condition=Q(is_current=True, penalty_type="fine", decided_on__isnull=False),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(decided_on__isnull=True) | Q(decided_on__gte=models.F("filed_on")),
                name="enf_case_decided_after_filed",
            ),
            models.CheckConstraint(
                condition=Q(penalty_amount__isnull=True) | Q(penalty_amount__gte=0), name="enf_case_amount_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case_number} v{self.version}"


class EnforcementCaseTally(models.Model):
    """How many current cases share one combination of what the dashboards count (unit, region,
    violation item, mode, penalty type and the four soft measures): kept by the upload in the
    same transaction as the versions (+1 for a stored version, -1 for the version it replaces),
    so the dashboards' refresh groups a few thousand tally rows instead of ten million cases.
    (No CHECK on ``cases``: PostgreSQL checks the proposed row of an upsert before its ON
    CONFLICT, so the -1 of a replaced version would be refused.)
    ``cases.enforcement.tally.case_tally_rebuild`` recomputes it from the cases (the seed; the
    tests prove the two equal)."""

    unit = models.ForeignKey("regions.Unit", on_delete=models.CASCADE, related_name="+", db_index=False)
    region = models.ForeignKey("regions.Region", on_delete=models.CASCADE, related_name="+", db_index=False)
    violation_item = models.ForeignKey(ViolationItem, on_delete=models.CASCADE, related_name="+", db_index=False)
    mode = models.CharField(max_length=16)
    penalty_type = models.CharField(max_length=16)
    persuasion = models.BooleanField()
    demonstration = models.BooleanField()
    warning = models.BooleanField()
    interview = models.BooleanField()
    cases = models.BigIntegerField(default=0)

    DIMENSIONS = ("unit", "region", "violation_item", "mode", "penalty_type", *SOFT_COLUMNS)

    class Meta:
        verbose_name = _("执法案件统计")
        verbose_name_plural = _("执法案件统计")
        constraints = [
            models.UniqueConstraint(
                fields=["unit", "region", "violation_item", "mode", "penalty_type", *SOFT_COLUMNS],
                name="enf_tally_unique_group",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.unit_id}/{self.mode}: {self.cases}"


class EnforcementFigure(FigureTable):
    """The dashboards' summary table of enforcement cases (``cases/figures.py`` fills it from
    the tally): by unit and region, and by mode, violation item or soft measure."""

    violation_item = models.ForeignKey(
        ViolationItem, null=True, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    mode = models.CharField(max_length=16, blank=True, db_default="")
    measure = models.CharField(max_length=16, blank=True, db_default="")  # a soft measure

    DIMENSIONS = ("dim", "violation_item", "mode", "measure", "month")

    total = count_field()
    penalized = count_field()  # a penalty other than 不予处罚
    soft = count_field()  # at least one soft measure
    soft_only = count_field()  # soft measures and no penalty

    class Meta:
        indexes = [
            models.Index(fields=["dim", "region"], name="dash_enf_dim_region_idx"),
            models.Index(fields=["unit", "dim"], name="dash_enf_unit_dim_idx"),
        ]
