"""The clue engine (问题线索, issue 19): every rule is one set-based SQL statement.

A rule's statement selects the rows that break it from the current case versions (with the
exemption list and benchmarks in force on each case's decision date) as (key, unit, region,
figures, case keys), and one ``INSERT ... ON CONFLICT (rule, key) DO UPDATE`` turns them into
clues: a new clue is open; an open clue found again gets the new figures and cases; an accepted
or dismissed clue is left as it was handled (it is never raised again for the same key).

Two scopes. ``clues_check(keys=...)`` looks at the cases of one upload (by their key ids, the
index on ``key_id``) and, for the rules that compare a case with others, at the same parties,
plates and unit-months; ``clues_check()`` with no keys is the full rescan, run nightly. The
thresholds come from ``ClueRule.params`` (checked against ``RuleSpec.params`` when saved), the
on/off from ``ClueRule.enabled``. ``plain_sql(code)`` is the rule's select alone, the baseline a
benchmark compares the engine with.
"""

# ruff: noqa: S608 - the statements are built from this module's constant fragments; values are parameters

from __future__ import annotations

import decimal
import time
from dataclasses import dataclass, field

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from cases.enforcement.clue_models import ClueRule, ClueRun


@dataclass(frozen=True)
class Param:
    name: str
    label: str
    default: float
    minimum: float = 0
    maximum: float = 100_000
    integer: bool = True


@dataclass(frozen=True)
class RuleSpec:
    code: str
    name: str
    description: str
    sql: str  # the select, with {scope} (per-case rules) or {targets} (the comparing rules)
    params: tuple[Param, ...] = field(default_factory=tuple)
    kind: str = "case"  # case: one clue per case; party, plate, unit_month: the comparing rules
    # what a batch's case must be for the rule to find anything with it (over ``c``, a current
    # version); a batch with no such case skips the rule's statement (it would select nothing)
    candidate: str = ""


CURRENT = "c.is_current AND c.decided_on IS NOT NULL"

# The exemption item in force on the case's decision date (the version that judges it).
IN_FORCE_EXEMPTION = (
    "e.violation_item_id = c.violation_item_id AND e.effective_from <= c.decided_on"
    " AND (e.effective_to IS NULL OR c.decided_on < e.effective_to)"
)


def _same_party(p: str, c: str, extra: str) -> str:
    """Another current case of the same party (by ID number, else by plate) matching ``extra``:
    two EXISTS with plain equalities, so each uses its partial hash index."""
    return (
        f"(EXISTS (SELECT 1 FROM cases_enforcementcase {p} WHERE {p}.is_current"
        f" AND {c}.party_id_number_hash <> '' AND {p}.party_id_number_hash = {c}.party_id_number_hash"
        f" AND {p}.key_id <> {c}.key_id AND {extra})"
        f" OR EXISTS (SELECT 1 FROM cases_enforcementcase {p} WHERE {p}.is_current"
        f" AND {c}.party_id_number_hash = '' AND {c}.plate_hash <> '' AND {p}.plate_hash = {c}.plate_hash"
        f" AND {p}.key_id <> {c}.key_id AND {extra}))"
    )


def _prior_keys(c: str, extra: str) -> str:
    """The key ids of the same party's other current cases matching ``extra`` (for figures)."""
    return (
        f"ARRAY(SELECT p.key_id FROM cases_enforcementcase p WHERE p.is_current AND p.key_id <> {c}.key_id"
        f" AND ((({c}.party_id_number_hash <> '') AND p.party_id_number_hash = {c}.party_id_number_hash)"
        f" OR ({c}.party_id_number_hash = '' AND {c}.plate_hash <> '' AND p.plate_hash = {c}.plate_hash))"
        f" AND {extra} ORDER BY p.decided_on, p.key_id LIMIT 20)"
    )


CASE_COLUMNS = "'k' || c.key_id, c.unit_id, c.region_id"
DECIDED_FINE = "c.decided_on IS NOT NULL AND c.penalty_type = 'fine'"
DECIDED_EXEMPT = "c.decided_on IS NOT NULL AND c.discretion = 'exempt'"

