"""service objects for the authorization matrix (tests/test_authorization_matrix.py): one per
region, each showing ``marker(code)`` in its list."""

from __future__ import annotations

import datetime as dt

from django.core.files.base import ContentFile

from service.creditcode import check_character
from service.models import (
    Assignment,
    Decision,
    Enterprise,
    LeaderContact,
    Meeting,
    RecordPhoto,
    ServiceRecord,
    StationDay,
    StationMonth,
    Visit,
    VisitIssue,
)

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def marker(code: str) -> str:
    from tests.matrix_objects import marker

    return marker(code)


def _leader(code: str):
    from portal.accounts.models import Role, User

    user, created = User.objects.get_or_create(
        username=f"matrix-service-{code}",
        defaults={"region_id": code, "roles": [Role.LEADER], "first_name": marker(code)},
    )
    if created:
        LeaderContact.objects.create(
            user=user, post=marker(code), phone="0371-00000000", published=True, region_id=code
        )
    return user


def _station(code: str):
    from portal.regions.models import Unit

    unit, _created = Unit.objects.get_or_create(
        name=f"{marker(code)} 治超站", region_id=code, defaults={"kind": Unit.Kind.STATION}
    )
    return unit


def _enterprise(code: str) -> Enterprise:
    first = f"91{code}MA0MATRX"[:17].ljust(17, "0")
    enterprise, _created = Enterprise.objects.get_or_create(
        credit_code=first + check_character(first),
        defaults={"name": f"{marker(code)} 运输公司", "kind": "freight", "size": "small", "region_id": code},
    )
    return enterprise


def _contact(code: str) -> LeaderContact:
    return _leader(code).leader_contact


def _assignment(code: str) -> Assignment:
    assignment, _created = Assignment.objects.get_or_create(
        leader=_leader(code), enterprise=_enterprise(code), defaults={"region_id": code}
    )
    return assignment


def _station_assignment(code: str) -> Assignment:
    assignment, _created = Assignment.objects.get_or_create(
        leader=_leader(code), station=_station(code), defaults={"region_id": code}
    )
    return assignment


def _visit(code: str) -> Visit:
    _assignment(code)
    return Visit.objects.create(
        enterprise=_enterprise(code),
        leader=_leader(code),
        visited_on=dt.date(2001, 5, 1),
        form=Visit.Form.ONE_TO_ONE,
        region_id=code,
        created_by=_leader(code),
    )


def _issue(code: str) -> VisitIssue:
    return VisitIssue.objects.create(visit=_visit(code), text=marker(code))


def _station_day(code: str) -> StationDay:
    _station_assignment(code)
    day = dt.date(2001, 5, 1) + dt.timedelta(days=StationDay.objects.filter(leader=_leader(code)).count())
    return StationDay.objects.create(
        leader=_leader(code), station=_station(code), day=day, region_id=code, created_by=_leader(code)
    )


def _month(code: str) -> StationMonth:
    month, _created = StationMonth.objects.get_or_create(
        leader=_leader(code), month=dt.date(2001, 5, 1), defaults={"days": 1, "below": True, "region_id": code}
    )
    return month


def _record(code: str) -> ServiceRecord:
    return ServiceRecord.objects.create(
        kind=ServiceRecord.Kind.OPEN_DAY, title=marker(code), region_id=code, created_by=_leader(code)
    )


def _photo(code: str) -> RecordPhoto:
    photo = RecordPhoto(
        record=_record(code),
        original_name="p.png",
        content_type="image/png",
        size=len(PNG),
        sha256="0" * 64,
        uploaded_by=_leader(code),
    )
    photo.file.save(f"{marker(code)}.png", ContentFile(PNG), save=False)
    photo.save()
    return photo


def _meeting(code: str) -> Meeting:
    return Meeting.objects.create(
        kind=Meeting.Kind.JOINT,
        subject=marker(code),
        held_on=dt.date(2001, 5, 1),
        departments="公安交警、交通运输",
        region_id=code,
        created_by=_leader(code),
    )


def _decision(code: str) -> Decision:
    return Decision.objects.create(
        meeting=_meeting(code), text=marker(code), responsible="执法支队", deadline=dt.date(2001, 6, 1)
    )


FACTORIES = {
    Meeting: _meeting,
    Decision: _decision,
    Enterprise: _enterprise,
    LeaderContact: _contact,
    Assignment: _assignment,
    Visit: _visit,
    VisitIssue: _issue,
    StationDay: _station_day,
    StationMonth: _month,
    ServiceRecord: _record,
    RecordPhoto: _photo,
}
