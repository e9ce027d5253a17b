"""Demo enforcement cases (small scale, ``make run``): a few hundred cases per demo enforcement
unit, of every mode, some with a second version, uploaded through the same service as the API
(``case_upload_batch``) by each unit's registered case system. Idempotent: a unit that already
has cases is skipped. The provincial-scale seed (10,000,000 cases, ``make bench-cases``) is not
written yet."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from cases.enforcement.models import CaseUploadClient, EnforcementCase, EnforcementCaseKey, ViolationItem
from cases.enforcement.services import case_upload_batch
from portal.accounts.models import User
from portal.core.seeding import SMALL_CITIES, SMALL_COUNTIES, SeedContext
from portal.regions.models import Unit

CASES_PER_UNIT = 240
ITEMS = [
    ("CZ001", "车辆超限超载运输", "《公路安全保护条例》第六十四条", False),
    ("CZ002", "擅自超限行驶公路", "《公路法》第七十六条", False),
    ("YS001", "未取得道路运输经营许可从事经营", "《道路运输条例》第六十三条", False),
    ("YS002", "未随车携带道路运输证", "《道路运输条例》第六十八条", True),
    ("YS003", "驾驶员未按规定携带从业资格证", "《道路运输从业人员管理规定》", True),
    ("CZ003", "闯卡逃避超限检测", "《公路安全保护条例》第六十七条", False),
]
PLATE_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"
SURNAMES = "王李张刘陈杨赵黄周吴徐孙马朱胡郭何高林罗"


def seed(ctx: SeedContext) -> None:
    if ctx.large:
        return  # the 10M-case bench seed is a separate target (not written yet)
    for code, name, basis, exempt in ITEMS:
        ViolationItem.objects.get_or_create(
            code=code, defaults={"name": name, "legal_basis": basis, "exempt_first_offence": exempt}
        )
    units = Unit.objects.filter(
        region_id__in=[*SMALL_COUNTIES, *SMALL_CITIES], kind=Unit.Kind.ENFORCEMENT_AGENCY, active=True
    ).order_by("pk")
    per_region: dict[str, int] = {}
    for unit in units:
        # named by region and place in it, not by id: the same seed gives the same accounts
        n = per_region[unit.region_id] = per_region.get(unit.region_id, 0) + 1
        if EnforcementCaseKey.objects.filter(unit=unit).exists():
            continue
        user, _created = User.objects.get_or_create(
            username=f"case_system_{unit.region_id}_{n}", defaults={"region_id": unit.region_id}
        )
        CaseUploadClient.objects.get_or_create(user=user, defaults={"unit": unit, "name": f"{unit.name}执法办案系统"})
        rows, updates = _cases(ctx, unit)
        case_upload_batch(actor=user, unit=unit, rows=rows)
        case_upload_batch(actor=user, unit=unit, rows=updates)
        ctx.count("enforcement cases", len(rows))
        ctx.count("enforcement case versions", len(rows) + len(updates))


def _cases(ctx: SeedContext, unit) -> tuple[list[dict], list[dict]]:
    rng, today = ctx.rng, timezone.localdate()
    modes = EnforcementCase.Mode.values
    soft = EnforcementCase.SoftMeasure.values
    rows, updates = [], []
    for i in range(CASES_PER_UNIT):
        code, _name, _basis, exempt = ITEMS[i % len(ITEMS)]
        filed = today - dt.timedelta(days=rng.randint(1, 700))
        decided = min(filed + dt.timedelta(days=rng.randint(0, 20)), today)
        light = exempt and rng.random() < 0.6
        row = {
            "case_number": f"豫{unit.region_id}交执罚〔{filed.year}〕{i + 1:04d}号",
            "revised_at": (timezone.localtime() - dt.timedelta(days=2)).isoformat(),
            "violation_item": code,
            "penalty_type": "none" if light else rng.choice(["fine", "fine", "fine", "warning"]),
            "discretion": "exempt" if light else rng.choice(["lighter", "general", "general", "heavier"]),
            "mode": modes[i % len(modes)],
            "soft_measures": rng.sample(soft, rng.randint(1, 2)) if light or rng.random() < 0.3 else [],
            "officer_certificates": [f"{unit.region_id}{rng.randint(1000, 9999)}", f"{unit.region_id}A{i:04d}"],
            "party_name": rng.choice(SURNAMES) + rng.choice(["某", "某某", "伟", "强", "芳"]),
            "plate": f"豫{rng.choice(PLATE_LETTERS)}{rng.randint(10000, 99999)}",
            "place": f"{unit.region.name}境内G{rng.randint(1, 350)}国道",
            "region": unit.region_id,
            "filed_on": filed.isoformat(),
            "decided_on": decided.isoformat(),
            "status": "decided",
        }
        if row["penalty_type"] == "fine":
            row["penalty_amount"] = str(rng.choice([200, 500, 1000, 3000, 5000, 20000]))
        rows.append(row)
        if i % 5 == 0:  # a later version: the case closed
            closed = min(decided + dt.timedelta(days=rng.randint(1, 30)), today)
            updates.append(
                {**row, "status": "closed", "closed_on": closed.isoformat(), "revised_at": timezone.now().isoformat()}
            )
    return rows, updates
