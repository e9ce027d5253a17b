"""Writes for regions, units and domains."""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from django.db import transaction

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
DIVISIONS_CSV = DATA_DIR / "henan_divisions.csv"
ZONES_CSV = DATA_DIR / "henan_stat_only_zones.csv"

LEVEL_ORDER = {"province": 0, "city": 1, "county": 2, "stat_zone": 2, "zone": 2}
LEVEL_ALIASES = {"stat_zone": "zone"}

ENFORCEMENT_DOMAINS = [
    ("comprehensive", "综合执法"),
    ("policy-law", "政策法规"),
    ("transport-admin", "运政执法"),
    ("highway", "普通公路执法"),
    ("expressway", "高速公路执法"),
    ("waterway-maritime", "航务海事执法"),
    ("construction-quality", "工程质量执法"),
    ("work-safety", "安全生产执法"),
]


class RegionFileError(ValueError):
    """A regions file that cannot be loaded; the message names the row and what is wrong."""


@dataclass(frozen=True)
class RegionRow:
    code: str
    name: str
    level: str
    parent_code: str | None


def read_region_rows(path: Path) -> list[RegionRow]:
    rows: list[RegionRow] = []
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        expected = {"code", "name", "level", "parent_code"}
        if set(reader.fieldnames or []) != expected:
            raise RegionFileError(f"{path.name}: header must be {','.join(sorted(expected))}, got {reader.fieldnames}")
        for line, raw in enumerate(reader, start=2):
            code, name, level = raw["code"].strip(), raw["name"].strip(), raw["level"].strip()
            if not (len(code) == 6 and code.isdigit()):
                raise RegionFileError(f"{path.name} line {line}: code {code!r} is not six digits")
            if level not in LEVEL_ORDER or not name:
                raise RegionFileError(f"{path.name} line {line}: unknown level {level!r} or empty name")
            rows.append(RegionRow(code, name, LEVEL_ALIASES.get(level, level), raw["parent_code"].strip() or None))
    return rows


def regions_load(*, rows: Iterable[RegionRow], region_model=None) -> int:
    """Upsert regions in one statement; idempotent. Paths are computed from the rows' parents
    (parents first), so the file alone decides the tree. Returns the number of rows written.

    ``region_model`` lets a data migration pass its historical model."""
    if region_model is None:
        from portal.regions.models import Region as region_model
    ordered = sorted(rows, key=lambda r: (LEVEL_ORDER[r.level], r.code))
    existing = dict(region_model.objects.values_list("code", "path"))
    paths: dict[str, str] = {}
    objects = []
    for row in ordered:
        parent_path = None
        if row.parent_code:
            parent_path = paths.get(row.parent_code) or existing.get(row.parent_code)
            if parent_path is None:
                raise RegionFileError(f"region {row.code} {row.name}: parent {row.parent_code} is unknown")
        path = (
            region_model.build_path(row.code, parent_path)
            if hasattr(region_model, "build_path")
            else (f"{parent_path or ''}{row.code}/")
        )
        paths[row.code] = path
        objects.append(
            region_model(
                code=row.code,
                name=row.name,
                level=row.level,
                parent_id=row.parent_code,
                path=path,
                depth=path.count("/") - 1,
            )
        )
    with transaction.atomic():
        region_model.objects.bulk_create(
            objects,
            update_conflicts=True,
            unique_fields=["code"],
            update_fields=["name", "level", "parent", "path", "depth"],
            batch_size=500,
        )
    return len(objects)


def regions_load_henan(*, region_model=None, include_zones: bool = True) -> int:
    rows = read_region_rows(DIVISIONS_CSV)
    if include_zones:
        rows += read_region_rows(ZONES_CSV)
    return regions_load(rows=rows, region_model=region_model)


def domains_seed(*, domain_model=None) -> None:
    if domain_model is None:
        from portal.regions.models import EnforcementDomain as domain_model
    domain_model.objects.bulk_create(
        [domain_model(code=code, name=name, sort_order=i) for i, (code, name) in enumerate(ENFORCEMENT_DOMAINS, 1)],
        update_conflicts=True,
        unique_fields=["code"],
        update_fields=["name", "sort_order"],
    )
