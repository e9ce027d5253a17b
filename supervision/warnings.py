"""Monitoring that warns before it is late (监测预警, issue 18 §2): the detector and the nightly job.

The method (shown on the warning page too, from ``METHOD`` below)
-----------------------------------------------------------------
Every night, for day T, the job counts complaints (by received date) and problems (by
registration date) in 7-day windows ending on T, T−7, T−14, … back 54 windows (a year and two
weeks), per series: one unit × one category (complaints without a category form the series
"未分类"), and one region × one category (county, city and province subtrees; complaints by
their handling region, problems by theirs). One SQL statement per source (GROUPING SETS over
the unit and the region grouping), set-based; the rest is arithmetic on at most a few hundred
thousand window counts.

For each series the current window (ending T) is compared with the series' own baseline: the
52 windows before it, leaving out the one just before (a surge that began a week ago must not
raise its own baseline), as Farrington does with the recent past:

1. **History.** A series whose unit (or region) had no record before the last 12 weeks has no
   baseline: it raises nothing, and the run records it (the page says so) — a new unit never
   alarms on its first weeks.
2. **Baseline.** Mean μ and variance s² of the baseline windows; overdispersion φ = max(1, s²/μ)
   (quasi-Poisson, as in Farrington). Then one reweighting step: windows above μ + 3·√(φμ)
   (past outbreaks) are left out and μ, φ estimated again.
3. **Surge (异常增多).** The threshold is the upper 1 − α quantile (α = 0.001) of a negative
   binomial with mean μ and variance φμ (a Poisson when φ = 1). The count must exceed the
   threshold *and* reach the minimum count (5 in the window): one complaint never alarms,
   whatever the baseline. A count above the 1 − 10⁻⁵ quantile as well is a **strong** warning,
   proposed as a listing candidate for listed supervision.
4. **New category (苗头).** A unit with history, in a category it had no record of in the whole
   baseline year, with at least 3 in the current window.
5. **Rising (倾向).** Three rises in a row: four windows each higher than the one before
   (T−21 < T−14 < T−7 < T), the last at least the minimum count and above the upper 5 % quantile
   of the same negative binomial (α = 0.05), and no surge warning for the series that night. (A
   looser first version — three windows, the last above μ + one standard deviation — raised 70
   trend warnings a night on the stationary complaint series of the large seed: noise.)

A series with a warning of the same kind in the last 14 days is not warned again (one surge, one
warning). The parameters are ``DetectorParams``; the backtest (``manage.py backtest_warnings``)
measures them on the large seed with surges planted, beside the naive rule mean + 2σ.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
import time
from collections import defaultdict
from dataclasses import asdict, dataclass, field

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class DetectorParams:
    window_days: int = 7
    baseline_windows: int = 52  # the previous 12 months
    guard_windows: int = 1  # windows just before the current one, left out of the baseline
    min_history_windows: int = 12  # 12 weeks of history before anything can be said
    alpha: float = 0.001  # the surge threshold: upper 1 − α quantile
    strong_alpha: float = 0.00001  # a strong warning: above the 1 − 10⁻⁵ quantile too
    min_count: int = 5  # the fewest records in the window that can ever alarm
    new_min: int = 3  # 苗头: records of a category new for the unit
    rising_windows: int = 3  # 倾向: rises in a row (each window higher than the one before)
    rising_alpha: float = 0.05  # 倾向: the last window above the upper 5 % quantile as well
    outlier_sd: float = 3.0  # reweighting: baseline windows above μ + 3√(φμ) left out
    quiet_days: int = 14  # not warned again for the same series and kind within this

    @property
    def windows_counted(self) -> int:
        return 1 + self.guard_windows + self.baseline_windows


PARAMS = DetectorParams()

METHOD = _(
    "方法：每晚按7天滚动窗口统计每个单位×问题类别、每个区划×问题类别的投诉举报和问题数量；"
    "以该序列此前12个月（52个窗口，剔除紧邻的1个窗口）为基线，估计均值μ和离散系数φ=max(1, 方差/均值)"
    "（准泊松，参照Farrington方法，剔除超过μ+3√(φμ)的历史异常窗口后重估一次）；"
    "本窗口数量超过均值为μ、方差为φμ的负二项分布上0.1%分位数，且不少于5件时预警（异常增多），"
    "超过上0.001%分位数为强预警，列入挂牌督办候选；单位在基线一年中从未出现的类别本窗口达到3件为苗头；"
    "连续三次上升（四个窗口逐个增加）且本窗口不少于5件、超过同一分布上5%分位数为倾向。历史不足12周的单位或区划不预警。"
    "同一序列同类预警14天内不重复产生。"
)


# --- the detector: pure arithmetic on window counts -------------------------------------------


@dataclass
class Baseline:
    mean: float
    dispersion: float
    windows: int

    @property
    def sd(self) -> float:
        return math.sqrt(self.dispersion * self.mean)


def baseline_of(counts: list[int], params: DetectorParams = PARAMS) -> Baseline:
    """μ and φ of the baseline windows, with one Farrington-style reweighting step."""
    mean, disp = _moments(counts)
    if counts and mean > 0:
        limit = mean + params.outlier_sd * math.sqrt(disp * mean)
        kept = [c for c in counts if c <= limit]
        if kept and len(kept) < len(counts):
            mean, disp = _moments(kept)
    return Baseline(mean, disp, len(counts))


def _moments(counts: list[int]) -> tuple[float, float]:
    n = len(counts)
    if n == 0:
        return 0.0, 1.0
    mean = sum(counts) / n
    if n < 2 or mean <= 0:
        return mean, 1.0
    var = sum((c - mean) ** 2 for c in counts) / (n - 1)
    return mean, max(1.0, var / mean)


_QUANTILES: dict[tuple[float, float, float], int] = {}


def upper_quantile(mean: float, dispersion: float, alpha: float) -> int:
    """The smallest k with P(X > k) ≤ α for X negative binomial with mean μ and variance φμ
    (Poisson when φ = 1): a count above k is improbable at level α. Summed from the mode upward
    with the probability there taken in logarithms, so large means (a province's thousands)
    neither underflow nor lose the tail."""
    mean = max(mean, 1e-9)
    key = (round(mean, 3), round(dispersion, 3), alpha)
    if key in _QUANTILES:
        return _QUANTILES[key]
    start = math.floor(mean)
    if dispersion <= 1.0 + 1e-9:
        log_p = start * math.log(mean) - mean - math.lgamma(start + 1)

        def step(k: int) -> float:  # P(k+1) / P(k)
            return mean / (k + 1)
    else:
        r = mean / (dispersion - 1.0)
        q = 1.0 - 1.0 / dispersion  # failure probability: mean r·q/(1−q) = μ
        log_p = math.lgamma(start + r) - math.lgamma(r) - math.lgamma(start + 1) + r * math.log1p(-q)
        log_p += start * math.log(q)

        def step(k: int) -> float:
            return (k + r) / (k + 1) * q

    sd = math.sqrt(dispersion * mean)
    top = start + int(40 * sd) + 60
    probs = [math.exp(log_p)]
    for k in range(start, top):
        probs.append(probs[-1] * step(k))
    above = sum(probs)  # P(X ≥ start), up to the negligible mass beyond ``top``
    k = start
    for prob in probs:  # P(X > k) = P(X ≥ k) − P(X = k)
        above -= prob
        if above <= alpha:
            break
        k += 1
    _QUANTILES[key] = k
    return k


@dataclass
class Finding:
    kind: str
    observed: int
    expected: float
    threshold: int
    dispersion: float
    strong: bool = False


def detect(
    windows: list[int], *, has_history: bool, params: DetectorParams = PARAMS, kinds=("surge", "new", "rising")
) -> list[Finding]:
    """The warnings one series raises tonight. ``windows`` are the series' window counts, the
    current one LAST (oldest first), ``windows_counted`` of them (fewer when the data is short:
    missing windows count as zero). ``has_history``: the series' unit or region had a record
    before the last ``min_history_windows`` windows (else nothing is raised)."""
    if not has_history or not windows:
        return []
    observed = windows[-1]
    if observed < min(params.min_count, params.new_min):  # nothing can be raised: skip the arithmetic
        return []
    base_counts = windows[: max(0, len(windows) - 1 - params.guard_windows)][-params.baseline_windows :]
    base = baseline_of(base_counts, params)
    found: list[Finding] = []
    threshold = upper_quantile(base.mean, base.dispersion, params.alpha)
    if "surge" in kinds and observed > threshold and observed >= params.min_count:
        strong = observed > upper_quantile(base.mean, base.dispersion, params.strong_alpha)
        found.append(Finding("surge", observed, base.mean, threshold, base.dispersion, strong))
    if "new" in kinds and observed >= params.new_min and sum(windows[:-1]) == 0:
        found.append(Finding("new", observed, 0.0, params.new_min - 1, 1.0))
    if "rising" in kinds and not any(f.kind == "surge" for f in found):
        last = windows[-(params.rising_windows + 1) :]
        rising = len(last) == params.rising_windows + 1 and all(a < b for a, b in itertools.pairwise(last))
        bar = max(params.min_count, upper_quantile(base.mean, base.dispersion, params.rising_alpha) + 1)
        if rising and observed >= bar and sum(windows[:-1]) > 0:
            found.append(Finding("rising", observed, base.mean, bar - 1, base.dispersion))
    return found


def naive_score(windows: list[int], params: DetectorParams = PARAMS) -> float | None:
    """How many σ the current window lies above the mean of the same baseline windows as the
    detector's (``None`` without two of them; ±∞ when they are all equal)."""
    base_counts = windows[: max(0, len(windows) - 1 - params.guard_windows)][-params.baseline_windows :]
    if len(base_counts) < 2:
        return None
    mean = sum(base_counts) / len(base_counts)
    sd = math.sqrt(sum((c - mean) ** 2 for c in base_counts) / (len(base_counts) - 1))
    if sd == 0:
        return math.inf if windows[-1] > mean else -math.inf
    return (windows[-1] - mean) / sd


def naive_alarm(windows: list[int], params: DetectorParams = PARAMS, sigmas: float = 2.0) -> bool:
    """The naive rule the backtest compares with: the current window above the mean + 2σ of the
    same baseline windows (no overdispersion model, no minimum count, no reweighting)."""
    score = naive_score(windows, params)
    return score is not None and score > sigmas


# --- counting: one statement per source ------------------------------------------------------


@dataclass(frozen=True)
class SourceSpec:
    source: str
    table: str
    time_column: str
    region_column: str
    extra_where: str = ""


SOURCES = (
    SourceSpec("complaint", "complaints_complaint", "received_at", "handling_region_id", "AND duplicate_of_id IS NULL"),
    SourceSpec("problem", "cases_problem", "created_at", "region_id"),
)

TZ = "Asia/Shanghai"


def window_bounds(day: dt.date, params: DetectorParams = PARAMS) -> tuple[dt.datetime, dt.datetime]:
    """[start, end) of the counted windows ending on ``day`` (local time)."""
    tz = timezone.get_current_timezone()
    first = day - dt.timedelta(days=params.window_days * params.windows_counted - 1)
    start = dt.datetime.combine(first, dt.time.min, tz)
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min, tz)
    return start, end


