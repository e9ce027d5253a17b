"""Shared fixtures. Tests run on the real (embedded) PostgreSQL and Redis that
``make test`` starts; nothing here mocks them."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from portal.workdays.calendar import bump_version


@pytest.fixture(autouse=True)
def _isolated_cache():
    """Each test starts with an empty Redis cache (the working-day snapshot, throttles)."""
    cache.clear()
    bump_version()
    yield
    cache.clear()


@pytest.fixture
def admin_user(db):
    from portal.accounts.models import Role, User
    from portal.regions.models import Region

    return User.objects.create_superuser(
        "root",
        "root@example.gov.cn",
        "Root#Pass2026x",
        region=Region.objects.get(code="410000"),
        roles=[Role.PROVINCE_ADMIN],
    )