RULES: dict[str, RuleSpec] = {
    spec.code: spec
    for spec in (
        RuleSpec(
            "fine_when_exempt",
            _lazy("符合免罚条件仍予罚款"),
            _lazy(
                "罚款案件的违法事项在决定日属于免罚清单，且当事人在首违认定期间内无同一事项的在先案件"
                "（其余条件须人工核实）。"
            ),
            f"SELECT {CASE_COLUMNS},"
            " jsonb_build_object('exemption', e.id, 'item', e.name, 'amount', c.penalty_amount,"
            " 'decided_on', c.decided_on, 'window_days', e.first_offence_days),"
            " ARRAY[c.key_id]"
            f" FROM cases_enforcementcase c JOIN cases_exemptionitem e ON {IN_FORCE_EXEMPTION}"
            f" WHERE {CURRENT} AND c.penalty_type = 'fine' {{scope}}"
            " AND NOT "
            + _same_party(
                "p",
                "c",
                "p.violation_item_id = c.violation_item_id AND p.decided_on < c.decided_on"
                " AND p.decided_on >= c.decided_on - e.first_offence_days",
            ),
            candidate=DECIDED_FINE,
        ),
        RuleSpec(
            "exempt_unlisted",
            _lazy("不符合免罚清单而免罚"),
            _lazy("案件以“不予处罚（免罚）”结案，但其违法事项在决定日不属于免罚清单。"),
            f"SELECT {CASE_COLUMNS},"
            " jsonb_build_object('item', c.violation_item_id, 'decided_on', c.decided_on),"
            " ARRAY[c.key_id]"
            f" FROM cases_enforcementcase c WHERE {CURRENT} AND c.discretion = 'exempt' {{scope}}"
            f" AND NOT EXISTS (SELECT 1 FROM cases_exemptionitem e WHERE {IN_FORCE_EXEMPTION})",
            candidate=DECIDED_EXEMPT,
        ),
        RuleSpec(
            "exempt_repeat",
            _lazy("首违期间内再次免罚（人情案）"),
            _lazy("同一当事人在规定天数内再次被免予处罚。"),
            f"SELECT {CASE_COLUMNS},"
            " jsonb_build_object('decided_on', c.decided_on, 'window_days', %(window_days)s::int, 'earlier',"
            + _prior_keys(
                "c",
                "p.discretion = 'exempt' AND p.decided_on < c.decided_on"
                " AND p.decided_on >= c.decided_on - %(window_days)s::int",
            )
            + "), ARRAY[c.key_id] || "
            + _prior_keys(
                "c",
                "p.discretion = 'exempt' AND p.decided_on < c.decided_on"
                " AND p.decided_on >= c.decided_on - %(window_days)s::int",
            )
            + f" FROM cases_enforcementcase c WHERE {CURRENT} AND c.discretion = 'exempt' {{scope}} AND "
            + _same_party(
                "p",
                "c",
                "p.discretion = 'exempt' AND p.decided_on < c.decided_on"
                " AND p.decided_on >= c.decided_on - %(window_days)s::int",
            ),
            (Param("window_days", _lazy("认定期间（日）"), 365, 1, 3650),),
            kind="party",
            candidate=DECIDED_EXEMPT,
        ),
        RuleSpec(
            "outside_benchmark",
            _lazy("罚款超出裁量基准"),
            _lazy("罚款金额不在决定日有效的该事项、该裁量等级的基准范围内（可设容差）。"),
            f"SELECT {CASE_COLUMNS},"
            " jsonb_build_object('amount', c.penalty_amount, 'min', b.min_amount, 'max', b.max_amount,"
            " 'level', c.discretion, 'benchmark', b.id, 'decided_on', c.decided_on),"
            " ARRAY[c.key_id]"
            " FROM cases_enforcementcase c JOIN cases_discretionbenchmark b"
            " ON b.violation_item_id = c.violation_item_id AND b.level = c.discretion"
            " AND b.effective_from <= c.decided_on AND (b.effective_to IS NULL OR c.decided_on < b.effective_to)"
            f" WHERE {CURRENT} AND c.penalty_type = 'fine' AND c.penalty_amount IS NOT NULL {{scope}}"
            " AND (c.penalty_amount < b.min_amount - %(tolerance)s::numeric"
            " OR c.penalty_amount > b.max_amount + %(tolerance)s::numeric)",
            (Param("tolerance", _lazy("容差（元）"), 0, 0, 1_000_000, integer=False),),
            candidate=DECIDED_FINE + " AND c.penalty_amount IS NOT NULL",
        ),
        RuleSpec(
            "few_officers",
            _lazy("执法人员少于两名"),
            _lazy("案件登记的不同执法证号少于规定人数。"),
            f"SELECT {CASE_COLUMNS},"
            " jsonb_build_object('officers', o.n, 'required', %(min_officers)s::int), ARRAY[c.key_id]"
            " FROM cases_enforcementcase c CROSS JOIN LATERAL (SELECT count(DISTINCT btrim(x)) AS n"
            " FROM unnest(c.officer_certificates) x WHERE btrim(x) <> '') o"
            " WHERE c.is_current {scope} AND o.n < %(min_officers)s::int",
            (Param("min_officers", _lazy("最少执法人员数"), 2, 1, 10),),
        ),
        RuleSpec(
            "decision_overdue",
            _lazy("超过期限作出决定"),
            _lazy("自立案至作出决定（或至今仍未决定）超过规定天数。"),
            f"SELECT {CASE_COLUMNS},"
            " jsonb_build_object('filed_on', c.filed_on, 'decided_on', c.decided_on,"
            " 'days', coalesce(c.decided_on, %(today)s::date) - c.filed_on, 'limit', %(limit_days)s::int),"
            " ARRAY[c.key_id]"
            " FROM cases_enforcementcase c WHERE c.is_current {scope}"
            " AND ((c.decided_on IS NOT NULL AND c.decided_on - c.filed_on > %(limit_days)s::int)"
            " OR (c.decided_on IS NULL AND c.status = 'filed' AND %(today)s::date - c.filed_on > %(limit_days)s::int))",
            (Param("limit_days", _lazy("决定期限（自然日）"), 90, 1, 3650),),
        ),
        RuleSpec(
            "station_fine",
            _lazy("超限检测站直接罚款"),
            _lazy("“六严禁”：执法方式为超限检测站、处罚种类为罚款的案件。"),
            f"SELECT {CASE_COLUMNS},"
            " jsonb_build_object('mode', c.mode, 'amount', c.penalty_amount), ARRAY[c.key_id]"
            " FROM cases_enforcementcase c WHERE c.is_current AND c.mode = 'overload_station'"
            " AND c.penalty_type = 'fine' {scope}",
            candidate="c.mode = 'overload_station' AND c.penalty_type = 'fine'",
        ),
        RuleSpec(
            "capture_penalty",
            _lazy("依闯卡抓拍直接处罚"),
            _lazy("“六严禁”：非现场执法（闯卡抓拍等）案件作出了处罚。"),
            f"SELECT {CASE_COLUMNS},"
            " jsonb_build_object('mode', c.mode, 'penalty', c.penalty_type, 'amount', c.penalty_amount),"
            " ARRAY[c.key_id]"
            " FROM cases_enforcementcase c WHERE c.is_current AND c.mode = 'non_site'"
            " AND c.penalty_type <> 'none' {scope}",
            candidate="c.mode = 'non_site' AND c.penalty_type <> 'none'",
        ),
        RuleSpec(
            "period_end_bunching",
            _lazy("月末季末罚款异常集中"),
            _lazy(
                "单位某月最后若干天的罚款件数达到最低件数，且超过其此前若干个月同期平均数的规定倍数"
                "（历史月份不足的单位不判断）。"
            ),
            # targets: (unit, month) pairs to judge; monthly: each unit's fines per month, with the
            # month-end tail counted apart; the baseline is the tail's mean over earlier months
            "WITH targets AS ({targets}),"
            " bounds AS (SELECT unit_id, min(m) - make_interval(months => %(baseline_months)s::int) AS lo,"
            " max(m) + interval '1 month' AS hi FROM targets GROUP BY unit_id),"
            # per unit (LATERAL): its decided fines in its range, read by their partial index
            " monthly AS (SELECT r.unit_id, x.m, x.total, x.tail, x.keys FROM bounds r CROSS JOIN LATERAL"
            " (SELECT date_trunc('month', c.decided_on)::date AS m, count(*) AS total,"
            " count(*) FILTER (WHERE c.decided_on >= (date_trunc('month', c.decided_on)"
            " + interval '1 month')::date - %(tail_days)s::int) AS tail,"
            " array_agg(c.key_id ORDER BY c.decided_on, c.key_id) FILTER (WHERE c.decided_on >="
            " (date_trunc('month', c.decided_on) + interval '1 month')::date - %(tail_days)s::int) AS keys"
            " FROM cases_enforcementcase c WHERE c.unit_id = r.unit_id"
            f" AND {CURRENT} AND c.penalty_type = 'fine' AND c.decided_on >= r.lo AND c.decided_on < r.hi"
            " GROUP BY 1) x),"
            " judged AS (SELECT t.unit_id, t.m, t.tail, t.keys,"
            " (SELECT coalesce(sum(b.tail), 0)::float / %(baseline_months)s::int FROM monthly b"
            " WHERE b.unit_id = t.unit_id AND b.m < t.m"
            " AND b.m >= t.m - make_interval(months => %(baseline_months)s::int)) AS baseline,"
            " (SELECT count(*) FROM monthly b WHERE b.unit_id = t.unit_id AND b.m < t.m"
            " AND b.m >= t.m - make_interval(months => %(baseline_months)s::int)) AS history"
            " FROM monthly t JOIN targets g ON g.unit_id = t.unit_id AND g.m = t.m)"
            " SELECT 'u' || j.unit_id || ':' || to_char(j.m, 'YYYY-MM'), j.unit_id, u.region_id,"
            " jsonb_build_object('month', to_char(j.m, 'YYYY-MM'), 'tail', j.tail,"
            " 'baseline', round(j.baseline::numeric, 2), 'ratio', %(ratio)s::float,"
            " 'tail_days', %(tail_days)s::int, 'quarter_end', extract(month FROM j.m)::int %% 3 = 0),"
            " j.keys"
            " FROM judged j JOIN regions_unit u ON u.id = j.unit_id"
            " WHERE j.history >= %(min_history)s::int AND j.tail >= %(min_count)s::int"
            " AND j.tail > %(ratio)s::float * j.baseline",
            (
                Param("tail_days", _lazy("月末天数"), 5, 1, 15),
                Param("baseline_months", _lazy("基线月数"), 6, 1, 36),
                Param("min_history", _lazy("最少历史月数"), 3, 1, 36),
                Param("ratio", _lazy("倍数"), 3, 1, 100, integer=False),
                Param("min_count", _lazy("最低件数"), 10, 1, 100_000),
            ),
            kind="unit_month",
            candidate=DECIDED_FINE,
        ),
        RuleSpec(
            "officer_same_plate",
            _lazy("同一执法人员反复处罚同一车辆"),
            _lazy("同一执法证号在规定天数内对同一车牌作出罚款达到规定次数。"),
            # every fine with a plate, once per officer; the count of the same pair's fines in the
            # window ending at each fine, and the window's cases gathered by the same window (not
            # by a subquery per peak, which rescanned the whole CTE for each: quadratic); per pair
            # the fine where it peaks. A case is gathered as day * 10^12 + key id, so sorting the
            # numbers sorts the cases by (decided_on, key id) and ``% 10^12`` gives the key back.
            "WITH f AS (SELECT btrim(o) AS officer, c.plate_hash, c.decided_on, c.key_id, c.unit_id, c.region_id"
            " FROM cases_enforcementcase c CROSS JOIN LATERAL unnest(c.officer_certificates) o"
            f" WHERE {CURRENT} AND c.penalty_type = 'fine' AND c.plate_hash <> '' {{targets}}),"
            " w AS (SELECT f.*, count(*) OVER win AS n,"
            " array_agg((f.decided_on - date '2000-01-01')::bigint * 1000000000000 + f.key_id) OVER win AS ordered"
            " FROM f WINDOW win AS (PARTITION BY officer, plate_hash ORDER BY decided_on"
            " RANGE BETWEEN %(window_days)s * interval '1 day' PRECEDING AND CURRENT ROW)),"
            " peak AS (SELECT DISTINCT ON (officer, plate_hash) officer, plate_hash, decided_on, n, ordered, unit_id,"
            " region_id FROM w WHERE n >= %(min_count)s::int ORDER BY officer, plate_hash, n DESC, decided_on DESC)"
            " SELECT 'o' || p.officer || ':' || p.plate_hash, p.unit_id, p.region_id,"
            " jsonb_build_object('officer', p.officer, 'fines', p.n, 'window_days', %(window_days)s::int,"
            " 'last', p.decided_on),"
            " ARRAY(SELECT x %% 1000000000000 FROM unnest(p.ordered) x ORDER BY x)"
            " FROM peak p",
            (
                Param("window_days", _lazy("统计天数"), 90, 1, 3650),
                Param("min_count", _lazy("次数"), 3, 2, 1000),
            ),
            kind="plate",
            candidate=DECIDED_FINE + " AND c.plate_hash <> ''",
        ),
    )
}

