"""Fixtures of the dashboards: people of every level, units in the demo regions, and helpers
that write problems, complaints and accountability records in any state directly (the
dashboards read records, they do not care how they got there). Real PostgreSQL, as everywhere."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from django.test import Client
from django.utils import timezone

from cases.models import Accountability, Category, Problem
from cases.services import next_problem_codes
from complaints.models import Complaint
from portal.accounts.models import Role, User
from portal.dashboards.services import figures_refresh
from portal.regions.models import EnforcementDomain, Unit

_numbers = itertools.count(1)


def today() -> dt.date:
    return timezone.localdate()


def days(n: int) -> dt.date:
    return today() + dt.timedelta(days=n)


def at(day: dt.date, hour: int = 10) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), timezone.get_current_timezone())


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def people(db):
    def make(name, code, *roles):
        return User.objects.create_user(name, region_id=code, roles=list(roles))

    return {
        "province": make("d_province", "410000", Role.PROVINCE_STAFF),
        "city": make("d_city", "410100", Role.CITY_STAFF),
        "city_b": make("d_city_b", "410300", Role.CITY_STAFF),
        "county": make("d_county", "410105", Role.COUNTY_OFFICER),
        "county_b": make("d_county_b", "410303", Role.COUNTY_OFFICER),
        "leader": make("d_leader", "410000", Role.LEADER),
        "city_leader": make("d_city_leader", "410100", Role.LEADER),
        "admin": make("d_admin", "410000", Role.PROVINCE_ADMIN),
        "auditor": make("d_auditor", "410000", Role.SECURITY_AUDITOR),
    }


@pytest.fixture
def units(db):
    def make(key, name, kind, code):
        return key, Unit.objects.create(name=name, kind=kind, region_id=code)

    return dict(
        [
            make("province", "河南省交通运输综合行政执法局", Unit.Kind.ENFORCEMENT_AGENCY, "410000"),
            make("city", "郑州市交通运输综合行政执法支队", Unit.Kind.ENFORCEMENT_AGENCY, "410100"),
            make("a", "金水区交通运输综合行政执法大队", Unit.Kind.ENFORCEMENT_AGENCY, "410105"),
            make("a_station", "金水区治超执法站", Unit.Kind.STATION, "410105"),
            make("a2", "中牟县交通运输综合行政执法大队", Unit.Kind.ENFORCEMENT_AGENCY, "410122"),
            make("b", "西工区交通运输综合行政执法大队", Unit.Kind.ENFORCEMENT_AGENCY, "410303"),
        ]
    )


def problem(
    unit,
    *,
    status=Problem.Status.RECTIFYING,
    deadline=None,
    found_on=None,
    closed_on=None,
    category="lyj-directfine",
    source=Problem.Source.INSPECTION,
    domain="highway",
    is_key=False,
    region=None,
    title="问题",
) -> Problem:
    if status != Problem.Status.REGISTERED and deadline is None:
        deadline = days(10)
    return Problem.objects.create(
        code=next_problem_codes(1)[0],
        title=title,
        category=Category.objects.get(code=category),
        source=source,
        region_id=unit.region_id,
        unit=unit,
        domain=EnforcementDomain.objects.get(code=domain),
        status=status,
        deadline=deadline,
        found_on=found_on or today(),
        closed_at=at(closed_on) if closed_on else None,
        is_key=is_key,
    )


def complaint(
    unit,
    *,
    kind="complaint",
    status=Complaint.Status.ACCEPTED,
    received_on=None,
    deadline=None,
    accept_deadline=None,
    category=None,
    escalated=False,
    closed_on=None,
    satisfaction="",
    channel="web",
) -> Complaint:
    received_on = received_on or today()
    deadline = deadline or received_on + dt.timedelta(days=21)
    closed = status == Complaint.Status.CLOSED
    called_back = closed or status == Complaint.Status.CALLED_BACK
    return Complaint.objects.create(
        tracking_number=f"TSD{next(_numbers):09d}",
        channel=channel,
        kind=kind,
        area="road_transport",
        subject="投诉",
        description="诉求内容",
        region_id=unit.region_id,
        handling_unit=unit,
        handling_region_id=unit.region_id,
        category=Category.objects.get(code=category) if category else None,
        escalated=escalated,
        status=status,
        received_at=at(received_on, 9),
        accept_deadline=accept_deadline or received_on + dt.timedelta(days=1),
        deadline=deadline,
        deadline_warn_from=deadline - dt.timedelta(days=1),
        callback_at=at(closed_on or received_on, 11) if called_back else None,
        satisfaction=satisfaction or ("satisfied" if called_back else ""),
        closed_at=at(closed_on, 12) if closed else None,
        close_kind="callback" if closed else "",
    )


def accountability(problem_, *, measure=Accountability.Measure.CRITICISM, serious=False, decided_on=None, unit=None):
    return Accountability.objects.create(
        problem=problem_,
        unit=unit or problem_.unit,
        person_name="张某",
        post="执法队员",
        measure=measure,
        serious=serious,
        discipline_breach=True,
        decided_by="纪检组",
        decided_on=decided_on or today(),
    )


def incident(unit, *, received: dt.datetime, city_after: int | None = None, closed: bool = False):
    """An incident of 执法冲突 at ``unit`` (the report always names one), forwarded to the city
    ``city_after`` minutes after its receipt (its limit is 30)."""
    from supervision.models import Incident, IncidentClass

    forwarded = received + dt.timedelta(minutes=city_after) if city_after is not None else None
    return Incident.objects.create(
        code=f"SJ-T{next(_numbers):05d}",
        title="执法现场冲突",
        incident_class=IncidentClass.objects.get(code="conflict"),
        region_id=unit.region_id,
        unit=unit,
        received_at=received,
        city_due_at=received + dt.timedelta(minutes=30),
        forwarded_to_city_at=forwarded,
        city_received_at=forwarded,
        status=Incident.Status.CLOSED if closed else Incident.Status.OPEN,
        closed_at=received + dt.timedelta(hours=5) if closed else None,
    )


@pytest.fixture
def world(units):
    """Records in two cities, three counties and at the province's and a city's own level, in
    every state that changes a figure; the figures refreshed."""
    u = units
    s = Problem.Status
    made = {
        # 金水区 (410105): open, overdue (one key), closed on time, closed late, this month
        "a_overdue": problem(u["a"], deadline=days(-5), category="cubao-heavy"),
        "a_overdue_key": problem(u["a"], status=s.ASSIGNED, deadline=days(-40), is_key=True, domain="expressway"),
        "a_due_today": problem(u["a"], status=s.SUBMITTED, deadline=today()),
        "a_registered": problem(u["a_station"], status=s.REGISTERED, source=Problem.Source.PUBLIC_OPINION),
        "a_closed_on_time": problem(u["a"], status=s.CLOSED, deadline=days(-3), closed_on=days(-3), found_on=days(-60)),
        "a_closed_late": problem(
            u["a_station"], status=s.CLOSED, deadline=days(-30), closed_on=days(-20), found_on=days(-90)
        ),
        "a_old_closed": problem(
            u["a"], status=s.CLOSED, deadline=days(-500), closed_on=days(-450), found_on=days(-520)
        ),
        "a_media": problem(u["a"], source=Problem.Source.MEDIA, category="zhuli-fines", domain="transport-admin"),
        "a_cubao_from_complaint": problem(u["a"], source=Problem.Source.COMPLAINT, category="cubao-attitude"),
        # 中牟县 (410122)
        "a2_overdue": problem(u["a2"], deadline=days(-1), category="sanluan-fees"),
        "a2_open": problem(u["a2"], status=s.ASSIGNED, category="sanluan-fees"),
        # 郑州市本级 (410100) and the province's own level (410000)
        "city_overdue": problem(u["city"], deadline=days(-12), category="zhuli-quota"),
        "province_open": problem(u["province"], category="bbz-camera", source=Problem.Source.REFERRAL),
        # 西工区 (410303), another city
        "b_overdue": problem(u["b"], deadline=days(-7), category="cubao-entrapment"),
        "b_closed": problem(u["b"], status=s.CLOSED, deadline=days(-2), closed_on=days(-9), found_on=days(-30)),
    }
    accountability(made["a_closed_late"], measure=Accountability.Measure.DISCIPLINE)
    accountability(made["a_closed_late"], measure=Accountability.Measure.ADMONITION_TALK, serious=True)
    accountability(made["a_overdue"], measure=Accountability.Measure.CRITICISM)
    accountability(made["b_closed"], measure=Accountability.Measure.ADMONITION_TALK)
    accountability(made["a_old_closed"], measure=Accountability.Measure.DISCIPLINE, decided_on=days(-460))

    c = Complaint.Status
    complaint(u["a"], category="cubao-heavy", escalated=True)
    complaint(u["a"], category="zhuli-fines", status=c.CLOSED, closed_on=days(-2), received_on=days(-20))
    complaint(u["a"], kind="consultation", status=c.CLOSED, closed_on=days(-1), received_on=days(-3))
    complaint(u["a_station"], deadline=days(-2), received_on=days(-30))  # red: past its deadline
    complaint(u["a_station"], status=c.RECEIVED, accept_deadline=days(-1), received_on=days(-2))  # red: not accepted
    complaint(
        u["a2"],
        category="sanluan-fees",
        status=c.CLOSED,
        received_on=days(-40),
        deadline=days(-25),
        closed_on=days(-20),
        satisfaction="unsatisfied",
    )
    complaint(u["a2"], kind="suggestion", status=c.CALLED_BACK, satisfaction="basic")
    complaint(u["city"], category="cubao-attitude", escalated=True)
    complaint(u["b"], category="cubao-entrapment")
    complaint(u["b"], received_on=days(-500), status=c.CLOSED, closed_on=days(-480))  # before the window
    incident(u["a"], received=at(days(-3)))  # open, never forwarded: its limit missed
    incident(u["a_station"], received=at(days(-10)), city_after=10, closed=True)  # on time, closed
    incident(u["a2"], received=at(days(-20)), city_after=45)  # forwarded late, still open
    incident(u["b"], received=at(days(-500)), city_after=90, closed=True)  # late, before the window
    # issue 20: open days and experience weeks, one combined figure linked with kind repeated
    from service.models import ServiceRecord

    author, _ = User.objects.get_or_create(username="d_records", defaults={"region_id": "410000"})
    for kind, code, status in (
        ("open_day", "410105", "in_use"),
        ("experience", "410122", "in_use"),
        ("experience", "410105", "in_use"),
        ("open_day", "410303", "in_use"),
        ("experience", "410105", "planned"),  # not held yet: not counted
    ):
        ServiceRecord.objects.create(
            kind=kind, title=f"{kind} {code}", region_id=code, status=status, created_by=author
        )
    figures_refresh()
    return made
