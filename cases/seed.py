"""Demo problems. Small scale: a few dozen in the demo counties (金水区, 中牟县, 西工区) and their
cities, in every state, some overdue. Large scale (``seed_demo --scale large``, the benchmark
data): 200,000 across every county of the province with realistic states (≈55% closed, 20%
rectifying, 10% assigned, 5% submitted, 10% registered), deadlines spread over three years
(open ones partly overdue), weighted categories and channels, loaded by COPY.

Seeded problems are the ones without a registering user (``registered_by`` is NULL; the
portal's forms and imports always record one); re-running tops them up to the target and
otherwise does nothing.

Every seeded problem comes with the history of its state (``seed_history``): the audit events
of each move (registered → assigned → rectifying → submitted → closed) at their own times, by
the demo accounts of its region and the level above, and what the moves need by the rules of
``cases.requirements`` (a plan with a route map and milestones, progress with an evidence
file, a verification record — on site for key and grave problems). The state a problem
reaches is checked with the same checks the workflow service applies; where the rules ask
for more than the seed writes, the problem stays at the last state it qualifies for. About
one closed problem in ten is an old closing without a verification record (a bare
conclusion, as before records were kept): the archive and the dashboard name those.
All in bulk (COPY), a few statements whatever the scale.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import Counter
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone

from cases import requirements
from cases.models import (
    Category,
    Evidence,
    Milestone,
    Problem,
    ProgressEntry,
    RectificationPlan,
    Verification,
)
from cases.services import next_problem_codes, problem_events_copy
from portal.accounts.capabilities import Cap, has_cap
from portal.core.seeding import SMALL_CITIES, SMALL_COUNTIES, SeedContext, copy_rows, reserve_ids
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
HISTORY_DAYS = 3 * 365  # the large seed's span: problems found over the last three years


def states_by_age(rng, n: int, between) -> tuple[list, list[int]]:
    """The large seed's (status, days ago found) of ``n`` problems: the day first, uniformly over
    ``HISTORY_DAYS``, so the ledger is a history with a steady rate of new problems (a backtest of
    the monitoring replays it, issue 18), then its state among those whose age range of
    ``FOUND_DAYS_AGO`` holds that day, weighted by ``STATES`` per day of its range: a problem
    found yesterday is registered, one found two years ago closed. Drawing the state first (the
    small demo's way, every state well represented) would make the rate of new problems jump
    wherever an age range ends: ×2.5 in the last month, a step no real ledger shows."""
    weights = dict(STATES)
    by_age = []
    for age in range(HISTORY_DAYS + 1):
        held = [s for s, (lo, hi) in FOUND_DAYS_AGO.items() if lo <= age <= hi]
        by_age.append((held, [weights[s] / (FOUND_DAYS_AGO[s][1] - FOUND_DAYS_AGO[s][0] + 1) for s in held]))
    ages = [between(0, HISTORY_DAYS) for _ in range(n)]
    return [rng.choices(*by_age[age])[0] for age in ages], ages


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
    "id",
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
    from cases.enforcement import clue_seed
    from cases.enforcement.seed import seed as seed_enforcement_cases

    seed_problems_of(ctx)
    clue_seed.seed_reference(ctx)  # before the cases: their upload is judged by the list
    seed_enforcement_cases(ctx)
    if not ctx.large:
        clue_seed.seed_demo_cases(ctx)


def seed_problems_of(ctx: SeedContext) -> None:
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

    if ctx.large:
        statuses, ages = states_by_age(rng, n, between)
    else:
        statuses = _weighted(rng, STATES, n)
        ages = [between(*FOUND_DAYS_AGO[status]) for status in statuses]
    ids = reserve_ids(Problem, n)
    seeded: list[dict] = []  # what the history needs of each problem
    # Pass 1: when each was found (its year gives its code), so codes come per year from the sequence.
    found = [today - days[age] for age in ages]
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
            is_key = severities[i] == Problem.Severity.GRAVE and rand() < 0.5
            seeded.append(
                {
                    "id": ids[i],
                    "status": status,
                    "region": region_code,
                    "severity": severities[i],
                    "is_key": is_key,
                    "found_on": found_on,
                    "deadline": deadline,
                    "created_at": created_at,
                    "closed_at": closed_at,
                }
            )
            yield (
                ids[i],
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
                is_key,
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

    written = copy_rows(Problem, COPY_COLUMNS, rows())
    seed_history(ctx, seeded)
    return written


def _person(rng) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choices(GIVEN, k=rng.choice((1, 2))))


# --- the history behind each seeded problem ----------------------------------------------------

EVIDENCE_NAME = "evidence/seed/整改现场照片.png"
# The smallest valid PNG (1x1): every seeded evidence row points at this one stored file.
EVIDENCE_PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000001e221bc330000000049454e44ae426082"
)
MEASURES = [
    "立即停止违规行为，退还违规收取的款项；对涉事执法人员开展警示教育；全面排查同类问题。",
    "完善执法文书和程序，严格落实执法全过程记录制度；组织专题培训。",
    "约谈责任单位负责人，建立问题台账，逐项整改销号；举一反三开展自查自纠。",
]
ROUTE_MAPS = [
    "第一阶段：查清问题、制定方案；第二阶段：整改落实、建章立制；第三阶段：自查验收、提交核查。",
    "一周内完成问题核实，两周内完成整改，月底前完成制度完善并报送佐证材料。",
]
MILESTONES = ["核实问题并制定整改方案", "整改措施落实到位", "建章立制并完成自查"]
PROGRESS_NOTES = [
    "已对涉事人员进行约谈和警示教育，违规收取的款项已全部退还。",
    "已完成同类问题排查，未发现新的问题线索；相关制度已修订印发。",
    "已组织全员专题培训，执法记录仪全程开启情况纳入日常检查。",
]
FINDINGS = [
    "现场查看执法站点和执法记录，违规行为已停止，整改资料齐全。",
    "调阅执法案卷和执法记录仪视频，整改措施已落实。",
    "暗访复查未发现同类问题，群众反映问题已解决。",
]
LEGACY_SHARE = 0.1  # closed problems seeded as old closings without a verification record
HISTORY_BATCH = 10_000


def _seed_people() -> dict:
    """Demo accounts that act in the history: per region, someone who rectifies (edit
    records) and someone who verifies (the city, the province); the province's as fallback."""
    from portal.accounts.models import User

    editors, verifiers = {}, {}
    for user in User.objects.filter(is_active=True, region__isnull=False).order_by("pk"):
        if has_cap(user, Cap.EDIT_RECORDS):
            editors.setdefault(user.region_id, user)
        if has_cap(user, Cap.VERIFY):
            verifiers.setdefault(user.region_id, user)
    return {"editors": editors, "verifiers": verifiers}


def seed_history(ctx: SeedContext, seeded: list[dict]) -> None:
    """The moves behind each seeded problem's state, with what the rules ask of them."""
    people = _seed_people()
    province = people["verifiers"].get("410000") or people["editors"].get("410000")
    if province is None:
        return  # no accounts seeded (a bare test): nothing can act
    rng = ctx.rng
    rand = rng.random
    now = timezone.now()
    today = timezone.localdate()
    rules = requirements.active_rules()
    if not default_storage.exists(EVIDENCE_NAME):
        default_storage.save(EVIDENCE_NAME, ContentFile(EVIDENCE_PNG))
    sha = hashlib.sha256(EVIDENCE_PNG).hexdigest()
    M, R, S = Verification.Method, Verification.Result, Problem.Status
    order = [S.REGISTERED, S.ASSIGNED, S.RECTIFYING, S.SUBMITTED, S.CLOSED]

    def batch(items: list[dict]) -> None:
        plans, progress, verifications, events = [], [], [], []
        downgraded: dict[int, str] = {}

        for item in items:
            region = item["region"]
            city = region[:4] + "00"
            editor = people["editors"].get(region) or people["editors"].get(city) or province
            verifier = province if item["is_key"] or region == city else people["verifiers"].get(city) or province
            start = item["created_at"]
            end = item["closed_at"] or min(now, start + dt.timedelta(days=5 + int(rand() * 60)))
            span = max(end - start, dt.timedelta(hours=8))

            def at(fraction: float, start=start, span=span) -> dt.datetime:
                return min(now, start + span * fraction)

            pid = item["id"]
            target = order.index(item["status"])
            events.append((start, editor, "problem.register", pid, {}))
            if target < 1:
                continue
            events.append(
                (
                    at(0.05),
                    verifier,
                    "problem.assign",
                    pid,
                    {"status": ["registered", "assigned"], "deadline": [None, item["deadline"].isoformat()]},
                )
            )
            if target < 2:
                continue
            events.append((at(0.1), editor, "problem.start", pid, {"status": ["assigned", "rectifying"]}))
            # the plan: measures, a route map, milestones between the start and the deadline
            deadline = item["deadline"]
            steps = 2 + int(rand() * 2)
            first_day = item["found_on"]
            due = [first_day + (deadline - first_day) * (k + 1) / steps for k in range(steps)]
            done_all = target >= 3
            plan = {
                "problem": pid,
                "measures": MEASURES[int(rand() * len(MEASURES))],
                "route_map": ROUTE_MAPS[int(rand() * len(ROUTE_MAPS))],
                "by": editor,
                "at": at(0.15),
                "milestones": [],
            }
            for k in range(steps):
                done_at = at(0.2 + 0.5 * (k + 1) / steps)
                done = done_all or (rand() < 0.5 and done_at.date() <= today)
                plan["milestones"].append((MILESTONES[k % len(MILESTONES)], due[k], done_at.date() if done else None))
            plans.append(plan)
            events.append(
                (
                    plan["at"],
                    editor,
                    "problem.plan_set",
                    pid,
                    {
                        "measures": plan["measures"],
                        "milestones": [[t, d.isoformat()] for t, d, _x in plan["milestones"]],
                    },
                )
            )
            for title, due_on, done_on in plan["milestones"]:
                if done_on:
                    events.append(
                        (
                            at(0.2 + 0.5 * (plan["milestones"].index((title, due_on, done_on)) + 1) / steps),
                            editor,
                            "problem.milestone_done",
                            pid,
                            {"milestone": title, "due_on": due_on.isoformat(), "done_on": done_on.isoformat()},
                        )
                    )
            reports = 1 if target >= 3 or rand() < 0.6 else 0
            for k in range(reports + (1 if target >= 3 and rand() < 0.4 else 0)):
                when = at(0.72 + 0.05 * k)
                progress.append((pid, editor, PROGRESS_NOTES[(pid + k) % len(PROGRESS_NOTES)], when))
                events.append(
                    (when, editor, "problem.progress", pid, {"note": progress[-1][2], "files": ["整改现场照片.png"]})
                )
            if target < 3:
                continue
            facts = requirements.Facts(
                problem_id=0,
                severity=item["severity"],
                is_key=item["is_key"],
                has_plan=True,
                measures=plan["measures"],
                route_map=plan["route_map"],
                milestones=[requirements.MilestoneFact(t, d is not None, False) for t, _due, d in plan["milestones"]],
                progress_with_evidence=reports,
            )
            if requirements.unmet_of(rules, "submit", facts):
                downgraded[pid] = S.RECTIFYING
                continue
            events.append((at(0.8), editor, "problem.submit", pid, {"status": ["rectifying", "submitted"]}))
            if target < 4:
                continue
            legacy = rand() < LEGACY_SHARE
            if legacy:
                verifications.append((pid, verifier, R.PASSED, "", None, "", "", "核查通过", end, end, False))
            else:
                onsite = item["is_key"] or item["severity"] == Problem.Severity.GRAVE or rand() < 0.4
                method = M.ONSITE if onsite else (M.DESK if rand() < 0.6 else M.UNANNOUNCED)
                checked = at(0.9)
                facts.verifications = [(method, 1)]
                if requirements.unmet_of(rules, "verify_pass", facts):
                    downgraded[pid] = S.SUBMITTED
                    continue
                verifiers_text = verifier.get_full_name() or verifier.get_username()
                finding = FINDINGS[pid % len(FINDINGS)]
                verifications.append(
                    (
                        pid,
                        verifier,
                        R.PASSED,
                        method,
                        checked.date(),
                        verifiers_text,
                        finding,
                        "核查通过",
                        checked,
                        end,
                        True,
                    )
                )
                events.append(
                    (
                        checked,
                        verifier,
                        "problem.verification_record",
                        pid,
                        {
                            "method": method,
                            "verified_on": checked.date().isoformat(),
                            "verifiers": verifiers_text,
                            "findings": finding,
                            "files": ["整改现场照片.png"],
                        },
                    )
                )
            events.append((end, verifier, "problem.verify_pass", pid, {"status": ["submitted", "closed"]}))

        # Problems the rules hold back stay at the last state they qualify for.
        for state in {S.RECTIFYING, S.SUBMITTED}:
            held = [pid for pid, to in downgraded.items() if to == state]
            if held:
                Problem.objects.filter(pk__in=held).update(status=state, closed_at=None)
        if downgraded:
            ctx.count("problems held back by the rules", len(downgraded))

        plan_ids = reserve_ids(RectificationPlan, len(plans))
        copy_rows(
            RectificationPlan,
            ["id", "problem", "measures", "route_map", "updated_by", "updated_at"],
            (
                (plan_id, p["problem"], p["measures"], p["route_map"], p["by"].pk, p["at"])
                for plan_id, p in zip(plan_ids, plans, strict=True)
            ),
        )
        copy_rows(
            Milestone,
            ["plan", "title", "due_on", "done_on", "explanation"],
            (
                (plan_id, title, due_on, done_on, "")
                for plan_id, p in zip(plan_ids, plans, strict=True)
                for title, due_on, done_on in p["milestones"]
            ),
        )
        progress_ids = reserve_ids(ProgressEntry, len(progress))
        copy_rows(
            ProgressEntry,
            ["id", "problem", "author", "note", "created_at"],
            (
                (entry_id, pid, author.pk, note, when)
                for entry_id, (pid, author, note, when) in zip(progress_ids, progress, strict=True)
            ),
        )
        verification_ids = reserve_ids(Verification, len(verifications))
        copy_rows(
            Verification,
            [
                "id",
                "problem",
                "verifier",
                "result",
                "method",
                "verified_on",
                "verifiers",
                "findings",
                "note",
                "created_at",
                "concluded_at",
            ],
            ((vid, row[0], row[1].pk, *row[2:10]) for vid, row in zip(verification_ids, verifications, strict=True)),
        )
        evidence_columns = [
            "problem",
            "progress",
            "verification",
            "file",
            "original_name",
            "content_type",
            "size",
            "sha256",
            "uploaded_by",
            "uploaded_at",
        ]

        def evidence_rows():
            for entry_id, (pid, author, _note, when) in zip(progress_ids, progress, strict=True):
                yield (
                    pid,
                    entry_id,
                    None,
                    EVIDENCE_NAME,
                    "整改现场照片.png",
                    "image/png",
                    len(EVIDENCE_PNG),
                    sha,
                    author.pk,
                    when,
                )
            for vid, row in zip(verification_ids, verifications, strict=True):
                if row[10]:  # a recorded verification carries its evidence
                    yield (
                        row[0],
                        None,
                        vid,
                        EVIDENCE_NAME,
                        "核查现场照片.png",
                        "image/png",
                        len(EVIDENCE_PNG),
                        sha,
                        row[1].pk,
                        row[8],
                    )

        copy_rows(Evidence, evidence_columns, evidence_rows())
        ctx.count("problem history events", problem_events_copy(events))

    # In batches, so memory stays flat at the benchmark's 200,000 problems.
    for begin in range(0, len(seeded), HISTORY_BATCH):
        batch(seeded[begin : begin + HISTORY_BATCH])
