"""Demo service-oriented enforcement, made through the services so the audit trail is real:
enterprises in every demo county and city (one whose pilot code fails the check, kept with its
reason; one left unassigned), leaders of the province (``lingdao``), 郑州 (``zhengzhou_lingdao``)
and 金水 (``jinshui_lingdao``, made here) with published phones, enterprises and stations
assigned to each, visits with issues (one resolved), last month's station days closed with
郑州's leader below 2, this month's so far, a record in every light register with a photo, and a
joint meeting whose decisions include an overdue one. Re-running adds nothing."""

from __future__ import annotations

import datetime as dt

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from portal.accounts.models import Role, User
from portal.core.seeding import SeedContext
from portal.regions.models import Unit
from service import services
from service.creditcode import check_character
from service.models import Enterprise, ServiceRecord

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
    b"\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82"
)

ENTERPRISES = [
    ("郑州宇通客运集团有限公司", "410100", "passenger", "large"),
    ("郑州金水顺达物流有限公司", "410105", "freight", "medium"),
    ("金水区安运出租汽车有限公司", "410105", "taxi", "small"),
    ("中牟县通达危险货物运输有限公司", "410122", "dangerous", "medium"),
    ("洛阳市中通公交有限公司", "410300", "bus", "large"),
    ("洛阳西工快捷机动车维修有限公司", "410303", "repair", "micro"),
]


def _code(index: int, region: str) -> str:
    first = f"9141{region[2:6]}MA4{index:02d}DEM"[:17].ljust(17, "0")
    return first + check_character(first)


def _station(region: str) -> Unit | None:
    return Unit.objects.filter(region_id=region, kind=Unit.Kind.STATION, active=True).order_by("pk").first()


LARGE_ENTERPRISES = 100_000
LARGE_PREFIX = "豫运"  # the large seed's enterprise names: 豫运<county><number><kind>有限公司
KIND_WORDS = {
    "passenger": "客运",
    "freight": "物流",
    "dangerous": "危险货物运输",
    "taxi": "出租汽车",
    "bus": "公交",
    "repair": "机动车维修",
    "training": "驾驶员培训",
}