UPSERT = (
    "INSERT INTO cases_clue (rule_id, key, unit_id, region_id, figures, case_keys, case_count, status,"
    " version, note, found_at, seen_at)"
    " SELECT %(rule_id)s, t.key, t.unit_id, t.region_id, t.figures, t.case_keys, cardinality(t.case_keys),"
    " 'open', 1, '', %(now)s, %(now)s FROM ({select}) AS t(key, unit_id, region_id, figures, case_keys)"
    " ON CONFLICT (rule_id, key) DO UPDATE SET figures = EXCLUDED.figures, case_keys = EXCLUDED.case_keys,"
    " case_count = EXCLUDED.case_count, seen_at = EXCLUDED.seen_at WHERE cases_clue.status = 'open'"
    " RETURNING (xmax = 0)"
)


# --- rules as data -----------------------------------------------------------------------------


def defaults(spec: RuleSpec) -> dict:
    return {p.name: (int(p.default) if p.integer else p.default) for p in spec.params}


def params_check(code: str, raw: dict) -> dict:
    """The rule's thresholds as numbers, or ValueError naming what is wrong and what to do."""
    spec = RULES[code]
    if not isinstance(raw, dict):
        raise ValueError(_("阈值参数须为“名称: 数值”的对象。"))
    unknown = sorted(set(raw) - {p.name for p in spec.params})
    if unknown:
        raise ValueError(_("未知的参数：%(names)s。") % {"names": "、".join(unknown)})
    clean, errors = {}, []
    for p in spec.params:
        value = raw.get(p.name, p.default)
        if isinstance(value, bool):
            value = None
        try:
            number = decimal.Decimal(str(value).strip())
            if not number.is_finite():
                raise decimal.InvalidOperation
        except (decimal.InvalidOperation, ValueError):
            errors.append(_("“%(label)s”须为数字，收到：%(value)s。") % {"label": p.label, "value": value})
            continue
        if p.integer and number != number.to_integral_value():
            errors.append(_("“%(label)s”须为整数。") % {"label": p.label})
            continue
        if not (decimal.Decimal(str(p.minimum)) <= number <= decimal.Decimal(str(p.maximum))):
            errors.append(
                _("“%(label)s”须在 %(min)s 至 %(max)s 之间。") % {"label": p.label, "min": p.minimum, "max": p.maximum}
            )
            continue
        clean[p.name] = int(number) if p.integer else float(number)
    if errors:
        raise ValueError(" ".join(errors))
    return clean


