"""Regions (GB/T 2260 divisions of Henan), enforcement units under them, and the domains.

Regions form a tree kept as a materialized path (``410000/410100/410102/``), so a subtree is
one ``LIKE 'prefix%'`` query over a pattern index and the ancestors are one ``IN`` query over
the codes the path already holds: no recursion in Python, ever.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from portal.accounts.scoping import ScopedQuerySet

PATH_SEPARATOR = "/"


class RegionQuerySet(models.QuerySet):
    def subtree_of(self, region: Region) -> RegionQuerySet:
        """The region and everything under it, in one query."""
        return self.filter(path__startswith=region.path)

    def divisions(self) -> RegionQuerySet:
        return self.exclude(level=Region.Level.ZONE)


class Region(models.Model):
    class Level(models.TextChoices):
        PROVINCE = "province", _("省")
        CITY = "city", _("市")
        COUNTY = "county", _("县（市、区）")
        ZONE = "zone", _("功能区（统计用）")

    code = models.CharField(_("区划代码"), max_length=6, primary_key=True)
    name = models.CharField(_("名称"), max_length=64)
    level = models.CharField(_("级别"), max_length=8, choices=Level.choices)
    parent = models.ForeignKey(
        "self", verbose_name=_("上级"), null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    path = models.CharField(_("路径"), max_length=64, unique=True, editable=False)
    depth = models.PositiveSmallIntegerField(_("层级"), editable=False)

    objects = RegionQuerySet.as_manager()

    class Meta:
        verbose_name = _("行政区划")
        verbose_name_plural = _("行政区划")
        ordering = ["path"]
        indexes = [
            models.Index(fields=["path"], name="region_path_prefix_idx", opclasses=["varchar_pattern_ops"]),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(code__regex=r"^[0-9]{6}$"), name="region_code_six_digits"),
            models.CheckConstraint(
                condition=Q(level="province", parent__isnull=True) | Q(parent__isnull=False),
                name="region_only_province_is_root",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @staticmethod
    def build_path(code: str, parent_path: str | None) -> str:
        return f"{parent_path or ''}{code}{PATH_SEPARATOR}"

    @property
    def ancestor_codes(self) -> list[str]:
        """Codes from the root down to this region, read off the path (no query)."""
        return [code for code in self.path.split(PATH_SEPARATOR) if code]

    def ancestors(self, *, include_self: bool = False) -> RegionQuerySet:
        """The chain above this region, root first, in one query."""
        codes = self.ancestor_codes if include_self else self.ancestor_codes[:-1]
        return Region.objects.filter(code__in=codes).order_by("depth")

    def descendants(self, *, include_self: bool = True) -> RegionQuerySet:
        qs = Region.objects.subtree_of(self)
        return qs if include_self else qs.exclude(pk=self.pk)

    def contains(self, other: Region) -> bool:
        """True when ``other`` is this region or lies under it (no query)."""
        return other.path.startswith(self.path)

    @property
    def city_code(self) -> str | None:
        codes = self.ancestor_codes
        return codes[1] if len(codes) > 1 else None


class EnforcementDomain(models.Model):
    """The provincial committee's eight working groups (policy §11)."""

    code = models.SlugField(_("代码"), max_length=32, unique=True)
    name = models.CharField(_("名称"), max_length=32, unique=True)
    sort_order = models.PositiveSmallIntegerField(_("排序"), default=0)
    active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("执法领域")
        verbose_name_plural = _("执法领域")
        ordering = ["sort_order", "code"]

    def __str__(self) -> str:
        return self.name


class Unit(models.Model):
    """An organisation under a region (policy §11)."""

    class Kind(models.TextChoices):
        AUTHORITY = "authority", _("交通运输主管部门")
        ENFORCEMENT_AGENCY = "agency", _("综合执法机构")
        INDUSTRY_AGENCY = "industry", _("行业发展机构")
        STATION = "station", _("执法站/队")

    name = models.CharField(_("名称"), max_length=128)
    kind = models.CharField(_("类型"), max_length=16, choices=Kind.choices)
    region = models.ForeignKey(Region, verbose_name=_("所属区划"), on_delete=models.PROTECT, related_name="units")
    parent = models.ForeignKey(
        "self", verbose_name=_("上级单位"), null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    domains = models.ManyToManyField(EnforcementDomain, verbose_name=_("执法领域"), blank=True, related_name="units")
    credit_code = models.CharField(_("统一社会信用代码"), max_length=18, blank=True)
    active = models.BooleanField(_("启用"), default=True)

    objects = ScopedQuerySet.as_manager()
    scope_region_field = "region"

    class Meta:
        verbose_name = _("单位")
        verbose_name_plural = _("单位")
        ordering = ["region_id", "kind", "name"]
        constraints = [
            models.UniqueConstraint(fields=["region", "name"], name="unit_unique_name_per_region"),
        ]

    def __str__(self) -> str:
        return self.name
