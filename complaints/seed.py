"""Demo complaints (``seed_demo``): deterministic (``ctx.rng``), idempotent, fast.

small: the routing rules, three volunteer supervisors, the API clients (12328 platform, WeChat,
an Open311 app) and a few dozen complaints in the demo regions, made through the services by the
demo users, so every page has something to show: lights of all colours, escalated complaints,
duplicates, replies, callbacks, closed ones.

large: 2,000,000 complaints over the last three years in every region, by COPY (the table's
secondary indexes are dropped for the load and rebuilt after it, in the same transaction). Old
complaints are closed, recent ones spread over the states; phone and ID numbers are encrypted
row by row like intake does.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator

from django.db import connection
from django.utils import timezone

from complaints import similarity
from complaints.models import Channel, Complaint, IntakeClient, RoutingRule, VolunteerSupervisor
from complaints.routing import refdata, refdata_changed
from portal.core import crypto
from portal.core.seeding import SMALL_CITIES, SMALL_COUNTIES, SeedContext, copy_rows
from portal.regions.models import Region, Unit

LARGE_COMPLAINTS = 2_000_000
LARGE_YEARS = 3
DEMO_PREFIX = "DEMO-"

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高"
GIVEN = ["伟", "芳", "娜", "敏", "静", "强", "磊", "军", "洋", "勇", "艳", "杰", "涛", "明", "超", "霞"]
LETTERS = "ABCDEFGHJKLMNPQRSTUVWXY"
PLACES = ["花园路", "文化路", "中州大道", "京广路", "郑汴路", "107国道", "310国道", "连霍高速", "客运站", "火车站广场"]

# (kind, area, category code or None, subject, description template)
TEMPLATES = [
    (
        "complaint",
        "highway",
        "sanluan-fines",
        "治超站乱罚款",
        "货车在{place}治超站被罚款{amount}元，没有开具任何票据。",
    ),
    ("complaint", "highway", "sanluan-fees", "路政人员乱收费", "{place}路段路政人员以检查为名收取{amount}元费用。"),
    ("complaint", "highway", "buguifan-roadblock", "随意设卡拦车", "{place}附近有人设卡拦截货车，要求出示证件并罚款。"),
    (
        "complaint",
        "road_transport",
        "cubao-attitude",
        "执法人员态度粗暴",
        "在{place}接受检查时执法人员态度恶劣，言语辱骂。",
    ),
    (
        "complaint",
        "road_transport",
        "zhuli-fines",
        "运政执法罚款过重",
        "客车在{place}因小问题被罚{amount}元，明显过重。",
    ),
    ("complaint", "urban_transit", None, "出租车拒载", "{place}一辆出租车拒载乘客，司机态度恶劣。"),
    ("complaint", "urban_transit", None, "网约车绕路多收费", "乘坐网约车从{place}出发，司机绕路多收{amount}元。"),
    ("complaint", "road_transport", None, "客运站强制收取行李费", "{place}汽车客运站强制收取行李费{amount}元。"),
    ("complaint", "highway", "bbz-uniform", "执法人员未着装执法", "{place}执法人员未穿制服、未出示证件即实施检查。"),
    ("complaint", "waterway", None, "渡口安全设施缺失", "{place}附近渡口救生设备缺失，存在安全隐患。"),
    (
        "consultation",
        "road_transport",
        None,
        "咨询道路运输证办理",
        "请问在{place}附近如何办理道路运输证，需要哪些材料？",
    ),
    ("consultation", "urban_transit", None, "咨询公交线路调整", "{place}公交线路调整后如何换乘？"),
    ("consultation", "highway", None, "咨询超限运输许可", "大件运输经过{place}需要办理什么许可？"),
    ("suggestion", "urban_transit", None, "建议增加公交班次", "{place}早高峰公交拥挤，建议增加班次。"),
    ("suggestion", "highway", None, "建议完善道路标志", "{place}路口标志不清，建议完善。"),
    ("praise", "road_transport", None, "表扬执法人员热情服务", "在{place}办理业务时执法人员热情耐心，特此表扬。"),
]
KIND_WEIGHTS = {"consultation": 60, "complaint": 25, "suggestion": 10, "praise": 5}


def seed(ctx: SeedContext) -> None:
    refdata_changed()
    if ctx.large:
        _seed_large(ctx)
    else:
        _seed_small(ctx)


# --- shared reference data -------------------------------------------------------------------------


def _units(codes) -> dict[tuple[str, str], Unit]:
    found = {}
    for unit in Unit.objects.filter(region_id__in=codes, active=True).order_by("id"):
        key = ("checkpoint" if "治超" in unit.name else "station") if unit.kind == Unit.Kind.STATION else unit.kind
        found.setdefault((unit.region_id, key), unit)
    return found


def seed_rules(codes) -> int:
    """Highway complaints of a county to its overload-control station, road transport to its
    enforcement agency; cities send road transport and urban transit to their agency."""
    units = _units(codes)
    existing = set(RoutingRule.objects.filter(region_id__in=codes).values_list("region_id", "area"))
    wanted = []
    for code in codes:
        for area, key in (
            ("highway", "checkpoint"),
            ("road_transport", "agency"),
            ("urban_transit", "agency"),
            ("waterway", "authority"),
        ):
            unit = units.get((code, key))
            if unit is not None and (code, area) not in existing:
                wanted.append(RoutingRule(region_id=code, area=area, unit=unit, note="演示数据"))
    RoutingRule.objects.bulk_create(wanted, batch_size=2000)
    refdata_changed()
    return len(wanted)


def _person(rng: random.Random) -> tuple[str, str]:
    name = rng.choice(SURNAMES) + rng.choice(GIVEN) + (rng.choice(GIVEN) if rng.random() < 0.6 else "")
    phone = f"1{rng.choice('3578')}{rng.randrange(10**9):09d}"
    return name, phone


def _plate(rng: random.Random) -> str:
    return f"豫{rng.choice('ABCEGHKMNPR')}{rng.choice(LETTERS)}{rng.randrange(10000):04d}"


# --- small -----------------------------------------------------------------------------------------


def _api_clients(ctx: SeedContext) -> None:
    from rest_framework.authtoken.models import Token

    from portal.accounts.models import User

    for username, name, channel in (
        ("api_12328", "12328 交通运输服务监督电话", Channel.HOTLINE_12328),
        ("api_wechat", "河南交通微信公众号", Channel.WECHAT),
        ("api_open311", "城市服务 App（Open311）", Channel.OPEN311),
    ):
        user, created = User.objects.get_or_create(
            username=username, defaults={"first_name": name, "region_id": "410000"}
        )
        if created:
            user.set_unusable_password()
            user.save(update_fields=["password"])
            ctx.count("users", 1)
        IntakeClient.objects.get_or_create(user=user, defaults={"name": name, "channel": channel})
        Token.objects.get_or_create(user=user)


def _seed_small(ctx: SeedContext) -> None:
    from portal.accounts.models import User

    codes = ["410000", *SMALL_CITIES, *SMALL_COUNTIES]
    ctx.count("complaint routing rules", seed_rules(codes))
    _api_clients(ctx)
    if Complaint.objects.filter(external_id__startswith=DEMO_PREFIX).exists():
        return
    rng = ctx.rng
    actors = {
        u.region_id: u
        for u in User.objects.filter(
            username__in=["jinshui", "zhongmou", "xigong", "zhengzhou", "luoyang", "shengting"]
        )
    }
    officer = actors.get("410105")
    if officer is None:
        return  # the accounts seeder makes the demo users; without them there is nobody to act
    volunteers = []
    for i, code in enumerate(SMALL_COUNTIES, 1):
        name, phone = _person(rng)
        number = f"YW{code}{i:03d}"
        if not VolunteerSupervisor.objects.filter(number=number).exists():
            volunteers.append(
                VolunteerSupervisor.objects.create(
                    number=number,
                    name=name,
                    phone=phone,
                    phone_hash=crypto.search_hash(phone, kind="phone"),
                    organisation=rng.choice(["货车司机", "出租车司机", "物流企业", "人大代表", "社区工作者"]),
                    region_id=code,
                )
            )
    ctx.count("volunteer supervisors", len(volunteers))
    made = _small_complaints(ctx, actors, volunteers)
    ctx.count("complaints", made)


def _small_complaints(ctx, actors, volunteers) -> int:
    from complaints import services

    rng = ctx.rng
    hotline = IntakeClient.objects.get(user__username="api_12328")
    units = _units(["410000", *SMALL_CITIES, *SMALL_COUNTIES])
    categories = refdata().categories_by_code
    now = timezone.now()
    made = 0
    repeat_phone = "13838381234"
    for i in range(48):
        kind, area, category_code, subject, template = TEMPLATES[i % len(TEMPLATES)]
        code = SMALL_COUNTIES[i % len(SMALL_COUNTIES)]
        place = rng.choice(PLACES)
        name, phone = _person(rng)
        if i in (5, 21, 37):  # the same caller three times: duplicates to merge
            phone = repeat_phone
        age_days = rng.choice([0, 0, 1, 2, 3, 5, 8, 12, 14, 16, 20, 25, 30, 45])
        category = categories.get(category_code) if category_code else None
        unit = units.get((code, "checkpoint")) if category_code and area == "highway" else None
        channel_pick = i % 4
        common = {
            "kind": kind,
            "area": area,
            "category": category.id if category else None,
            "unit": unit,
            "subject": subject,
            "description": template.format(place=place, amount=rng.choice([50, 100, 200, 500])),
            "region": code,
            "complainant_name": name,
            "phone": phone,
            "plate": _plate(rng) if area in ("highway", "road_transport", "urban_transit") else "",
            "location": place,
            "received_at": now - dt.timedelta(days=age_days, hours=rng.randrange(8)),
            "external_id": f"{DEMO_PREFIX}{i:04d}",
        }
        if channel_pick == 0:
            complaint, _ = services.complaint_submit(actor=None, channel=Channel.WEB, **common)
        elif channel_pick == 1 and volunteers:
            volunteer = volunteers[i % len(volunteers)]
            complaint, _ = services.complaint_submit(
                actor=actors.get(volunteer.region_id, actors["410105"]),  # the county that took the call
                channel=Channel.VOLUNTEER,
                volunteer=volunteer,
                **{**common, "region": volunteer.region_id},
            )
        else:
            complaint, _ = services.complaint_submit(
                actor=hotline.user, intake_client=hotline, channel=Channel.HOTLINE_12328, **common
            )
        made += 1
        _advance(complaint, actors, rng, age_days)
    return made


def _advance(complaint, actors, rng, age_days) -> None:
    """Move an older demo complaint along the loop, as its handlers would have."""
    from complaints import services

    handler = actors.get(complaint.handling_region_id)
    if handler is None or age_days == 0:
        return
    steps = rng.choice([1, 2, 3, 4, 4]) if age_days > 10 else rng.choice([0, 1, 1, 2])
    if steps >= 1:
        complaint = services.complaint_transition(actor=handler, complaint_id=complaint.pk, move="accept")
    if steps >= 2:
        complaint = services.complaint_transition(
            actor=handler, complaint_id=complaint.pk, move="reply", reason="已核实情况并依法处理，感谢您的监督。"
        )
    if steps >= 3:
        satisfaction = rng.choice(["satisfied", "satisfied", "basic", "unsatisfied"])
        complaint = services.complaint_callback(actor=handler, complaint_id=complaint.pk, satisfaction=satisfaction)
    if steps >= 4 and complaint.status == Complaint.Status.CALLED_BACK:
        services.complaint_transition(actor=handler, complaint_id=complaint.pk, move="close")


# --- large -----------------------------------------------------------------------------------------

COLUMNS = [
    "tracking_number",
    "channel",
    "external_id",
    "kind",
    "area",
    "category_id",
    "subject",
    "description",
    "location",
    "source_name",
    "source_url",
    "complainant_name",
    "phone",
    "phone_hash",
    "id_number",
    "id_number_hash",
    "plate",
    "region_id",
    "unit_id",
    "handling_unit_id",
    "handling_region_id",
    "escalated",
    "status",
    "version",
    "received_at",
    "accept_deadline",
    "deadline",
    "deadline_warn_from",
    "deadline_version",
    "deadline_provisional",
    "extensions_used",
    "accepted_at",
    "replied_at",
    "callback_at",
    "satisfaction",
    "closed_at",
    "close_kind",
    "close_reason",
    "reopen_count",
    "return_count",
    "misroute_count",
    "bigrams",
    "suspected_duplicates",
    "updated_at",
]


def _secondary_indexes() -> list[tuple[str, str]]:
    """(name, definition) of the table's indexes that back no constraint: dropped for the load."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT i.relname, pg_get_indexdef(x.indexrelid)
              FROM pg_index x
              JOIN pg_class i ON i.oid = x.indexrelid
              JOIN pg_class t ON t.oid = x.indrelid
             WHERE t.relname = %s AND NOT x.indisprimary
               AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)
             ORDER BY i.relname
            """,
            [Complaint._meta.db_table],
        )
        return cursor.fetchall()


def _seed_large(ctx: SeedContext) -> None:
    codes = list(Region.objects.divisions().values_list("code", flat=True))
    ctx.count("complaint routing rules", seed_rules(codes))
    _api_clients(ctx)
    have = Complaint.objects.filter(tracking_number__startswith="DM").count()
    wanted = LARGE_COMPLAINTS - have
    if wanted <= 0:
        return
    # Everything the rows need is read before the COPY starts: while it streams, its connection
    # can run nothing else (a query from inside the generator would wait for the COPY forever).
    plan = _LargePlan.prepare(ctx)
    indexes = _secondary_indexes()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL maintenance_work_mem = '512MB'")
        # Check the foreign keys row by row during the COPY rather than queueing millions of
        # deferred checks for the commit (and CREATE INDEX refuses a table with checks pending).
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        for name, _definition in indexes:
            cursor.execute(f'DROP INDEX "{name}"')  # a name read from the catalogue
    written = copy_rows(Complaint, COLUMNS, plan.rows(start=have, n=wanted))
    with connection.cursor() as cursor:
        for _name, definition in indexes:
            cursor.execute(definition)
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")  # back to Django's default for the next seeders
    ctx.count("complaints", written)


class _LargePlan:
    """The reference data, routes, deadlines and texts of the large seed, computed up front."""

    @classmethod
    def prepare(cls, ctx: SeedContext) -> _LargePlan:
        from complaints.services import deadlines_from

        plan = cls()
        plan.rng = random.Random(ctx.rng.random())  # noqa: S311 - demo data
        ref = refdata()
        plan.now = timezone.now()
        plan.today = timezone.localdate()
        plan.regions = sorted(
            code
            for code, info in ref.regions.items()
            if info.level in ("county", "city") and ref.units_by_region.get(code)
        )
        plan.weights = [KIND_WEIGHTS[t[0]] for t in TEMPLATES]
        plan.template_picks = plan.rng.choices(range(len(TEMPLATES)), weights=plan.weights, k=4096)
        plan.people = [_person(plan.rng) for _ in range(50_000)]
        plan.hashes = [crypto.search_hash(phone, kind="phone") for _name, phone in plan.people]
        plan.tz = timezone.get_current_timezone()
        plan.routes = {}
        for code in plan.regions:
            station = ref.first_unit_of_kind(code, ("station",))
            for kind, area, category_code, *_text in TEMPLATES:
                category = ref.categories_by_code.get(category_code) if category_code else None
                subject_unit = station if category else None
                found = ref.route_complaint(
                    region=code,
                    area=area,
                    kind=kind,
                    unit_id=subject_unit.id if subject_unit else None,
                    category_id=category.id if category else None,
                )
                plan.routes[(code, area, kind, category_code)] = (
                    found.unit.id,
                    found.unit.region,
                    found.escalated,
                    subject_unit.id if subject_unit else None,
                    category.id if category else None,
                )
        plan.deadlines = {}
        first_day = (plan.now - dt.timedelta(days=LARGE_YEARS * 365 + 1)).astimezone(plan.tz).date()
        for offset in range((plan.today - first_day).days + 1):
            day = first_day + dt.timedelta(days=offset)
            for kind in KIND_WEIGHTS:
                d = deadlines_from(day, kind)
                plan.deadlines[(day, kind)] = (d.accept_deadline, d.deadline, d.warn_from, d.provisional)
        plan.texts = {}
        for index, (_kind, _area, _category, subject, template) in enumerate(TEMPLATES):
            for place in PLACES:
                for amount in (50, 100, 200, 500):
                    description = template.format(place=place, amount=amount)
                    plan.texts[(index, place, amount)] = (description, similarity.bigrams(subject, description))
        return plan

    def rows(self, *, start: int, n: int) -> Iterator[list]:
        """``n`` complaints numbered from ``start``: the same rows for the same seed, every time.
        No database access in here (see ``_seed_large``)."""
        rng, rand = self.rng, self.rng.random
        now, today, tz = self.now, self.today, self.tz
        span_seconds = LARGE_YEARS * 365 * 86400
        regions, people, hashes = self.regions, self.people, self.hashes
        encrypt = crypto.encrypt
        for i in range(start, start + n):
            template_index = self.template_picks[int(rand() * 4096)]
            kind, area, category_code, subject, _template = TEMPLATES[template_index]
            code = regions[int(rand() * len(regions))]
            place = PLACES[int(rand() * len(PLACES))]
            amount = (50, 100, 200, 500)[int(rand() * 4)]
            text = self.texts[(template_index, place, amount)]
            handling_unit, handling_region, escalated, unit_id, category_id = self.routes[
                (code, area, kind, category_code)
            ]
            received = now - dt.timedelta(seconds=int(rand() * span_seconds))
            day = received.astimezone(tz).date()
            accept_deadline, deadline, warn_from, provisional = self.deadlines[(day, kind)]
            person = int(rand() * len(people))
            name, phone = people[person]
            age = (today - day).days
            roll = rand()
            accepted_at = replied_at = callback_at = closed_at = None
            satisfaction = close_kind = close_reason = ""
            if age > 45 or roll < age / 60:
                status = "closed"
                accepted_at = received + dt.timedelta(hours=6)
                replied_at = received + dt.timedelta(days=3 + int(rand() * 10))
                if rand() < 0.9:
                    callback_at = replied_at + dt.timedelta(days=1)
                    satisfaction = "satisfied" if rand() < 0.85 else "basic"
                    close_kind = "callback"
                else:
                    close_kind, close_reason = "no_callback", "多次联系未接通"
                closed_at = (callback_at or replied_at) + dt.timedelta(hours=2)
            elif roll < 0.15:
                status = "received"
            elif roll < 0.7:
                status, accepted_at = "accepted", received + dt.timedelta(hours=6)
            elif roll < 0.9:
                status, accepted_at = "replied", received + dt.timedelta(hours=6)
                replied_at = received + dt.timedelta(days=2)
            else:
                status, accepted_at = "called_back", received + dt.timedelta(hours=6)
                replied_at = received + dt.timedelta(days=2)
                callback_at, satisfaction = replied_at + dt.timedelta(days=1), "satisfied"
            description, grams = text
            yield [
                f"DM{received.year}{i:08d}",
                Channel.HOTLINE_12328 if rand() < 0.7 else Channel.WEB,
                "",
                kind,
                area,
                category_id,
                subject,
                description,
                place,
                "",
                "",
                name,
                encrypt(phone, kind="phone"),
                hashes[person],
                None,
                "",
                _plate(rng) if rand() < 0.3 else "",
                code,
                unit_id,
                handling_unit,
                handling_region,
                escalated,
                status,
                1,
                received,
                accept_deadline,
                deadline,
                warn_from,
                1,
                provisional,
                0,
                accepted_at,
                replied_at,
                callback_at,
                satisfaction,
                closed_at,
                close_kind,
                close_reason,
                0,
                0,
                0,
                grams,
                0,
                closed_at or replied_at or received,
            ]
