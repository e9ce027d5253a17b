"""Demo listed-supervision items: a handful in every state (listed, rectifying with reports,
reported awaiting acceptance, back to rectifying after a failed acceptance, delisted, one
serious item with stationed supervision and an overdue one with a referral proposal), made
through the services so their history is real. Reached by the demo logins: ``shengting``
(province, lists and accepts), ``jiandu`` (the inspector on every team), ``zhengzhou`` (city),
``jinshui`` and ``zhongmou`` (the counties that report). Large scale adds 5,000 plain items
across the province for the benchmark. Re-running adds nothing once seeded.

Enforcement supervision (执法监督, ``seed_supervision_activities``): pools for the province
(with ``jiandu``, who has an account), 郑州 and 洛阳 (with ``luoyang_jiandu``); one past
unannounced activity of the province in 郑州's counties, its team drawn by commit and reveal
(re-checkable with ``manage.py verify_draw``), visited with a record, two findings and one raised
as a problem, its result published; and one planned activity of 洛阳, its team's candidate list
committed for a lottery still to come. Made through the services (dates then moved into the
past, as a draw committed days ago would be), so the audit trail is real."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from cases.models import Problem
from portal.accounts.models import User
from portal.core.seeding import SeedContext
from portal.regions.models import Region
from supervision import services
from supervision.models import SupervisionItem

LARGE_ITEMS = 5_000


def seed(ctx: SeedContext) -> None:
    from supervision import risk_seed

    risk_seed.seed(ctx)  # negative lists and incidents (风险预警)
    if ctx.large:
        _seed_large(ctx)
        return
    seed_supervision_activities(ctx)
    _seed_warnings()
    if SupervisionItem.objects.filter(candidate_key__startswith="demo:").exists():
        return
    users = {
        u.username: u
        for u in User.objects.filter(username__in=["shengting", "jiandu", "zhengzhou", "jinshui", "zhongmou"])
    }
    if len(users) < 5:
        return
    province, inspector, city = users["shengting"], users["jiandu"], users["zhengzhou"]
    problems = {code: list(Problem.objects.filter(region_id=code).order_by("pk")[:6]) for code in ("410105", "410122")}
    if not problems["410105"] or not problems["410122"]:
        return
    today = timezone.localdate()

    def item(actor, code, index, title, *, listed_days_ago=5, deadline_days=30, serious=False, tag=""):
        problem = problems[code][index % len(problems[code])]
        return services.item_list(
            actor=actor,
            title=title,
            problem_list=f"{problem.code} {problem.title}",
            measures_list="1. 立即停止违规行为；2. 清退违规收费罚款；3. 建立长效机制，开展专项培训。",
            rectification_responsibility=f"{problem.unit.name}主要负责人（第一责任人）；分管领导；执法科（承办）",
            supervision_responsibility=f"{actor.region.name}交通运输执法监督部门；督导组跟踪整改、现场验收",
            problems=[problem.pk],
            deadline_days=deadline_days,
            report_every_days=5,
            team=[inspector],
            serious=serious,
            candidate_key=f"demo:{tag or index}",
            listed_on=today - dt.timedelta(days=listed_days_ago),
        )

    county = {"410105": users["jinshui"], "410122": users["zhongmou"]}

    def move(obj, actor, name, **extra):
        return services.item_transition(actor=actor, item_id=obj.pk, move=name, **extra)

    def accept(obj, passed, text, **extra):
        return move(
            obj,
            inspector,
            "accept_pass" if passed else "accept_fail",
            text=text,
            visited_on=today,
            members=[inspector],
            **extra,
        )

    item(province, "410105", 0, "金水区治超站点直接罚款问题", tag="listed")
    rect = item(province, "410122", 0, "中牟县执法人员不着装不亮证执法问题", tag="rectifying")
    move(rect, county["410122"], "start")
    services.progress_report(actor=county["410122"], item=rect, text="已组织全员着装规范培训，配发执法证件。")
    rep = item(province, "410105", 1, "金水区出租车执法“钓鱼执法”投诉集中问题", tag="reported")
    move(rep, county["410105"], "start")
    move(rep, county["410105"], "report", text="已完成整改：清查案件 36 件，退还罚款 4 笔，相关人员停岗培训。")
    back = item(province, "410105", 2, "金水区路政巡查乱收费问题", tag="failed")
    move(back, county["410105"], "start")
    move(back, county["410105"], "report", text="已清退违规收费。")
    accept(back, False, "现场抽查仍有 2 处收费公示不规范，台账不完整。")
    done = item(province, "410122", 1, "中牟县超限检测站以罚代管问题", listed_days_ago=40, tag="delisted")
    move(done, county["410122"], "start")
    move(done, county["410122"], "report", text="已整改：取消罚款指标，建立执法全过程记录。")
    accept(
        done,
        True,
        "现场验收：整改措施落实到位。",
        handling_result="已取消罚款指标，建立执法全过程记录，相关责任人已被通报批评。",
    )
    city_item = item(city, "410105", 3, "金水区货运源头执法不规范问题", tag="city")
    move(city_item, county["410105"], "start")
    move(city_item, county["410105"], "report", text="已规范源头检查流程。")
    accept(city_item, True, "验收合格。", handling_result="已规范货运源头检查流程并公开执法标准。")
    grave = item(
        province,
        "410122",
        2,
        "中牟县执法冲突引发负面舆情问题",
        listed_days_ago=70,
        deadline_days=20,
        serious=True,
        tag="serious",
    )
    move(grave, county["410122"], "start")
    stationing = services.stationing_start(
        actor=inspector,
        item=grave,
        starts_on=today - dt.timedelta(days=3),
        ends_on=today + dt.timedelta(days=7),
        place="中牟县交通运输综合行政执法大队",
    )
    services.station_log(
        actor=inspector,
        item=grave,
        stationing_id=stationing.pk,
        day=today,
        text="调阅执法记录仪视频 12 段，约谈大队长。",
    )
    services.referrals_propose_overdue(today=today)
    ctx.count("supervision items", SupervisionItem.objects.filter(candidate_key__startswith="demo:").count())


def _seed_large(ctx: SeedContext) -> None:
    """5,000 items over the province's counties in every state (the ledger benchmark)."""
    if SupervisionItem.objects.filter(candidate_key="seed:large").exists():
        return
    counties = list(Region.objects.filter(level=Region.Level.COUNTY).values_list("code", flat=True))
    if not counties:
        return
    rng, today = ctx.rng, timezone.localdate()
    states = ["listed", "rectifying", "rectifying", "reported", "delisted", "delisted"]
    codes = services.next_item_codes(LARGE_ITEMS)
    rows = []
    now = timezone.now()
    for i in range(LARGE_ITEMS):
        status = states[i % len(states)]
        listed_on = today - dt.timedelta(days=rng.randint(0, 700))
        deadline = listed_on + dt.timedelta(days=rng.randint(20, 90))
        rows.append(
            SupervisionItem(
                code=codes[i],
                title=f"督办事项 {i + 1}",
                level="province",
                region_id=counties[i % len(counties)],
                listed_by_region_id="410000",
                problem_list="问题清单",
                measures_list="措施清单",
                rectification_responsibility="整改责任清单",
                supervision_responsibility="督办责任清单",
                candidate_key="seed:large",
                status=status,
                listed_on=listed_on,
                deadline_days=30,
                deadline=deadline,
                report_every_days=5,
                next_report_due=(listed_on + dt.timedelta(days=7)) if status in ("listed", "rectifying") else None,
                delisted_at=now if status == "delisted" else None,
                created_at=now,
                updated_at=now,
            )
        )
    SupervisionItem.objects.bulk_create(rows, batch_size=1000)
    ctx.count("supervision items", LARGE_ITEMS)


