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


def seed(ctx: SeedContext) -> None:
    if ctx.large or Enterprise.objects.exists():
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
