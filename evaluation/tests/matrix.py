"""Evaluation objects for the authorization matrix (tests/test_authorization_matrix.py): one
per region; the entity page (``evaluation:entity``) is the scoped detail route."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.core.files.base import ContentFile

from evaluation.models import (
    Appeal,
    EnteredValue,
    EntityScore,
    Indicator,
    IndicatorSystem,
    MysteryFinding,
    Period,
    SurveyResult,
)


def marker(code: str) -> str:
    from tests.matrix_objects import marker

    return marker(code)


def _user(code: str):
    from portal.accounts.models import Role, User

    user, _created = User.objects.get_or_create(
        username=f"matrix-evaluation-{code}", defaults={"region_id": code, "roles": [Role.COUNTY_OFFICER]}
    )
    return user


def _period() -> Period:
    system, _created = IndicatorSystem.objects.get_or_create(year=2001)
    period, _created = Period.objects.get_or_create(
        system=system,
        kind=Period.Kind.YEAR,
        half=None,
        defaults={"starts_on": dt.date(2001, 1, 1), "ends_on": dt.date(2001, 12, 31)},
    )
    return period


def _indicator() -> Indicator:
    indicator, _created = Indicator.objects.get_or_create(
        system=_period().system,
        level="county",
        code="M1",
        defaults={"name": "matrix", "dimension": "onsite", "weight": Decimal(100), "rule": "entered", "target": 100},
    )
    return indicator


def _score(code: str) -> EntityScore:
    score, _created = EntityScore.objects.get_or_create(
        period=_period(), region_id=code, defaults={"level": "county", "total": Decimal(50), "rank": 1}
    )
    return score


def _survey(code: str) -> SurveyResult:
    return SurveyResult.objects.create(
        period=_period(), region_id=code, sample_size=1, satisfaction=0.9, imported_by=_user(code)
    )


def _finding(code: str) -> MysteryFinding:
    return MysteryFinding.objects.create(
        period=_period(),
        region_id=code,
        visited_on=dt.date(2001, 5, 1),
        place=marker(code),
        finding=marker(code),
        imported_by=_user(code),
    )


def _entered(code: str) -> EnteredValue:
    value = EnteredValue(period=_period(), indicator=_indicator(), region_id=code, value=80, entered_by=_user(code))
    value.evidence.save(f"{marker(code)}.txt", ContentFile(b"evidence"), save=False)
    value.save()
    return value


def _appeal(code: str) -> Appeal:
    appeal = Appeal(entity=_score(code), indicator=_indicator(), reason=marker(code), filed_by=_user(code))
    appeal.evidence.save(f"{marker(code)}.txt", ContentFile(b"evidence"), save=False)
    appeal.save()
    return appeal


FACTORIES = {
    EntityScore: _score,
    SurveyResult: _survey,
    MysteryFinding: _finding,
    EnteredValue: _entered,
    Appeal: _appeal,
}