# --- enforcement supervision: pools, one past activity, one planned ---------------------------

DEMO_ACTIVITY = "2022年度第一次异地交叉执法监督（暗访）"
PLANNED_ACTIVITY = "洛阳市异地交叉执法监督"
# (name, home region): the province's pool never draws from 郑州 for 郑州's targets
PROVINCE_POOL = [
    ("王建国", "410200"),
    ("李红梅", "410300"),
    ("张卫东", "410400"),
    ("刘晓燕", "410500"),
    ("陈志强", "410700"),
    ("杨丽娟", "410800"),
]
CITY_POOLS = {
    "410100": [("赵永刚", "410102"), ("孙海燕", "410104"), ("周建华", "410181")],
    "410300": [("吴军", "410302"), ("郑小兵", "410305"), ("冯立新", "410311"), ("褚志明", "410323")],
}


def _demo_unit(code: str):
    from portal.regions.models import EnforcementDomain, Unit

    unit = Unit.objects.filter(region_id=code, active=True).order_by("pk").first()
    if unit is None:
        unit = Unit.objects.create(
            name=f"{Region.objects.get(code=code).name}交通运输综合行政执法大队",
            kind=Unit.Kind.ENFORCEMENT_AGENCY,
            region_id=code,
        )
        unit.domains.set(EnforcementDomain.objects.all())
    return unit


