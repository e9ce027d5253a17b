"""Templates administrators replace, per-type yearly counters, and the documents issued."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from portal.accounts.scoping import ScopedQuerySet


class DocumentTemplate(models.Model):
    """A Word template for one document type; the active one is used, else the built-in layout.
    Earlier uploads stay (deactivated) so a replaced template can be brought back."""

    doc_type = models.CharField(_("文书类型"), max_length=64)
    name = models.CharField(_("模板名称"), max_length=100)
    content = models.BinaryField(_("模板文件"))
    active = models.BooleanField(_("启用"), default=True)
    note = models.CharField(_("说明"), max_length=200, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("上传人"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("上传时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("文书模板")
        verbose_name_plural = _("文书模板")
        constraints = [
            models.UniqueConstraint(fields=["doc_type"], condition=Q(active=True), name="documents_one_active_template")
        ]

    def __str__(self) -> str:
        return self.name


class DocumentCounter(models.Model):
    """The last number issued of a type in a year. Taken with SELECT … FOR UPDATE in the
    issuing transaction: a rolled-back issue gives its number back, so numbers have no gaps."""

    doc_type = models.CharField(max_length=64)
    year = models.PositiveSmallIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["doc_type", "year"], name="documents_counter_type_year")]

    def __str__(self) -> str:
        return f"{self.doc_type} {self.year}: {self.last}"


class IssuedDocument(models.Model):
    """One document as issued: its number, the object it is about, the file as sent. Voided
    documents keep their number (it is never given again) with who voided them and why."""

    doc_type = models.CharField(_("文书类型"), max_length=64)
    year = models.PositiveSmallIntegerField(_("年度"))
    seq = models.PositiveIntegerField(_("序号"), null=True)  # None: a type without numbers
    number = models.CharField(_("文号"), max_length=64, blank=True)
    title = models.CharField(_("标题"), max_length=300)
    object_type = models.CharField(max_length=64)
    object_id = models.CharField(max_length=64)
    region = models.ForeignKey("regions.Region", verbose_name=_("所属区划"), on_delete=models.PROTECT, related_name="+")
    file_name = models.CharField(_("文件名"), max_length=255)
    content = models.BinaryField(_("文件"))
    sha256 = models.CharField(max_length=64)
    template = models.ForeignKey(DocumentTemplate, null=True, on_delete=models.SET_NULL, related_name="+")
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("签发人"), on_delete=models.PROTECT, related_name="+"
    )
    issued_at = models.DateTimeField(_("签发时间"), auto_now_add=True)
    voided_at = models.DateTimeField(_("作废时间"), null=True, blank=True)
    voided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("作废人"), null=True, on_delete=models.PROTECT, related_name="+"
    )
    void_reason = models.CharField(_("作废原因"), max_length=300, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("已签发文书")
        verbose_name_plural = _("已签发文书")
        ordering = ["-issued_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["doc_type", "year", "seq"], condition=Q(seq__isnull=False), name="documents_number_once"
            )
        ]
        indexes = [models.Index(fields=["object_type", "object_id"], name="documents_issued_object_idx")]

    def __str__(self) -> str:
        return self.number or self.title

    @property
    def voided(self) -> bool:
        return self.voided_at is not None
