"""One uploaded case row checked into the values stored, or the errors that refuse it.

Plain Python, not a DRF serializer: a batch is 5,000 rows of some 20 fields, and building and
running serializer fields costs several times the rest of the upload. Every rule is here, with
its message naming the field and what to do; ``RULES`` feeds the API docs. Text goes through the
portal's storing rule (``portal.core.text.clean_text``: control characters refused).
"""

from __future__ import annotations

import datetime as dt
import decimal
import hashlib
import json
from dataclasses import dataclass

from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from cases.enforcement.models import MIN_FILED_YEAR, EnforcementCase
from portal.core import crypto
from portal.core.text import refused_character

Case = EnforcementCase
MODES = frozenset(Case.Mode.values)
PENALTIES = frozenset(Case.PenaltyType.values)
DISCRETIONS = frozenset(Case.Discretion.values)
SOFT_MEASURES = frozenset(Case.SoftMeasure.values)
STATUSES = frozenset(Case.Status.values)
MAX_AMOUNT = decimal.Decimal("9999999999.99")

# field: (required, max length or None, what it is) — the API docs print this table
TEXT_FIELDS = {
    "case_number": (True, 64),
    "legal_basis": (False, 200),
    "party_name": (True, 64),
    "party_id_number": (False, 32),
    "plate": (False, 16),
    "place": (False, 128),
}

RULES = """
Each case is a JSON object with these fields (dates YYYY-MM-DD, times ISO 8601 with offset):

| field | required | rule |
|---|---|---|
| case_number | yes | ≤ 64 characters; unique within the uploading unit |
| unit | no | the uploading unit's id; any other unit is refused (a token uploads its unit's cases only) |
| revised_at | yes | last change in the unit's system (not in the future); an older version never replaces a newer one |
| violation_item | yes | a code of the portal's violation item list (GET /api/v1/enforcement-cases/items/) |
| legal_basis | no | ≤ 200 characters; the item's legal basis when empty |
| penalty_type | yes | none, warning, fine, confiscation, suspension, revocation |
| penalty_amount | with fine | a number ≥ 0 (JSON number or decimal string, 2 decimals at most); required for fine |
| discretion | yes | exempt, mitigated, lighter, general, heavier |
| mode | yes | on_site, non_site (e.g. 闯卡抓拍 capture), overload_station |
| soft_measures | no | list of persuasion, demonstration, warning, interview (说服教育 劝导示范 警示告诫 指导约谈) |
| officer_certificates | yes | the two officers' enforcement certificate numbers: a list of exactly 2 distinct strings |
| party_name | yes | ≤ 64 characters (shown masked) |
| party_id_number | no | the party's ID or credit code (stored encrypted, searchable) |
| plate | no | the vehicle plate (stored encrypted, searchable; 豫A·12345 = 豫a12345) |
| place | no | ≤ 128 characters |
| region | no | a region code within the unit's region; the unit's region when empty |
| filed_on | yes | 立案 date, not in the future, year ≥ 2015 |
| decided_on | no | 决定 date, not before filed_on, not in the future |
| closed_on | no | 结案 date, not before decided_on (or filed_on), not in the future |
| status | yes | filed, decided, closed, revoked |

Text must not contain control characters. Unknown fields are refused.
"""

KNOWN_FIELDS = frozenset(
    {
        "case_number",
        "unit",
        "revised_at",
        "violation_item",
        "legal_basis",
        "penalty_type",
        "penalty_amount",
        "discretion",
        "mode",
        "soft_measures",
        "officer_certificates",
        "party_name",
        "party_id_number",
        "plate",
        "place",
        "region",
        "filed_on",
        "decided_on",
        "closed_on",
        "status",
    }
)


@dataclass(frozen=True)
class Context:
    """What every row of one batch is checked against (read once per batch)."""

    unit_id: int
    unit_region: str
    regions: frozenset[str]  # codes of the unit's region subtree
    items: dict[str, tuple[int, str]]  # violation item code -> (id, legal basis)
    today: dt.date


class RowErrors(Exception):
    def __init__(self, errors: dict[str, list[str]]):
        self.errors = errors


