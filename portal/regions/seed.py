"""Demo units: a transport authority and an enforcement agency in every seeded region, and
enforcement stations in every seeded county."""

from __future__ import annotations

from portal.core.seeding import SMALL_CITIES, SMALL_COUNTIES, SeedContext
from portal.regions.models import EnforcementDomain, Region, Unit

AGENCY_NAMES = {
    Region.Level.PROVINCE: "交通运输综合行政执法局",
    Region.Level.CITY: "交通运输综合行政执法支队",
    Region.Level.COUNTY: "交通运输综合行政执法大队",
}


def seeded_regions(ctx: SeedContext):
    regions = Region.objects.divisions()
    if not ctx.large:
        regions = regions.filter(code__in=["410000", *SMALL_CITIES, *SMALL_COUNTIES])
    return list(regions.order_by("path"))


def seed(ctx: SeedContext) -> None:
    existing = set(Unit.objects.values_list("region_id", "name"))
    units = []
    for region in seeded_regions(ctx):
        short = region.name if region.level != Region.Level.PROVINCE else "河南省"
        names = [
            (f"{short}交通运输{'厅' if region.level == Region.Level.PROVINCE else '局'}", Unit.Kind.AUTHORITY),
            (f"{short}{AGENCY_NAMES[region.level]}", Unit.Kind.ENFORCEMENT_AGENCY),
        ]
        if region.level == Region.Level.COUNTY:
            names += [(f"{short}治超执法站", Unit.Kind.STATION), (f"{short}路政执法中队", Unit.Kind.STATION)]
        for name, kind in names:
            if (region.code, name) not in existing:
                units.append(Unit(name=name, kind=kind, region=region))
    Unit.objects.bulk_create(units, batch_size=1000)
    # Link new units to domains deterministically (through table, one bulk insert).
    domains = list(EnforcementDomain.objects.order_by("sort_order"))
    through = Unit.domains.through
    links = []
    for unit in units:
        picks = ctx.rng.sample(domains, k=2) if unit.kind == Unit.Kind.STATION else domains[:1]
        links += [through(unit_id=unit.pk, enforcementdomain_id=d.pk) for d in picks]
    through.objects.bulk_create(links, batch_size=2000)
    ctx.count("units", len(units))
