"""People, problems and receivers for the alert tests (real PostgreSQL, Redis, SMTP, HTTP)."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest

from portal.notifications.tests.sinks import GatewaySink, SmtpSink

# A Monday with entered calendar data on both sides (2026: Dragon Boat Festival is 06-19).
TODAY = dt.date(2026, 6, 15)
_codes = itertools.count(1)


@pytest.fixture(autouse=True)
def _isolated_cache():
    """As tests/conftest.py does for its tests: an empty Redis cache (calendar snapshot,
    warning throttles) for each test."""
    from django.core.cache import cache

    from portal.workdays.calendar import bump_version

    cache.clear()
    bump_version()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _records_only(request, monkeypatch):
    """The ledger's tests count the alerts of the records they make: reminder sources (alerts
    for what has not happened, ``AlertSource.reminder``) are off unless a test is marked
    ``reminders``."""
    from portal.notifications.sources import all_sources

    if request.node.get_closest_marker("reminders") is None:
        for source in all_sources():
            if source.reminder:
                monkeypatch.setattr(type(source), "available", lambda self: False)


@pytest.fixture
def unit(db):
    from portal.regions.models import Unit

    return Unit.objects.create(name="金水区交通运输综合行政执法大队", kind="agency", region_id="410105")


@pytest.fixture
def people(db, unit):
    from portal.accounts.models import Role, User

    def make(name, code, roles, *, email=True, phone=True, unit=None, active=True):
        return User.objects.create_user(
            name,
            email=f"{name}@example.gov.cn" if email else "",
            region_id=code,
            roles=roles,
            unit=unit,
            phone=f"1380000{next(_codes):04d}" if phone else "",
            is_active=active,
        )

    return {
        "handler": make("handler", "410105", [Role.COUNTY_OFFICER], unit=unit),
        "deputy": make("deputy", "410105", [Role.COUNTY_OFFICER], unit=unit),
        "first": make("first", "410105", [Role.COUNTY_OFFICER], unit=unit),
        "officer": make("officer", "410105", [Role.COUNTY_OFFICER], unit=unit),
        "other_county": make("other_county", "410122", [Role.COUNTY_OFFICER]),
        "city": make("city", "410100", [Role.CITY_STAFF]),
        "city_gone": make("city_gone", "410100", [Role.CITY_STAFF], active=False),
        "city_b": make("city_b", "410300", [Role.CITY_STAFF]),
        "province": make("province", "410000", [Role.PROVINCE_STAFF]),
        "admin": make("sysadmin", "410000", [Role.PROVINCE_ADMIN]),
    }


@pytest.fixture
def make_problem(db, unit):
    from cases.models import Category, Problem
    from portal.regions.models import EnforcementDomain

    category = Category.objects.filter(parent__isnull=False).first()
    domain = EnforcementDomain.objects.first()

    def make(deadline, *, status="rectifying", handler=None, deputy=None, first=None, version=1, region=None, **extra):
        number = next(_codes)
        return Problem.objects.create(
            code=f"WT-T-{number:05d}",
            title=f"测试问题 {number}",
            category=category,
            source=Problem.Source.INSPECTION,
            region_id=region or unit.region_id,
            unit=unit,
            domain=domain,
            status=status,
            deadline=deadline,
            deadline_version=version,
            handler_user=handler,
            deputy_user=deputy,
            first_responsible_user=first,
            closed_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC) if status == "closed" else None,
            **extra,
        )

    return make


@pytest.fixture
def smtp_sink(settings):
    sink = SmtpSink().start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", sink.port
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    yield sink
    sink.stop()


@pytest.fixture
def gateway(settings):
    sink = GatewaySink().start()
    settings.SMS_GATEWAY_URL = sink.url
    settings.SMS_GATEWAY_TIMEOUT = 2
    yield sink
    sink.stop()