def seed_supervision_activities(ctx: SeedContext) -> None:
    from cases.models import Category
    from portal.regions.models import EnforcementDomain
    from supervision import activities
    from supervision.models import Activity, Draw, Inspector

    if Activity.objects.filter(title=DEMO_ACTIVITY).exists():
        return
    users = {
        u.username: u
        for u in User.objects.filter(username__in=["shengting", "jiandu", "zhengzhou", "luoyang", "luoyang_jiandu"])
    }
    if len(users) < 5 or not Category.objects.filter(parent__isnull=False).exists():
        return
    province, zhengzhou, luoyang = users["shengting"], users["zhengzhou"], users["luoyang"]
    domains = list(EnforcementDomain.objects.order_by("pk"))
    today = timezone.localdate()
    start = dt.date(2020, 1, 1)

    def add(actor, name, home, user=None):
        return activities.inspector_add(
            actor=actor,
            name=name,
            home_region=Region.objects.get(code=home),
            domains=domains,
            user=user,
            available_from=start,
        )

    add(province, "省级执法监督人员", "410000", user=users["jiandu"])
    for name, home in PROVINCE_POOL:
        add(province, name, home)
    for code, members in CITY_POOLS.items():
        actor = zhengzhou if code == "410100" else luoyang
        for i, (name, home) in enumerate(members):
            add(actor, name, home, user=users["luoyang_jiandu"] if code == "410300" and i == 0 else None)

    # the past activity: planned and drawn ahead, through the services, then moved into the past
    act = activities.activity_create(
        actor=province,
        title=DEMO_ACTIVITY,
        method=Activity.Method.UNANNOUNCED,
        starts_on=today + dt.timedelta(days=10),
        ends_on=today + dt.timedelta(days=11),
        team_size=3,
        domain=domains[0],
    )
    targets = [
        activities.target_add(
            actor=province, activity=act, unit=_demo_unit(code), source="ranked", figures=_figures(province, code)
        )
        for code in ("410105", "410122")
    ]
    draw = activities.draw_commit(
        actor=province,
        activity=act,
        kind=Draw.Kind.TEAM,
        size=3,
        value_source="中国福利彩票3D",
        value_date=today + dt.timedelta(days=1),
    )
    visit = today - dt.timedelta(days=20)
    committed = timezone.make_aware(dt.datetime.combine(visit - dt.timedelta(days=6), dt.time(10)))
    Draw.objects.filter(pk=draw.pk).update(committed_at=committed, value_date=visit - dt.timedelta(days=5))
    draw.refresh_from_db()
    draw = activities.draw_reveal(actor=province, draw=draw, value_raw="3 8 1")
    Draw.objects.filter(pk=draw.pk).update(
        revealed_at=timezone.make_aware(dt.datetime.combine(visit - dt.timedelta(days=4), dt.time(9)))
    )
    year, quarter = activities.quarter_of(visit)
    Activity.objects.filter(pk=act.pk).update(
        starts_on=visit, ends_on=visit + dt.timedelta(days=1), year=year, quarter=quarter
    )
    team = list(act.team.values_list("inspector_id", flat=True))
    activities.record_visit(
        actor=province,
        target_id=targets[0].pk,
        answers={"0": "ok", "1": "problem", "2": "ok", "3": "problem"},
        member_ids=team,
        notes="上午 9 时到达，未提前通知；调阅执法案卷 20 份，询问货车司机 6 人。",
        visited_on=visit,
    )
    activities.record_visit(
        actor=province,
        target_id=targets[1].pk,
        answers={"0": "ok", "1": "ok", "2": "ok"},
        member_ids=team[:2],
        notes="现场执法规范，未发现问题。",
        visited_on=visit + dt.timedelta(days=1),
    )
    on_site = {"actor": province, "activity_id": act.pk, "target_id": targets[0].pk}
    finding = activities.finding_add(**on_site, text="执法人员未按规定着装、未主动出示执法证件", item=1)
    activities.finding_add(**on_site, text="罚没款台账登记不全，3 笔罚款无收据存根", item=3)
    activities.finding_raise_problem(
        actor=province,
        finding_id=finding.pk,
        category=Category.objects.filter(parent__isnull=False).order_by("pk").first(),
        domain=domains[0],
    )
    activities.activity_publish(
        actor=province,
        activity=act,
        result=(
            "本次暗访检查郑州市 2 个执法单位，发现执法不规范问题 2 个，已全部纳入问题清单限期整改，"
            "整改情况将在问题清单中公开。"
        ),
    )

    # the planned one: 洛阳 visits one of its counties; the candidate list is fixed, the lottery to come
    planned = activities.activity_create(
        actor=luoyang,
        title=PLANNED_ACTIVITY,
        method=Activity.Method.INSPECTION,
        starts_on=today + dt.timedelta(days=14),
        ends_on=today + dt.timedelta(days=15),
        team_size=2,
        domain=domains[0],
    )
    xigong = _demo_unit("410303")
    activities.target_add(actor=luoyang, activity=planned, unit=xigong, figures=_figures(luoyang, "410303"))
    activities.draw_commit(
        actor=luoyang,
        activity=planned,
        kind=Draw.Kind.TEAM,
        size=2,
        value_source="中国福利彩票3D",
        value_date=today + dt.timedelta(days=3),
    )
    ctx.count("supervision inspectors", Inspector.objects.count())
    ctx.count("supervision activities", 2)


