"""Demo problems. Small scale: a few dozen in the demo counties (金水区, 中牟县, 西工区) and their
cities, in every state, some overdue. Large scale (``seed_demo --scale large``, the benchmark
data): 200,000 across every county of the province with realistic states (≈55% closed, 20%
rectifying, 10% assigned, 5% submitted, 10% registered), deadlines spread over three years
(open ones partly overdue), weighted categories and channels, loaded by COPY.

Seeded problems are the ones without a registering user (``registered_by`` is NULL; the
portal's forms and imports always record one); re-running tops them up to the target and
otherwise does nothing.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone

from cases.models import Category, Problem
from cases.services import next_problem_codes
from portal.core.seeding import SMALL_CITIES, SMALL_COUNTIES, SeedContext, copy_rows
from portal.regions.models import EnforcementDomain, Region, Unit

LARGE_PROBLEMS = 200_000
SMALL_PROBLEMS_PER_REGION = 8  # 3 counties and 2 cities: 40 problems

# (status, weight) and, per status, how long ago it was found (days) and its time limit (days)
STATES = [
    (Problem.Status.CLOSED, 55),
    (Problem.Status.RECTIFYING, 20),
    (Problem.Status.ASSIGNED, 10),
    (Problem.Status.SUBMITTED, 5),
    (Problem.Status.REGISTERED, 10),
]
FOUND_DAYS_AGO = {
    Problem.Status.CLOSED: (20, 3 * 365),
    Problem.Status.RECTIFYING: (10, 400),
    Problem.Status.ASSIGNED: (3, 120),
    Problem.Status.SUBMITTED: (10, 240),
    Problem.Status.REGISTERED: (0, 30),
}
TIME_LIMIT_DAYS = (14, 90)
SOURCES = [
    (Problem.Source.INSPECTION, 25),
    (Problem.Source.UNANNOUNCED_VISIT, 14),
    (Problem.Source.COMPLAINT, 22),
    (Problem.Source.PUBLIC_OPINION, 5),
    (Problem.Source.SELF_INSPECTION, 14),
    (Problem.Source.DATA_ANALYSIS, 8),
    (Problem.Source.REFERRAL, 6),
    (Problem.Source.THIRD_PARTY, 3),
    (Problem.Source.MEDIA, 3),
]
SEVERITIES = [(Problem.Severity.GENERAL, 70), (Problem.Severity.SERIOUS, 25), (Problem.Severity.GRAVE, 5)]
# How often each group's categories are found (the campaign's five classes dominate)
GROUP_WEIGHTS = {
    Category.Group.CAMPAIGN_2023: 6,
    Category.Group.SANLUAN: 4,
    Category.Group.CHINAKAYAO: 3,
    Category.Group.BABUZHUN: 2,
    Category.Group.LIUYANJIN: 2,
    Category.Group.OTHER: 2,
}
SURNAMES = "王李张刘陈杨赵黄周吴徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建国志红文斌辉鹏飞"
DEPARTMENTS = ["法制科", "执法一科", "执法二科", "路政科", "运政科", "治超科", "督察室", "办公室"]
TITLES = [
    "{unit}存在“{category}”问题",
    "{region}{category}问题线索核查",
    "群众反映{unit}{category}",
    "{category}：{region}专项检查发现",
]
COPY_COLUMNS = [
    "code",
    "title",
    "description",
    "category",
    "source",
    "severity",
    "region",
    "unit",
    "domain",
    "is_key",
    "first_responsible",
    "deputy_in_charge",
    "handling_department",
    "status",
    "deadline",
    "deadline_version",
    "deadline_provisional",
    "version",
    "found_on",
    "created_at",
    "updated_at",
    "closed_at",
]


def seed(ctx: SeedContext) -> None:
    seeded = Problem.objects.filter(registered_by__isnull=True)
    if ctx.large:
        regions = list(Region.objects.filter(level=Region.Level.COUNTY).order_by("code").values_list("code", "name"))
        wanted = LARGE_PROBLEMS - seeded.count()
    else:
        codes = [*SMALL_COUNTIES, *SMALL_CITIES]
        regions = list(Region.objects.filter(code__in=codes).order_by("code").values_list("code", "name"))
        wanted = SMALL_PROBLEMS_PER_REGION * len(regions) - seeded.filter(region_id__in=codes).count()
    if wanted <= 0:
        return
    ctx.count("problems", seed_problems(ctx, regions, wanted))


def _weighted(rng, pairs, k):
    values, weights = zip(*pairs, strict=True)
    return rng.choices(values, weights=weights, k=k)


def seed_problems(ctx: SeedContext, regions: list[tuple[str, str]], n: int) -> int:
    """``n`` problems spread evenly over ``regions`` (code, name), each with one of the region's
    units; one COPY. Regions without units are skipped."""
    rng = ctx.rng
    units_by_region: dict[str, list[tuple[int, str, list[int]]]] = {}
    domains_of: dict[int, list[int]] = {}
    for unit_id, domain_id in Unit.domains.through.objects.values_list("unit_id", "enforcementdomain_id"):
        domains_of.setdefault(unit_id, []).append(domain_id)
    all_domains = list(EnforcementDomain.objects.filter(active=True).values_list("pk", flat=True))
    wanted_regions = {code for code, _name in regions}
    for unit_id, region_id, name, kind in Unit.objects.filter(region_id__in=wanted_regions, active=True).values_list(
        "pk", "region_id", "name", "kind"
    ):
        if kind == Unit.Kind.AUTHORITY:
            continue  # problems are found in enforcement, not in the transport bureau itself
        units_by_region.setdefault(region_id, []).append((unit_id, name, domains_of.get(unit_id) or all_domains))
    regions = [(code, name) for code, name in regions if units_by_region.get(code)]
    if not regions or not all_domains:
        return 0
    rows_ = list(Category.objects.filter(active=True).order_by("pk").values_list("pk", "name", "group", "parent_id"))
    parents = {parent for *_rest, parent in rows_ if parent}
    # leaves only: the sub-items, and the classes that have none (吃拿卡要, 作风问题)
    categories = [(pk, name, GROUP_WEIGHTS.get(group, 1)) for pk, name, group, _p in rows_ if pk not in parents]

    now = timezone.now()
    today = timezone.localdate()
    zone = ZoneInfo(settings.TIME_ZONE)
    rand = rng.random  # one draw per choice below: 200,000 rows in a few seconds

    def between(lo: int, hi: int) -> int:
        return lo + int(rand() * (hi - lo + 1))

    days = [dt.timedelta(days=k) for k in range(0, 3 * 366 + 200)]
    # office hours for the registration and closing times
    clock = [dt.time(hour, minute) for hour in range(8, 18) for minute in range(0, 60, 5)]
    people = sorted({_person(rng) for _ in range(600)})
    source_labels = {value: str(label) for value, label in Problem.Source.choices}
    versions_of = {"registered": 1, "assigned": 2, "rectifying": 3, "submitted": 4, "closed": 5}

    statuses = _weighted(rng, STATES, n)
    # Pass 1: when each was found (its year gives its code), so codes come per year from the sequence.
    found = [today - days[between(*FOUND_DAYS_AGO[status])] for status in statuses]
    per_year = Counter(day.year for day in found)
    codes = {year: iter(next_problem_codes(count, year=year)) for year, count in sorted(per_year.items())}
    sources = _weighted(rng, SOURCES, n)
    severities = _weighted(rng, SEVERITIES, n)
    picked = rng.choices(categories, weights=[w for _pk, _name, w in categories], k=n)

    def pick(seq):
        return seq[int(rand() * len(seq))]

    def at(day: dt.date) -> dt.datetime:
        return min(now, dt.datetime.combine(day, pick(clock), zone))

    def rows():
        for i in range(n):
            status, found_on = statuses[i], found[i]
            region_code, region_name = regions[i % len(regions)]
            unit_id, unit_name, unit_domains = pick(units_by_region[region_code])
            category_id, category_name, _w = picked[i]
            deadline = found_on + days[between(*TIME_LIMIT_DAYS)]
            created_at = at(found_on)
            closed_at = None
            if status == Problem.Status.REGISTERED:
                deadline = None
            elif status == Problem.Status.CLOSED:
                # most close on time, some after the deadline; never in the future
                closed_on = min(today, deadline - days[40] + days[between(0, 50)])
                closed_at = max(at(max(closed_on, found_on + days[1])), created_at)
            returned = status != Problem.Status.REGISTERED and rand() < 0.08
            title = pick(TITLES).format(unit=unit_name, region=region_name, category=category_name)
            source = sources[i]
            yield (
                next(codes[found_on.year]),
                title[:200],
                f"{found_on.year}年{found_on.month}月{found_on.day}日，{region_name}经{source_labels[source]}"
                "发现该问题，已登记整改。",
                category_id,
                source,
                severities[i],
                region_code,
                unit_id,
                pick(unit_domains),
                severities[i] == Problem.Severity.GRAVE and rand() < 0.5,
                pick(people),
                pick(people),
                pick(DEPARTMENTS),
                status,
                deadline,
                2 if returned else 1,
                False,
                versions_of[status] + (2 if returned else 0),
                found_on,
                created_at,
                closed_at or min(now, created_at + days[between(0, 20)]),
                closed_at,
            )

    return copy_rows(Problem, COPY_COLUMNS, rows())


def _person(rng) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choices(GIVEN, k=rng.choice((1, 2))))
