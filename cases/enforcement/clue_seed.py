"""Seed of issue 19: the exemption items DESIGN.md states as known, the clue rules, and demo
cases that trigger every rule once and come close to it without triggering (``make run``).

Only what DESIGN.md states is entered as known (three items of a transport list of this kind,
with the five common conditions); the official list has 20 items whose text was not
available, so the pages show the other 17 as waiting for an administrator. The seed's
effective date is a placeholder (the list's own date is not known) and says so in its note.
The one benchmark range is demo data, marked as such (the benchmarks are not known at all).
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from cases.enforcement.clue_models import Condition, DiscretionBenchmark, ExemptionItem, Provenance
from cases.enforcement.clues import RULES, clue_rules_ensure, defaults
from cases.enforcement.models import CaseUploadClient, EnforcementCaseKey, ViolationItem
from portal.accounts.models import User
from portal.core.seeding import SeedContext
from portal.regions.models import Region, Unit

# (code, violation item, legal basis) as DESIGN.md names them
KNOWN_ITEMS = [
    ("GL069", "拖拉、洒漏等造成公路路面损坏、污染", "《公路安全保护条例》第六十九条"),
    ("GL076", "铁轮车、履带车等机具未经许可在公路上行驶", "《公路法》第七十六条第（四）项"),
    ("GL054", "未经许可在公路用地范围内设置非公路标志", "《公路法》第五十四条"),
]
PLACEHOLDER_FROM = dt.date(2015, 1, 1)
DEMO_PREFIX = "线索演示"
DEMO_REGION = "410105"  # 金水区, a region of the small demo seed


def seed_reference(ctx: SeedContext) -> None:
    """The known exemption items and the rules (every scale; idempotent)."""
    clue_rules_ensure()
    for code, name, basis in KNOWN_ITEMS:
        item, _made = ViolationItem.objects.get_or_create(
            code=code, defaults={"name": name, "legal_basis": basis, "exempt_first_offence": True}
        )
        if not ExemptionItem.objects.filter(violation_item=item).exists():
            ExemptionItem.objects.create(
                violation_item=item,
                name=name,
                legal_basis=basis,
                conditions=list(Condition.values),
                effective_from=PLACEHOLDER_FROM,
                provenance=Provenance.DESIGN,
                note="生效日期为占位，须由管理员依清单正式文本核定",
            )
            ctx.count("exemption items (known)", 1)


def seed_demo_cases(ctx: SeedContext) -> None:
    """One unit's demo cases per rule: one that triggers it, one just inside its threshold."""
    from cases.enforcement.services import case_upload_batch

    if not Region.objects.filter(code=DEMO_REGION).exists():
        return
    # a unit of its own, so the unit-month baseline is the demo's and nothing else's
    unit, _made = Unit.objects.get_or_create(
        name="线索演示执法大队", region_id=DEMO_REGION, defaults={"kind": Unit.Kind.ENFORCEMENT_AGENCY}
    )
    if EnforcementCaseKey.objects.filter(unit=unit).exists():
        return
    user, _made = User.objects.get_or_create(username="case_system_clue_demo", defaults={"region_id": DEMO_REGION})
    client, _made = CaseUploadClient.objects.get_or_create(
        user=user, defaults={"unit": unit, "name": "线索演示执法办案系统"}
    )
    today = timezone.localdate()
    n = iter(range(1, 10_000))

    def day(ago: int) -> str:
        return (today - dt.timedelta(days=ago)).isoformat()

    def row(**extra) -> dict:
        i = next(n)
        decided = extra.pop("ago", 30)
        base = {
            "case_number": f"{DEMO_PREFIX}〔{today.year}〕{i:04d}号",
            "revised_at": (timezone.localtime() - dt.timedelta(hours=1)).isoformat(),
            "violation_item": "CZ001",
            "penalty_type": "fine",
            "penalty_amount": "1000",
            "discretion": "general",
            "mode": "on_site",
            "soft_measures": [],
            "officer_certificates": [f"D{i:05d}", f"E{i:05d}"],
            "party_name": "演示当事人",
            "party_id_number": f"DEMO{i:06d}",
            "plate": f"豫D{i:05d}",
            "place": "演示路段",
            "region": client.unit.region_id,
            "filed_on": day(decided + 1),
            "decided_on": day(decided),
            "status": "decided",
        }
        base.update(extra)
        return base

    cz = ViolationItem.objects.filter(code="CZ001").first()
    if cz and not DiscretionBenchmark.objects.filter(violation_item=cz).exists():
        DiscretionBenchmark.objects.create(
            violation_item=cz,
            level="general",
            min_amount=200,
            max_amount=5000,
            effective_from=PLACEHOLDER_FROM,
            provenance=Provenance.DEMO,
            note="演示数据，非正式裁量基准",
        )

    exempt = {"penalty_type": "none", "penalty_amount": None, "discretion": "exempt"}
    rows = [
        # fine_when_exempt: a first offence of a listed item fined / the same party's second
        row(violation_item="GL069"),
        row(violation_item="GL054", party_id_number="DEMO-REPEAT", penalty_type="warning", penalty_amount=None, ago=60),
        row(violation_item="GL054", party_id_number="DEMO-REPEAT", ago=20),
        # exempt_unlisted: exempted though CZ001 is not listed / a listed item exempted
        row(**exempt),
        row(violation_item="GL076", **exempt),
        # exempt_repeat: exempted twice within 365 days / 366 days apart
        row(violation_item="GL076", party_id_number="DEMO-TWICE", ago=200, **exempt),
        row(violation_item="GL076", party_id_number="DEMO-TWICE", ago=10, **exempt),
        row(violation_item="GL076", party_id_number="DEMO-APART", ago=400, **exempt),
        row(violation_item="GL076", party_id_number="DEMO-APART", ago=34, **exempt),
        # outside_benchmark (CZ001 general 200–5000, demo): 5000.01 / 5000
        row(penalty_amount="5000.01"),
        row(penalty_amount="5000"),
        # decision_overdue (90 days): 91 / 90
        row(filed_on=day(131), ago=40),
        row(filed_on=day(130), ago=40),
        # station_fine / capture_penalty, and their near misses (a warning, no penalty)
        row(mode="overload_station"),
        row(mode="overload_station", penalty_type="warning", penalty_amount=None),
        row(mode="non_site", penalty_type="warning", penalty_amount=None),
        row(mode="non_site", penalty_type="none", penalty_amount=None, discretion="mitigated"),
    ]
    # officer_same_plate: three fines of one officer on one plate within 90 days / over 91 days
    for ago in (100, 60, 11):
        rows.append(row(officer_certificates=["DEMO-OFF-1", "DEMO-OFF-2"], plate="豫D99999", ago=ago))
    for ago in (200, 150, 109):
        rows.append(row(officer_certificates=["DEMO-OFF-3", "DEMO-OFF-4"], plate="豫D88888", ago=ago))
    case_upload_batch(actor=client.user, unit=client.unit, rows=rows)
    # few_officers: the upload refuses one officer; a case stored before that check has it
    few = EnforcementCaseKey.objects.filter(case_number=rows[-1]["case_number"]).values_list("pk", flat=True)
    from django.db import connection

    from cases.enforcement.clues import clues_check

    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE cases_enforcementcase SET officer_certificates = ARRAY['DEMO-OFF-3']"
            " WHERE key_id = ANY(%s) AND is_current",
            [list(few)],
        )
    _bunching(client, case_upload_batch, today, n)
    clues_check(kind="nightly")
    ctx.count("clue demo cases", len(rows))


