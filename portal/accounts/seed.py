"""Demo accounts. The accounts issue adds a user for every role in several regions; this
seeds the system administrator that the foundation needs to reach the admin site."""

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