def clue_rules_ensure() -> dict[str, ClueRule]:
    """Every rule of ``RULES`` as a ClueRule row (made with its defaults when missing)."""
    rules = {rule.code: rule for rule in ClueRule.objects.all()}
    for code, spec in RULES.items():
        if code not in rules:
            rules[code], _made = ClueRule.objects.get_or_create(
                code=code,
                defaults={"name": str(spec.name), "description": str(spec.description), "params": defaults(spec)},
            )
    return rules


# --- the engine --------------------------------------------------------------------------------


def _statement(spec: RuleSpec, keys: list[int] | None) -> str:
    if spec.kind in ("case", "party"):  # party: the batch's exempted cases, compared with their party's others
        return spec.sql.replace("{scope}", "" if keys is None else BATCH.format(c="c"))
    if spec.kind == "plate":
        targets = (
            ""
            if keys is None
            # the plates of the batch's fines (only a fine changes a plate's counts); an array,
            # not IN (subquery): the planner then reads the plate index per plate
            else "AND c.plate_hash = ANY(ARRAY(SELECT DISTINCT b.plate_hash FROM cases_enforcementcase b"
            f" WHERE b.is_current AND b.decided_on IS NOT NULL AND b.penalty_type = 'fine' AND b.plate_hash <> ''"
            f" {BATCH.format(c='b')}))"
        )
        return spec.sql.replace("{targets}", targets)
    # unit_month: the unit-months of the batch's fines, or every unit-month with a fine
    targets = (
        "SELECT DISTINCT c.unit_id, date_trunc('month', c.decided_on)::date AS m FROM cases_enforcementcase c"
        f" WHERE {CURRENT} AND c.penalty_type = 'fine'" + ("" if keys is None else " " + BATCH.format(c="c"))
    )
    return spec.sql.replace("{targets}", targets)


