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
