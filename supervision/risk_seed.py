"""Demo data of 风险预警 (called by ``supervision/seed.py``): a negative list at each demo level
(the province's, 郑州's with one item adopted from the province, 金水区's), the duty officer of
郑州, and two incidents at 金水区: one forwarded county → city → province within the limits and
closed with its final report, one forwarded late at both steps and still open. Made through the
services (audited, scored, with measures owned and dated); re-running adds nothing."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from portal.accounts.models import User
from portal.core.seeding import SeedContext
from portal.regions.models import EnforcementDomain, Region, Unit
from supervision.incidents import incident_add_report, incident_forward, incident_report
from supervision.models import DutyOfficer, Incident, IncidentClass, RiskItem
from supervision.risks import risk_item_adopt, risk_item_create

# (code, title, description, likelihood, impact, measures: (text, owner kind, days to due))
LISTS = {
    "410000": [
        (
            "SFX-01",
            "治超站点现场直接罚款",
            "超限检测站点违反“六严禁”直接罚款、以罚代管，易引发投诉和负面舆情。",
            3,
            5,
            [
                ("治超站点全面推行非现场执法，现场不收缴罚款", "first", 60),
                ("每季度开展治超执法专项检查", "department", 90),
            ],
        ),
        (
            "SFX-02",
            "执法人员不着装、不亮证、不使用执法记录仪",
            "违反“八不准”，执法过程无法追溯，易与当事人发生冲突。",
            4,
            3,
            [("执法记录仪全程佩戴、每日上传，抽查通报", "deputy", 30)],
        ),
    ],
    "410100": [
        (
            "ZFX-01",
            "出租车、网约车执法选择性执法",
            "对同类违法行为处罚标准不一，存在人情案、关系案风险。",
            3,
            4,
            [
                ("统一裁量基准，案件法制审核全覆盖", "department", 45),
                ("分管领导每月抽查案卷", "deputy", 30),
            ],
        ),
    ],
    "410105": [
        (
            "JFX-01",
            "路面执法拦车检查引发冲突",
            "夜间路面拦车检查，当事人拒检、冲卡，存在人身伤害和执法冲突风险。",
            3,
            4,
            [("夜间执法不少于两人、全程记录", "first", 30), ("执法冲突应急处置演练", "department", 60)],
        ),
    ],
}
LOGINS = {"410000": "shengting", "410100": "zhengzhou", "410105": "jinshui"}


def seed(ctx: SeedContext) -> None:
    if ctx.large or RiskItem.objects.filter(code="SFX-01", region_id="410000").exists():
        return
    users = {u.region_id: u for u in User.objects.filter(username__in=LOGINS.values())}
    unit = Unit.objects.filter(region_id="410105", active=True).order_by("pk").first()
    if len(users) < 3 or unit is None:
        return
    today = timezone.localdate()
    domain = EnforcementDomain.objects.order_by("sort_order").first()
    for code, items in LISTS.items():
        for item_code, title, description, likelihood, impact, measures in items:
            risk_item_create(
                actor=users[code],
                region=Region.objects.get(code=code),
                code=item_code,
                title=title,
                domain=domain,
                description=description,
                likelihood=likelihood,
                impact=impact,
                measures=[
                    {"text": text, "owner_kind": owner, "due_on": today + dt.timedelta(days=days)}
                    for text, owner, days in measures
                ],
            )
    # 郑州 adopts the province's item on body cameras into its own list.
    risk_item_adopt(actor=users["410100"], source=RiskItem.objects.get(region_id="410000", code="SFX-02"))
    ctx.count("negative-list items", RiskItem.objects.count())

    DutyOfficer.objects.get_or_create(region_id="410100", user=users["410100"])
    county, city = users["410105"], users["410100"]
    conflict = IncidentClass.objects.get(code="conflict")
    opinion = IncidentClass.objects.get(code="opinion")
    now = timezone.now()

    start = now - dt.timedelta(days=3, hours=2)
    on_time = incident_report(
        actor=county,
        title="路面检查中当事人拒检冲卡，执法人员轻微擦伤",
        incident_class=conflict,
        text="G107 金水段夜间检查，货车司机拒检冲卡，一名执法人员手臂擦伤，已送医处理，现场已控制。",
        unit=unit,
        now=start,
    )
    incident_forward(actor=county, incident=on_time, now=start + dt.timedelta(minutes=18))
    incident_forward(actor=city, incident=on_time, now=start + dt.timedelta(minutes=50))
    followed = start + dt.timedelta(hours=3)
    text = "伤者已返岗，司机已移交公安机关。"
    incident_add_report(actor=county, incident=on_time, kind="follow_up", text=text, now=followed)
    text = "处置完毕，已组织复盘并完善夜间执法预案。"
    incident_add_report(actor=county, incident=on_time, kind="final", text=text, now=start + dt.timedelta(days=1))

    start = now - dt.timedelta(days=1, hours=5)
    late = incident_report(
        actor=county,
        title="网传执法人员态度粗暴视频",
        incident_class=opinion,
        text="某短视频平台出现执法人员与出租车司机争执的视频，播放量上升，正在核实。",
        unit=unit,
        now=start,
    )
    incident_forward(actor=county, incident=late, now=start + dt.timedelta(minutes=47))
    incident_forward(actor=city, incident=late, now=start + dt.timedelta(minutes=47 + 85))
    text = "已约谈涉事中队负责人，视频当事人已联系。"
    incident_add_report(actor=city, incident=late, kind="follow_up", text=text, now=start + dt.timedelta(hours=4))
    ctx.count("incidents", Incident.objects.count())