def counting_sql(spec: SourceSpec, grouping_sets: bool = True) -> str:
    """Window counts of one source: window k = 0 is the current one (ending on the day)."""
    k = f"((%s::date - ({spec.time_column} AT TIME ZONE '{TZ}')::date) / %s)"
    where = f"WHERE {spec.time_column} >= %s AND {spec.time_column} < %s {spec.extra_where}"
    if grouping_sets:
        sets = f"GROUPING SETS ((unit_id, category_id, k), ({spec.region_column}, category_id, k))"
        columns = f"unit_id, {spec.region_column}, category_id, {k} AS k, count(*), GROUPING(unit_id)"
        return f"SELECT {columns} FROM {spec.table} {where} GROUP BY {sets}"  # noqa: S608 - fixed names
    sql = f"SELECT unit_id, category_id, {k} AS k, count(*) FROM {spec.table} {where}"  # noqa: S608 - as above
    return sql + " GROUP BY unit_id, category_id, k"


def count_windows(day: dt.date, params: DetectorParams = PARAMS) -> dict[str, dict]:
    """Per source: {"unit": {(unit_id, category_id): {k: n}}, "region": {(region, category): {k: n}}}."""
    start, end = window_bounds(day, params)
    out = {}
    with connection.cursor() as cursor:
        for spec in SOURCES:
            cursor.execute(counting_sql(spec), [day, params.window_days, start, end])
            units: dict = defaultdict(dict)
            regions: dict = defaultdict(dict)
            for unit_id, region_id, category_id, k, n, by_region in cursor.fetchall():
                if by_region:
                    regions[region_id, category_id][k] = n
                elif unit_id is not None:
                    units[unit_id, category_id][k] = n
            out[spec.source] = {"unit": units, "region": regions}
    return out