def _figures(user, code: str) -> dict:
    from supervision.figures import units_with_most_problems

    unit = _demo_unit(code)
    rows = units_with_most_problems(user, limit=1, units=[unit.pk])
    row = rows[0] if rows else {"open": 0, "complaints": 0, "overdue": 0, "score": 0}
    return {k: row[k] for k in ("open", "complaints", "overdue", "score")}


def _seed_warnings() -> None:
    """Demo monitoring warnings (issue 18 §2): last night's run over the demo data, plus one
    warning of each kind on 金水区 and 中牟县 units (a strong surge that is a listing candidate, a
    new category, a rising trend, one intervened with a 约谈, one dismissed with its reason)."""
    from cases.models import Category
    from portal.regions.models import Unit
    from supervision.models import MonitoringRun, MonitoringWarning
    from supervision.warnings import PARAMS, monitoring_run

    if MonitoringWarning.objects.filter(series_key__startswith="demo:").exists():
        return
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    if not MonitoringRun.objects.filter(day=yesterday).exists():
        monitoring_run(yesterday)
    units = {code: Unit.objects.filter(region_id=code).order_by("pk").first() for code in ("410105", "410122")}
    categories = list(Category.objects.filter(parent__isnull=False).order_by("pk")[:3])
    if not all(units.values()) or len(categories) < 3:
        return
    shenting = User.objects.filter(username="shengting").first()
    steady = [3, 4, 2, 5, 3, 4, 3, 2, 4, 3, 5, 4] * 4
    rows = [
        ("surge", units["410105"], categories[0], [*steady, 4, 3, 19], 19, 3.5, 11, True, "open", "", ""),
        ("new", units["410105"], categories[1], [0] * 50 + [0, 0, 4], 4, 0.0, 2, False, "open", "", ""),
        ("rising", units["410122"], categories[0], [*steady, 4, 5, 7, 9], 9, 3.5, 7, False, "acknowledged", "", ""),
        (
            "surge",
            units["410122"],
            categories[2],
            [*steady, 3, 4, 14],
            14,
            3.5,
            11,
            False,
            "intervened",
            "talk",
            "已约谈中牟县执法大队主要负责人，要求一周内报送整改情况。",
        ),
        (
            "rising",
            units["410105"],
            categories[2],
            [*steady, 5, 6, 8],
            8,
            3.5,
            5,
            False,
            "dismissed",
            "",
            "经核查为同一路段施工引发的集中咨询，已答复，非执法问题。",
        ),
    ]
    for i, (kind, unit, category, windows, observed, expected, threshold, strong, status, measure, note) in enumerate(
        rows
    ):
        MonitoringWarning.objects.create(
            kind=kind,
            source=MonitoringWarning.Source.COMPLAINT,
            unit=unit,
            region_id=unit.region_id,
            category=category,
            series_key=f"demo:{i}",
            window_end=yesterday,
            window_days=PARAMS.window_days,
            observed=observed,
            expected=expected,
            threshold=threshold,
            dispersion=1.0,
            strong=strong,
            windows=windows,
            status=status,
            intervention=measure,
            note=note,
            handled_by=shenting if status != "open" else None,
            handled_at=timezone.now() if status != "open" else None,
        )
