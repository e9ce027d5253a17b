"""Demo accounts: the system administrator, a user for every role in two cities (郑州, 洛阳)
and three counties (金水区, 中牟县, 西工区), and a two-factor demo user. make run prints them."""

from __future__ import annotations

from django.contrib.auth.hashers import make_password

from portal.accounts.models import Role, User
from portal.core.seeding import DEMO_PASSWORD, SeedContext
from portal.regions.models import Region


def seed(ctx: SeedContext) -> None:
    province = Region.objects.get(code="410000")
    if not User.objects.filter(username="admin").exists():
        User.objects.create(
            username="admin",
            password=make_password(DEMO_PASSWORD),
            first_name="系统管理员",
            is_staff=True,
            is_superuser=True,
            region=province,
            roles=[Role.PROVINCE_ADMIN],
        )
        ctx.count("users", 1)
    ctx.add_login("admin", "省级系统管理员 (admin site)")
    seed_role_users(ctx)
    seed_totp_demo(ctx)


# --- two-factor demo (login security) ---------------------------------------------------------
# A fixed TOTP secret so a tester can add it to an authenticator app once and keep it across
# re-seeds. Demo only: real users enrol their own device at /accounts/2fa/.
TOTP_DEMO_KEY = "3132333435363738393031323334353637383930"  # hex; base32 below
TOTP_DEMO_SECRET = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"  # noqa: S105 - printed by make run; demo only


def seed_totp_demo(ctx: SeedContext) -> None:
    from django_otp.plugins.otp_totp.models import TOTPDevice

    user = User.objects.filter(username="totp_demo").first()
    if user is None:
        user = User.objects.create(
            username="totp_demo",
            password=make_password(DEMO_PASSWORD),
            first_name="双因素演示",
            region=Region.objects.get(code="410000"),
            roles=[Role.PROVINCE_STAFF],
        )
        ctx.count("users", 1)
    if not TOTPDevice.objects.filter(user=user, confirmed=True).exists():
        TOTPDevice.objects.create(user=user, name="演示身份验证器", key=TOTP_DEMO_KEY, confirmed=True)
    ctx.add_login("totp_demo", f"省厅工作人员，已启用双因素：登录时另需动态验证码（TOTP 密钥 {TOTP_DEMO_SECRET}）")


# --- a user for every role, in two cities and three counties (accounts and scoping) ----------
# (username, region, roles, display name, staff?): pinyin names say where they sit.
ROLE_USERS = [
    ("anquan", "410000", [Role.SECURITY_ADMIN], "省厅安全管理员", True),
    ("shenji", "410000", [Role.SECURITY_AUDITOR], "省厅安全审计员", False),
    ("shengting", "410000", [Role.PROVINCE_STAFF], "省厅执法监督处", False),
    ("lingdao", "410000", [Role.LEADER], "省厅领导", False),
    ("jiandu", "410000", [Role.INSPECTOR], "省级执法监督人员", False),
    ("pingjia", "410000", [Role.EVALUATOR], "第三方评价机构", False),
    ("zhengzhou", "410100", [Role.CITY_STAFF], "郑州市交通运输局", False),
    ("zhengzhou_anquan", "410100", [Role.SECURITY_ADMIN], "郑州市安全管理员", True),
    ("zhengzhou_shenji", "410100", [Role.SECURITY_AUDITOR], "郑州市安全审计员", False),
    ("zhengzhou_lingdao", "410100", [Role.LEADER], "郑州市领导", False),
    ("luoyang", "410300", [Role.CITY_STAFF], "洛阳市交通运输局", False),
    ("luoyang_jiandu", "410300", [Role.INSPECTOR], "洛阳市执法监督人员", False),
    ("jinshui", "410105", [Role.COUNTY_OFFICER], "金水区执法大队", False),
    ("zhongmou", "410122", [Role.COUNTY_OFFICER], "中牟县执法大队", False),
    ("xigong", "410303", [Role.COUNTY_OFFICER], "西工区执法大队", False),
]


def seed_role_users(ctx: SeedContext) -> None:
    from portal.regions.models import Unit

    existing = set(User.objects.filter(username__in=[u for u, *_ in ROLE_USERS]).values_list("username", flat=True))
    agencies = {
        unit.region_id: unit
        for unit in Unit.objects.filter(kind=Unit.Kind.ENFORCEMENT_AGENCY).order_by("region_id", "pk")
    }
    password = make_password(DEMO_PASSWORD)  # hashed once: every demo user shares the demo password
    new = [
        User(
            username=username,
            password=password,
            first_name=name,
            region_id=code,
            unit=agencies.get(code),
            roles=roles,
            is_staff=staff,
            email=f"{username}@demo.jtt.henan.gov.cn",
        )
        for username, code, roles, name, staff in ROLE_USERS
        if username not in existing
    ]
    User.objects.bulk_create(new)
    ctx.count("users", len(new))
    for username, _code, _roles, name, _staff in ROLE_USERS:
        ctx.add_login(username, name)
