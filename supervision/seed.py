"""Demo listed-supervision items: a handful in every state (listed, rectifying with reports,
reported awaiting acceptance, back to rectifying after a failed acceptance, delisted, one
serious item with stationed supervision and an overdue one with a referral proposal), made
through the services so their history is real. Reached by the demo logins: ``shengting``
(province, lists and accepts), ``jiandu`` (the inspector on every team), ``zhengzhou`` (city),
``jinshui`` and ``zhongmou`` (the counties that report). Large scale adds 5,000 plain items
across the province for the benchmark. Re-running adds nothing once seeded."""

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
    if ctx.large:
        _seed_large(ctx)
        return
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
