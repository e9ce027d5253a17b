"""Problem-list objects for the authorization matrix (tests/test_authorization_matrix.py): one
per region, each carrying ``MATRIX-<region code>`` where list pages show it (the title)."""

from __future__ import annotations

from django.core.files.base import ContentFile

from cases.models import Category, Evidence, Problem, ProgressEntry
from cases.services import next_problem_codes
from portal.regions.models import EnforcementDomain, Unit


def marker(code: str) -> str:
    # Imported when called: tests.matrix_objects imports this module while it loads.
    from tests.matrix_objects import marker

    return marker(code)


# The smallest valid PNG (1x1), so the evidence passes for what it is.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000001e221bc330000000049454e44ae426082"
)


def _problem(code: str, suffix: str = "") -> Problem:
    unit, _created = Unit.objects.get_or_create(
        name=f"{marker(code)} 整改责任单位", region_id=code, defaults={"kind": Unit.Kind.STATION}
    )
    return Problem.objects.create(
        code=next_problem_codes(1)[0],
        title=f"{marker(code)} 问题{suffix}",
        category=Category.objects.filter(parent__isnull=False).order_by("pk").first(),
        source=Problem.Source.INSPECTION,
        region_id=code,
        unit=unit,
        domain=EnforcementDomain.objects.order_by("pk").first(),
    )


def _user(code: str):
    from portal.accounts.models import Role, User

    user, _created = User.objects.get_or_create(
        username=f"matrix-cases-{code}", defaults={"region_id": code, "roles": [Role.COUNTY_OFFICER]}
    )
    return user


def _evidence(code: str) -> Evidence:
    problem = _problem(code, "（佐证材料）")
    author = _user(code)
    entry = ProgressEntry.objects.create(problem=problem, author=author, note=marker(code))
    evidence = Evidence(
        problem=problem,
        progress=entry,
        original_name=f"{marker(code)}.png",
        content_type="image/png",
        size=len(PNG),
        sha256="0" * 64,
        uploaded_by=author,
    )
    evidence.file.save(f"{marker(code)}.png", ContentFile(PNG), save=False)
    evidence.save()
    return evidence


def _import_job(code: str):
    """A finished ledger import by a user of that region (cases/views_ledger.py's job page)."""
    from cases.models import ImportJob

    return ImportJob.objects.create(
        user=_user(code),
        region_id=code,
        original_name=f"{marker(code)}.xlsx",
        sha256="0" * 64,
        status=ImportJob.Status.PREVIEWED,
    )


def _enforcement_case(code: str):
    """A case uploaded by a unit of that region (its case number carries the marker)."""
    from cases.enforcement.models import EnforcementCase, ViolationItem
    from cases.enforcement.services import case_upload_batch
    from cases.tests.enforcement import case

    ViolationItem.objects.get_or_create(code="CZ001", defaults={"name": "车辆超限运输"})
    unit = Unit.objects.create(name=f"{marker(code)} 执法单位", kind=Unit.Kind.ENFORCEMENT_AGENCY, region_id=code)
    [result] = case_upload_batch(actor=_user(code), unit=unit, rows=[case(f"{marker(code)} 案", region=code)])
    assert result.outcome == "new", result.errors
    return EnforcementCase.objects.get(key__unit=unit, is_current=True)


def _clue(code: str):
    """A clue about a unit of that region (the unit's name, shown on the queue, carries the marker)."""
    from cases.enforcement.clue_models import Clue
    from cases.enforcement.clues import clue_rules_ensure

    rule = clue_rules_ensure()["station_fine"]
    unit = Unit.objects.create(name=f"{marker(code)} 线索单位", kind=Unit.Kind.ENFORCEMENT_AGENCY, region_id=code)
    return Clue.objects.create(rule=rule, key=f"matrix-{code}", unit=unit, region_id=code, figures={})


FACTORIES = {
    Problem: _problem,
    Evidence: _evidence,
}
try:
    from cases.enforcement.models import EnforcementCase
except ImportError:  # the enforcement case data not merged yet
    pass
else:
    FACTORIES[EnforcementCase] = _enforcement_case
try:
    from cases.enforcement.clue_models import Clue
except ImportError:  # issue 19 not merged yet
    pass
else:
    FACTORIES[Clue] = _clue
try:
    from cases.models import ImportJob
except ImportError:  # the ledger import not merged yet
    pass
else:
    FACTORIES[ImportJob] = _import_job