def seed(ctx: SeedContext) -> None:
    if ctx.large:
        seed_large(ctx)
        return
    if Enterprise.objects.exists():
        return
    actor = User.objects.filter(username="shengting").first()
    if actor is None:
        return
    county_leader, created = User.objects.get_or_create(
        username="jinshui_lingdao",
        defaults={"region_id": "410105", "roles": [Role.LEADER], "first_name": "金水区交通运输局局长"},
    )
    if created:
        from portal.core.seeding import DEMO_PASSWORD

        county_leader.set_password(DEMO_PASSWORD)
        county_leader.save(update_fields=["password"])
    ctx.add_login("jinshui_lingdao", "金水区领导（联系企业、驻点）")
    leaders = {
        "410000": User.objects.filter(username="lingdao").first(),
        "410100": User.objects.filter(username="zhengzhou_lingdao").first(),
        "410105": county_leader,
    }
    posts = {"410000": "省交通运输厅副厅长", "410100": "郑州市交通运输局局长", "410105": "金水区交通运输局局长"}
    phones = {"410000": "0371-87160001", "410100": "0371-67180001", "410105": "0371-63330001"}
    for code, leader in leaders.items():
        if leader is not None:
            services.leader_set(actor=actor, user=leader, post=posts[code], phone=phones[code], published=True)
    made = []
    for index, (name, region, kind, size) in enumerate(ENTERPRISES):
        made.append(
            services.enterprise_register(
                actor=actor, name=name, credit_code=_code(index, region), kind=kind, size=size, region=region
            )
        )
    # an early pilot code that fails the check, kept with the reason
    first = "91410105MA44P1LT2"
    wrong = "0" if check_character(first) != "0" else "1"
    made.append(
        services.enterprise_register(
            actor=actor,
            name="金水区试点运输合作社",
            credit_code=first + wrong,
            kind="freight",
            size="small",
            region="410105",
            reason="2014年试点地区核发，营业执照原件已核对",
        )
    )
    by_name = {e.name: e for e in made}
    plan = {  # leader region -> enterprises (洛阳西工快捷 stays unassigned)
        "410000": ["郑州宇通客运集团有限公司", "洛阳市中通公交有限公司", "中牟县通达危险货物运输有限公司"],
        "410100": ["郑州宇通客运集团有限公司", "郑州金水顺达物流有限公司"],
        "410105": ["郑州金水顺达物流有限公司", "金水区安运出租汽车有限公司", "金水区试点运输合作社"],
    }
    stations = {"410000": _station("410122"), "410100": _station("410105"), "410105": _station("410105")}
    for code, names in plan.items():
        leader = leaders[code]
        if leader is None:
            continue
        for name in names:
            services.assignment_add(actor=actor, leader=leader, enterprise=by_name[name])
        if stations[code] is not None:
            services.assignment_add(actor=actor, leader=leader, station=stations[code])
    today = timezone.localdate()
    if leaders["410105"] is not None:
        visit = services.visit_log(
            actor=actor,
            leader=leaders["410105"],
            enterprise=by_name["郑州金水顺达物流有限公司"],
            visited_on=today - dt.timedelta(days=3),
            form="one_to_one",
            notes="走访企业，听取对治超执法的意见",
            issues=["货车年审排队时间长", "治超站称重结果有异议"],
        )
        services.issue_resolve(actor=actor, issue=visit.issues.order_by("id").first(), resolution="已开通年审绿色通道")
    # last month: the province's leader 2 days, 郑州's 1 (below), 金水's none (below); then closed
    last_month = (today.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    days = {"410000": [2, 9], "410100": [5], "410105": []}
    for code, dates in days.items():
        if leaders[code] is not None and stations[code] is not None:
            for day in dates:
                services.station_day_log(
                    actor=actor,
                    leader=leaders[code],
                    station=stations[code],
                    day=last_month.replace(day=day),
                    officer_opinions="执法人员反映夜间值班人手不足",
                    public_opinions="司机希望增加休息设施",
                )
    services.station_months_close(month=last_month)
    if leaders["410100"] is not None and stations["410100"] is not None and today.day > 1:
        services.station_day_log(
            actor=actor, leader=leaders["410100"], station=stations["410100"], day=today.replace(day=1)
        )
    station = stations["410105"]
    records = [
        ("rest_room", "金水区治超站司机之家", {"has_shower": True, "has_rest": True, "has_water": True}),
        (
            "open_day",
            "金水区执法开放日",
            {"held_on": today - dt.timedelta(days=20), "participants": 60, "media": "河南日报"},
        ),
        ("experience", "金水区执法体验周", {"held_on": today - dt.timedelta(days=40), "participants": 25}),
        ("service_point", "金水区治超站便民服务点", {}),
        ("case_talk", "谁执法谁普法：超限运输案例讲解", {"held_on": today - dt.timedelta(days=10), "participants": 40}),
        ("party_branch", "金水区治超站党支部", {}),
        ("model_post", "金水区治超站党员示范岗", {}),
        ("demo_site", "金水区服务型执法示范点", {}),
    ]
    for kind, title, fields in records:
        services.record_add(
            actor=actor,
            kind=kind,
            title=title,
            region="410105",
            unit=station if kind in ("rest_room", "service_point", "party_branch", "model_post", "demo_site") else None,
            photos=[SimpleUploadedFile(f"{kind}.png", PNG, content_type="image/png")],
            **fields,
        )
    ctx.count("service records", ServiceRecord.objects.count())
    zhengzhou = User.objects.filter(username="zhengzhou").first() or actor
    services.meeting_record(
        actor=zhengzhou,
        kind="joint",
        subject="治超联合执法联席会议",
        held_on=today - dt.timedelta(days=30),
        departments="公安交警、交通运输、市场监管",
        region="410100",
        decisions=[
            ("统一治超站点称重标准", "郑州市交通运输综合执法支队", today - dt.timedelta(days=5)),
            ("建立执法信息共享机制", "郑州市公安局交警支队", today + dt.timedelta(days=20)),
        ],
    )
    ctx.count("enterprises", len(made))


def seed_large(ctx: SeedContext, n: int = LARGE_ENTERPRISES) -> None:
    """Provincial scale for the public pages' benchmark (bench/bench_service.py): ``n``
    enterprises spread over every county, each assigned to its county's leader (every tenth to
    the city's leader too), one leader with a contact per county and city, every other phone
    published, and each leader's first station assigned. Additive and idempotent: skipped when
    the large enterprises are there. Bulk: leaders by bulk_create, enterprises and their
    assignments by COPY with reserved ids."""
    from django.contrib.auth.hashers import make_password

    from portal.core.seeding import copy_rows, reserve_ids
    from portal.regions.models import Region
    from service.models import Assignment, LeaderContact

    if Enterprise.objects.filter(name__startswith=LARGE_PREFIX).exists():
        return
    rng = ctx.rng
    regions = list(
        Region.objects.filter(level__in=[Region.Level.CITY, Region.Level.COUNTY])
        .order_by("code")
        .values_list("code", "name", "level", "parent_id")
    )
    counties = [(code, name, parent) for code, name, level, parent in regions if level == Region.Level.COUNTY]
    if not counties:
        return
    unusable = make_password(None)
    leaders = User.objects.bulk_create(
        [
            User(
                username=f"bench_lingdao_{code}",
                password=unusable,
                region_id=code,
                roles=[Role.LEADER],
                first_name=f"{name}交通运输局局长",
            )
            for code, name, _level, _parent in regions
        ],
        ignore_conflicts=True,
    )
    by_region = dict(
        User.objects.filter(username__in=[f"bench_lingdao_{code}" for code, *_ in regions]).values_list(
            "region_id", "pk"
        )
    )
    LeaderContact.objects.bulk_create(
        [
            LeaderContact(
                user_id=by_region[code],
                post=f"{name}交通运输局局长",
                phone=f"0371-{6000_0000 + i:08d}",
                published=i % 2 == 0,
                region_id=code,
            )
            for i, (code, name, _level, _parent) in enumerate(regions)
        ],
        ignore_conflicts=True,
    )
    stations = {}
    for pk, region_id in (
        Unit.objects.filter(kind=Unit.Kind.STATION, active=True).order_by("pk").values_list("pk", "region_id")
    ):
        stations.setdefault(region_id, pk)
    now = timezone.now()
    Assignment.objects.bulk_create(
        [
            Assignment(leader_id=by_region[code], station_id=stations[code], region_id=code, assigned_at=now)
            for code, *_ in regions
            if code in stations
        ],
        ignore_conflicts=True,
    )
    kinds = list(KIND_WORDS)
    sizes = [value for value, _label in Enterprise.Size.choices]
    ids = reserve_ids(Enterprise, n)
    plan = []  # (id, county code, city code)
    for i, pk in enumerate(ids):
        code, _name, parent = counties[i % len(counties)]
        plan.append((pk, code, parent))

    def enterprises():
        for i, (pk, code, _parent) in enumerate(plan):
            kind = kinds[int(rng.random() * len(kinds))]
            first = f"91{code}{i:09d}"
            yield (
                pk,
                f"{LARGE_PREFIX}{counties[i % len(counties)][1]}{i:06d}{KIND_WORDS[kind]}有限公司",
                first + check_character(first),
                "",
                kind,
                sizes[int(rng.random() * len(sizes))],
                code,
                True,
                now,
            )

    columns = ["id", "name", "credit_code", "check_override_reason", "kind", "size", "region", "active", "created_at"]
    ctx.count("enterprises", copy_rows(Enterprise, columns, enterprises()))

    def assignments():
        for i, (pk, code, parent) in enumerate(plan):
            yield (by_region[code], pk, code, now)
            if i % 10 == 0 and parent in by_region:
                yield (by_region[parent], pk, code, now)

    written = copy_rows(Assignment, ["leader", "enterprise", "region", "assigned_at"], assignments())
    ctx.count("leaders", len(leaders))
    ctx.count("assignments", written)