# The cases of a batch: their key ids, and the filing years they are in. The years are a
# constant of the statement (bound client-side), so the planner reads only those partitions of
# the case table instead of probing the key index of every year's partition.
BATCH = "AND {c}.key_id = ANY(%(keys)s::bigint[]) AND {c}.filed_year = ANY(%(years)s::smallint[])"


def batch_years(keys: list[int]) -> list[int]:
    """The filing years (partitions) of the current versions of ``keys``."""
    return batch_scan(keys)[0]


def batch_scan(keys: list[int]) -> tuple[list[int], set[str]]:
    """One read of a batch: the filing years of the current versions of ``keys`` and the rules
    that have a candidate among them (``RuleSpec.candidate``; a rule without one always runs)."""
    flags = [code for code, spec in RULES.items() if spec.candidate]
    tests = "".join(f", bool_or({RULES[code].candidate})" for code in flags)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT coalesce(array_agg(DISTINCT c.filed_year), '{{}}'){tests} FROM cases_enforcementcase c"
            " WHERE c.is_current AND c.key_id = ANY(%s::bigint[])",
            [keys],
        )
        years, *found = cursor.fetchone()
    live = {code for code, spec in RULES.items() if not spec.candidate}
    live |= {code for code, hit in zip(flags, found, strict=True) if hit}
    return sorted(years), live


