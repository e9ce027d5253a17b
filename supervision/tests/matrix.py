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


FACTORIES = {
    SupervisionItem: _item,
    SupervisionEvidence: _evidence,
}