def roll_up_regions(counts: dict, paths: dict[str, str]) -> dict:
    """County counts summed into every region above them (city, province) by the region path."""
    rolled: dict = defaultdict(lambda: defaultdict(int))
    for (region_id, category_id), per_k in counts.items():
        path = paths.get(region_id)
        if path is None:
            continue
        for code in [c for c in path.split("/") if c]:
            target = rolled[code, category_id]
            for k, n in per_k.items():
                target[k] += n
    return rolled


def as_windows(per_k: dict[int, int], params: DetectorParams = PARAMS) -> list[int]:
    """Window counts oldest first, the current window last."""
    return [per_k.get(k, 0) for k in range(params.windows_counted - 1, -1, -1)]


# --- the nightly job ---------------------------------------------------------------------------


@dataclass
class RunResult:
    day: dt.date
    series: int = 0
    no_history: int = 0
    raised: dict = field(default_factory=dict)
    no_history_units: list = field(default_factory=list)
    count_seconds: float = 0.0
    total_seconds: float = 0.0


def _first_window(groups: dict, key_index: int) -> dict:
    """The oldest window (largest k) in which each unit / region had any record."""
    oldest: dict = {}
    for key, per_k in groups.items():
        owner = key[key_index]
        oldest[owner] = max(oldest.get(owner, -1), max(per_k))
    return oldest