def _date(row, name, errors, *, required=False) -> dt.date | None:
    value = row.get(name)
    if value in (None, ""):
        if required:
            errors[name] = [_("必填：请填写日期，格式 YYYY-MM-DD。")]
        return None
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    errors[name] = [_("日期格式不正确：请使用 YYYY-MM-DD，例如 2026-03-01。")]
    return None


def check_row(row, ctx: Context) -> dict:
    """The values to store for ``row`` (normalised, with the hashes), or RowErrors."""
    if not isinstance(row, dict):
        raise RowErrors({"non_field_errors": [_("每条案件须为一个 JSON 对象。")]})
    errors: dict[str, list[str]] = {}
    unknown = sorted(set(row) - KNOWN_FIELDS)
    if unknown:
        errors["non_field_errors"] = [_("未知字段：%(names)s，请删除。") % {"names": ", ".join(unknown)[:200]}]
    clean: dict = {}
    for name, (required, max_length) in TEXT_FIELDS.items():
        value = row.get(name)
        if value is None:
            value = ""
        if not isinstance(value, str):
            errors[name] = [_("须为文本。")]
            continue
        value = value.strip()
        character = refused_character(value)
        if character is not None:
            errors[name] = [
                _("含有不可见的控制字符 %(char)s（通常来自复制粘贴），请删除后重试。") % {"char": character}
            ]
        elif required and not value:
            errors[name] = [_("必填。")]
        elif len(value) > max_length:
            errors[name] = [_("不能超过 %(n)s 个字符。") % {"n": max_length}]
        clean[name] = value

    unit = row.get("unit")
    if unit not in (None, "") and str(unit) != str(ctx.unit_id):
        errors["unit"] = [_("只能上传本单位（%(unit)s）的案件；此案件属于其他单位。") % {"unit": ctx.unit_id}]

    revised_raw = row.get("revised_at")
    try:
        revised = parse_datetime(revised_raw) if isinstance(revised_raw, str) else None
    except ValueError:  # well formed but no such time (month 13)
        revised = None
    if revised is None:
        errors["revised_at"] = [
            _("必填：单位系统最后修改此案件的时间，ISO 8601 格式，例如 2026-03-01T08:00:00+08:00。")
        ]
    else:
        if timezone.is_naive(revised):
            revised = timezone.make_aware(revised)
        if revised.date() > ctx.today + dt.timedelta(days=1):
            # a future revision time would lock out every later update of the case
            errors["revised_at"] = [_("修改时间不能晚于当前时间。")]
    clean["revised_at"] = revised

    code = row.get("violation_item")
    item = ctx.items.get(code) if isinstance(code, str) else None
    if item is None:
        errors["violation_item"] = [_("违法事项代码不存在：请使用违法事项清单中的代码。")]
    else:
        clean["violation_item_id"] = item[0]
        if not clean.get("legal_basis"):
            clean["legal_basis"] = item[1]

    for name, allowed in (
        ("penalty_type", PENALTIES),
        ("discretion", DISCRETIONS),
        ("mode", MODES),
        ("status", STATUSES),
    ):
        value = row.get(name)
        if not isinstance(value, str) or value not in allowed:
            errors[name] = [_("取值不正确：须为 %(values)s 之一。") % {"values": ", ".join(sorted(allowed))}]
        clean[name] = value

    amount = row.get("penalty_amount")
    if amount in (None, ""):
        clean["penalty_amount"] = None
        if row.get("penalty_type") == "fine":
            errors["penalty_amount"] = [_("罚款案件须填写罚款金额。")]
    elif isinstance(amount, bool) or not isinstance(amount, (int, float, str)):
        errors["penalty_amount"] = [_('罚款金额须为数字，例如 200 或 "200.50"。')]
    else:
        try:
            value = decimal.Decimal(str(amount).strip())
        except (decimal.InvalidOperation, ValueError):
            value = None
        if value is None or not value.is_finite():
            errors["penalty_amount"] = [_('罚款金额须为数字，例如 200 或 "200.50"。')]
        elif value < 0 or value > MAX_AMOUNT or value.as_tuple().exponent < -2:
            errors["penalty_amount"] = [_("罚款金额须在 0 至 9999999999.99 元之间，最多两位小数。")]
        else:
            clean["penalty_amount"] = value.quantize(decimal.Decimal("0.01"))

    soft = row.get("soft_measures") or []
    if not isinstance(soft, list) or any(not isinstance(m, str) or m not in SOFT_MEASURES for m in soft):
        errors["soft_measures"] = [
            _("柔性执法措施须为列表，取值为 %(values)s。") % {"values": ", ".join(sorted(SOFT_MEASURES))}
        ]
    else:
        clean["soft_measures"] = sorted(set(soft))

    officers = row.get("officer_certificates")
    if (
        not isinstance(officers, list)
        or len(officers) != 2
        or not all(isinstance(o, str) and o.strip() and len(o.strip()) <= 32 for o in officers)
    ):
        errors["officer_certificates"] = [_("须为两名执法人员的执法证号（两个不超过 32 字符的文本）。")]
    elif any(refused_character(o) for o in officers):
        errors["officer_certificates"] = [_("含有不可见的控制字符，请删除后重试。")]
    elif officers[0].strip() == officers[1].strip():
        errors["officer_certificates"] = [_("两名执法人员的执法证号不能相同。")]
    else:
        clean["officer_certificates"] = [o.strip() for o in officers]

    region = row.get("region") or ctx.unit_region
    if not isinstance(region, str) or region not in ctx.regions:
        errors["region"] = [_("区划代码不在本单位管辖范围内。")]
    clean["region_id"] = region

    filed = _date(row, "filed_on", errors, required=True)
    decided = _date(row, "decided_on", errors)
    closed = _date(row, "closed_on", errors)
    if filed is not None:
        if filed > ctx.today:
            errors["filed_on"] = [_("立案日期不能晚于今天。")]
        elif filed.year < MIN_FILED_YEAR:
            errors["filed_on"] = [_("立案日期不能早于 %(year)s 年。") % {"year": MIN_FILED_YEAR}]
    if decided is not None:
        if decided > ctx.today:
            errors["decided_on"] = [_("决定日期不能晚于今天。")]
        elif filed is not None and decided < filed:
            errors["decided_on"] = [_("决定日期不能早于立案日期。")]
    if closed is not None:
        if closed > ctx.today:
            errors["closed_on"] = [_("结案日期不能晚于今天。")]
        elif (decided or filed) is not None and closed < (decided or filed):
            errors["closed_on"] = [_("结案日期不能早于决定日期或立案日期。")]
    if errors:
        raise RowErrors(errors)
    clean.update(filed_on=filed, decided_on=decided, closed_on=closed, filed_year=filed.year)
    clean["party_id_number"] = crypto.normalise_id_number(clean["party_id_number"])
    clean["plate"] = crypto.normalise_plate(clean["plate"])
    clean["content_hash"] = content_hash(clean)
    return clean


HASHED = (
    "case_number",
    "violation_item_id",
    "legal_basis",
    "penalty_type",
    "penalty_amount",
    "discretion",
    "mode",
    "soft_measures",
    "officer_certificates",
    "party_name",
    "party_id_number",
    "plate",
    "place",
    "region_id",
    "filed_on",
    "decided_on",
    "closed_on",
    "status",
)


# json.dumps(..., default=str, ensure_ascii=False, separators=(",", ":")) builds this encoder on
# every call (a tenth of a 5,000-case batch's time); one instance gives the very same text.
_HASH_ENCODER = json.JSONEncoder(default=str, ensure_ascii=False, separators=(",", ":"))


def content_hash(clean: dict) -> str:
    """The keyed hash of a case's content (not its revision time): equal content, equal hash.
    Keyed (crypto.search_hash), because the content holds ID numbers and plates."""
    text = _HASH_ENCODER.encode([clean[name] for name in HASHED])
    return crypto.search_hash(hashlib.sha256(text.encode()).hexdigest(), kind="enforcement_case")