def _arguments(rule: ClueRule, keys, today, years=None) -> dict:
    spec = RULES[rule.code]
    args = {**defaults(spec), **(rule.params or {})}
    if keys is not None and years is None:
        years = batch_years(keys)
    args.update({"keys": keys, "years": years, "today": today, "rule_id": rule.pk, "now": timezone.now()})
    return args


def plain_sql(code: str, keys: list[int] | None = None, years: list[int] | None = None) -> tuple[str, dict]:
    """The rule's select alone, counted: the baseline of the benchmark (``years``: the batch's,
    ``batch_years(keys)`` when not given)."""
    rule = clue_rules_ensure()[code]
    sql = f"SELECT count(*) FROM ({_statement(RULES[code], keys)}) AS t"
    return sql, _arguments(rule, keys, timezone.localdate(), years)


@dataclass
class CheckResult:
    found: dict[str, int]  # new clues per rule
    seconds: dict[str, float]
    total_seconds: float


def clues_check(*, keys: list[int] | None = None, kind: str = "", today=None, record: bool = True) -> CheckResult:
    """Run every enabled rule over the cases of ``keys`` (an upload) or over all cases."""
    started = time.perf_counter()
    today = today or timezone.localdate()
    rules = clue_rules_ensure()
    found, seconds = {}, {}
    with transaction.atomic(), connection.cursor() as cursor:
        years, live = batch_scan(keys) if keys is not None else (None, set(RULES))
        for code, spec in RULES.items():
            rule = rules[code]
            if not rule.enabled:
                continue
            if code not in live:  # no case of the batch can break it
                found[code], seconds[code] = 0, 0.0
                continue
            t0 = time.perf_counter()
            cursor.execute(UPSERT.replace("{select}", _statement(spec, keys)), _arguments(rule, keys, today, years))
            found[code] = sum(1 for (inserted,) in cursor.fetchall() if inserted)
            seconds[code] = round(time.perf_counter() - t0, 4)
        total = round(time.perf_counter() - started, 4)
        if record:
            ClueRun.objects.create(
                kind=kind or ("upload" if keys is not None else "rescan"),
                cases=len(keys) if keys is not None else 0,
                found=found,
                seconds=seconds,
                total_seconds=total,
            )
    return CheckResult(found, seconds, total)