def _bunching(client, upload, today, n) -> None:
    """period_end_bunching: a unit with four month-end fines a month, one month-end of 12
    (exactly 3 × 4: none) and, later, one of 13 (above 3 × 4: a clue)."""
    params = defaults(RULES["period_end_bunching"])
    this_month = today.replace(day=1)

    def month(k: int) -> dt.date:
        y, m = divmod(this_month.year * 12 + this_month.month - 1 - k, 12)
        return dt.date(y, m + 1, 1)

    def month_end(first: dt.date) -> dt.date:
        return (first.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=2)

    # months 14..9 before this one: four each; month 8: twelve (exactly 3 × 4, no clue); months
    # 7..2: four each; last month: thirteen (above 3 × 4 over months 7..2: a clue)
    plan = [(k, 4) for k in range(14, 8, -1)] + [(8, 12)] + [(k, 4) for k in range(7, 1, -1)] + [(1, 13)]
    rows = []
    for k, count in plan:
        d = month_end(month(k)).isoformat()
        for _j in range(count):
            i = next(n)
            rows.append(
                {
                    "case_number": f"{DEMO_PREFIX}〔月末〕{i:04d}号",
                    "revised_at": (timezone.localtime() - dt.timedelta(hours=1)).isoformat(),
                    "violation_item": "YS001",
                    "penalty_type": "fine",
                    "penalty_amount": "2000",
                    "discretion": "general",
                    "mode": "on_site",
                    "officer_certificates": [f"F{i:05d}", f"G{i:05d}"],
                    "party_name": "演示运输企业",
                    "party_id_number": f"DEMOM{i:06d}",
                    "plate": f"豫E{i:05d}",
                    "region": client.unit.region_id,
                    "filed_on": d,
                    "decided_on": d,
                    "status": "decided",
                }
            )
    assert params["tail_days"] >= 2  # the fines fall two days before the month's end
    upload(actor=client.user, unit=client.unit, rows=rows)
