"""Supervision objects for the authorization matrix (tests/test_authorization_matrix.py): one
per region, each carrying ``MATRIX-<region code>`` where list pages show it (the title)."""

from __future__ import annotations

from django.core.files.base import ContentFile
from django.utils import timezone

from supervision.models import ProgressReport, SupervisionEvidence, SupervisionItem

# The smallest valid PNG (1x1).
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000001e221bc330000000049454e44ae426082"
)


def marker(code: str) -> str:
    from tests.matrix_objects import marker

    return marker(code)


def _user(code: str):
    from portal.accounts.models import Role, User

    user, _created = User.objects.get_or_create(
        username=f"matrix-supervision-{code}", defaults={"region_id": code, "roles": [Role.COUNTY_OFFICER]}
    )
    return user


def _item(code: str, suffix: str = "") -> SupervisionItem:
    from supervision.services import next_item_codes

    today = timezone.localdate()
    return SupervisionItem.objects.create(
        code=next_item_codes(1)[0],
        title=f"{marker(code)} 督办事项{suffix}",
        level=SupervisionItem.Level.PROVINCE,
        region_id=code,
        listed_by_region_id="410000",
        problem_list=marker(code),
        measures_list="整改措施",
        rectification_responsibility="整改责任",
        supervision_responsibility="督办责任",
        deadline_days=20,
        deadline=today,
        report_every_days=5,
        next_report_due=today,
    )


def _evidence(code: str) -> SupervisionEvidence:
    item = _item(code, "（佐证材料）")
    author = _user(code)
    report = ProgressReport.objects.create(item=item, author=author, text=marker(code))
    evidence = SupervisionEvidence(
        item=item,
        report=report,
        original_name=f"{marker(code)}.png",
        content_type="image/png",
        size=len(PNG),
        sha256="0" * 64,
        uploaded_by=author,
    )
    evidence.file.save(f"{marker(code)}.png", ContentFile(PNG), save=False)
    evidence.save()
    return evidence


def _activity(code: str, suffix: str = ""):
    """An activity organised in ``code`` with one target unit there, already started (the
    embargo before the start is proven in supervision/tests/test_unannounced.py)."""
    import datetime as dt

    from portal.regions.models import Unit
    from supervision.models import Activity, ActivityTarget

    today = timezone.localdate()
    activity = Activity.objects.create(
        code=f"YD-M-{code}{suffix}",
        title=f"{marker(code)} 异地执法监督{suffix}",
        year=today.year,
        quarter=(today.month - 1) // 3 + 1,
        region_id=code,
        method=Activity.Method.UNANNOUNCED,
        starts_on=today - dt.timedelta(days=1),
        ends_on=today + dt.timedelta(days=5),
        created_by=_user(code),
    )
    unit = Unit.objects.create(name=f"{marker(code)} 被检查站{suffix}", kind=Unit.Kind.STATION, region_id=code)
    ActivityTarget.objects.create(activity=activity, unit=unit, region_id=code, source=ActivityTarget.Source.MANUAL)
    return activity


def _target(code: str):
    return _activity(code, "-T").targets.get()


def _finding(code: str):
    from supervision.models import ChecklistVersion, Finding, InspectionRecord

    target = _activity(code, "-F").targets.get()
    record = InspectionRecord.objects.create(
        target=target,
        activity=target.activity,
        checklist=ChecklistVersion.objects.order_by("pk").first(),
        visited_on=timezone.localdate(),
        recorded_by=_user(code),
    )
    return Finding.objects.create(record=record, activity=target.activity, text=marker(code), created_by=_user(code))


def _inspector(code: str):
    from supervision.models import Inspector

    return Inspector.objects.create(code=f"JDM{code}", name=marker(code), pool_region_id=code, home_region_id=code)


def _warning(code: str):
    """A monitoring warning on a unit of ``code`` (the list shows the unit's name)."""
    from portal.regions.models import Unit
    from supervision.models import MonitoringWarning

    unit = Unit.objects.create(name=f"{marker(code)} 预警单位", kind=Unit.Kind.STATION, region_id=code)
    return MonitoringWarning.objects.create(
        kind=MonitoringWarning.Kind.SURGE,
        source=MonitoringWarning.Source.COMPLAINT,
        unit=unit,
        region_id=code,
        series_key=f"c:u:{unit.pk}:0",
        window_end=timezone.localdate(),
        window_days=7,
        observed=20,
        expected=5.0,
        threshold=13,
        windows=[5, 4, 6, 20],
    )


def _factories():
    from supervision.models import Activity, ActivityTarget, Finding, Inspector, MonitoringWarning

    return {
        Activity: _activity,
        ActivityTarget: _target,
        Finding: _finding,
        Inspector: _inspector,
        MonitoringWarning: _warning,
    }


def _risk_item(code: str):
    """An item of the negative list of ``code`` (the province's, a city's or a county's)."""
    import datetime as dt

    from portal.regions.models import EnforcementDomain
    from supervision.models import RiskItem, RiskMeasure

    item = RiskItem.objects.create(
        region_id=code,
        code=f"FX-M-{code}",
        title=f"{marker(code)} 风险事项",
        domain=EnforcementDomain.objects.first(),
        description="风险描述",
        next_review_on=timezone.localdate() + dt.timedelta(days=90),
    )
    RiskMeasure.objects.create(item=item, text="防范措施", owner_kind="first", due_on=timezone.localdate())
    return item


def _incident(code: str):
    """An incident in ``code`` (reported straight into the table: the service starts them at a
    county only, and the matrix needs one in every region)."""
    import datetime as dt

    from supervision.models import Incident, IncidentClass, IncidentReport

    now = timezone.now()
    incident = Incident.objects.create(
        code=f"SJ-M-{code}",
        title=f"{marker(code)} 突发事件",
        incident_class=IncidentClass.objects.get(code="conflict"),
        region_id=code,
        received_at=now,
        city_due_at=now + dt.timedelta(minutes=30),
    )
    IncidentReport.objects.create(incident=incident, kind="initial", text=marker(code), author_region_id=code)
    return incident


def _duty_officer(code: str):
    from portal.accounts.models import Role, User
    from supervision.models import DutyOfficer

    user = User.objects.create_user(f"duty-{marker(code)}", region_id=code, roles=[Role.CITY_STAFF])
    return DutyOfficer.objects.create(region_id=code, user=user)


def _risk_factories():
    from supervision.models import DutyOfficer, Incident, RiskItem

    return {RiskItem: _risk_item, Incident: _incident, DutyOfficer: _duty_officer}


FACTORIES = {
    SupervisionItem: _item,
    SupervisionEvidence: _evidence,
    **_factories(),
    **_risk_factories(),
}