def monitoring_run(day: dt.date | None = None, params: DetectorParams = PARAMS) -> RunResult:
    """Count, detect and store tonight's warnings (idempotent per day: re-running the same day
    adds nothing twice, the unique key is (series, kind, window end))."""
    from portal.audit.services import audit_record
    from portal.regions.models import Region, Unit
    from supervision.models import MonitoringRun, MonitoringWarning

    started = time.perf_counter()
    day = day or timezone.localdate()
    result = RunResult(day=day)
    counts = count_windows(day, params)
    result.count_seconds = time.perf_counter() - started

    paths = dict(Region.objects.values_list("code", "path"))
    unit_regions = dict(Unit.objects.values_list("pk", "region_id"))
    history_from = params.min_history_windows  # a record in window k ≥ this: history enough
    quiet_since = day - dt.timedelta(days=params.quiet_days)
    recent = set(
        MonitoringWarning.objects.filter(window_end__gt=quiet_since, window_end__lt=day).values_list(
            "series_key", "kind"
        )
    )
    new_rows = []
    no_history_units: set = set()
    for source, groups in counts.items():
        prefix = "c" if source == "complaint" else "p"
        regions = roll_up_regions(groups["region"], paths)
        for scope, series_map, index in (("u", groups["unit"], 0), ("r", regions, 0)):
            oldest = _first_window(series_map, index)
            for key, per_k in series_map.items():
                owner, category_id = key
                result.series += 1
                has_history = oldest.get(owner, -1) >= history_from
                if not has_history:
                    result.no_history += 1
                    if scope == "u" and per_k.get(0):
                        no_history_units.add(owner)
                    continue
                # Windows before the unit's (region's) first record are not part of its baseline.
                windows = as_windows(per_k, params)[-(oldest[owner] + 1) :]
                series_key = f"{prefix}:{scope}:{owner}:{category_id or 0}"
                kinds = ("surge", "new", "rising") if scope == "u" else ("surge", "rising")
                for finding in detect(windows, has_history=True, params=params, kinds=kinds):
                    if (series_key, finding.kind) in recent:
                        continue
                    region_id = unit_regions.get(owner) if scope == "u" else owner
                    if region_id is None:
                        continue
                    new_rows.append(
                        MonitoringWarning(
                            kind=finding.kind,
                            source=source,
                            unit_id=owner if scope == "u" else None,
                            region_id=region_id,
                            category_id=category_id,
                            series_key=series_key,
                            window_end=day,
                            window_days=params.window_days,
                            observed=finding.observed,
                            expected=round(finding.expected, 3),
                            threshold=finding.threshold,
                            dispersion=round(finding.dispersion, 3),
                            strong=finding.strong,
                            windows=windows,
                            params=asdict(params),
                        )
                    )
    with transaction.atomic():
        done = set(MonitoringWarning.objects.filter(window_end=day).values_list("series_key", "kind"))
        new_rows = [row for row in new_rows if (row.series_key, row.kind) not in done]
        MonitoringWarning.objects.bulk_create(new_rows, batch_size=1000, ignore_conflicts=True)
        for row in new_rows:
            result.raised[row.kind] = result.raised.get(row.kind, 0) + 1
        result.no_history_units = sorted(no_history_units)[:200]
        result.total_seconds = time.perf_counter() - started
        MonitoringRun.objects.update_or_create(
            day=day,
            defaults={
                "series": result.series,
                "no_history": result.no_history,
                "raised": result.raised,
                "no_history_units": result.no_history_units,
                "count_seconds": round(result.count_seconds, 3),
                "total_seconds": round(result.total_seconds, 3),
                "finished_at": timezone.now(),
            },
        )
        audit_record(
            actor=None,
            action="supervision.monitoring_run",
            object_type="supervision.monitoringrun",
            object_id=day.isoformat(),
            changes={"series": result.series, "no_history": result.no_history, "raised": result.raised},
            username="system",
        )
    return result
