"""What a benchmark is, how it is timed, and how the results are shown.

A ``bench/bench_<area>.py`` module exposes ``BENCHMARKS``, a list whose entries are:

- a ``Benchmark``: the harness times ``run`` (and ``baseline``, interleaved, in the same run)
  after warm-up, counts SQL queries in one extra untimed call, and checks the ``Goal``;
- a plain function: a ``Benchmark`` named after it, measuring what its docstring says;
- a ``Probe``: for what cannot simply be repeated (seeding a fresh database), a function
  that measures itself and returns ``Result`` rows.

See bench/README.md for examples.
"""

from __future__ import annotations

import gc
import math
import time
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

DEFAULT_REPEAT = 20


@dataclass(frozen=True)
class Options:
    """The command line, as benchmarks and probes see it."""

    repeat: int | None = None  # --repeat N: overrides every benchmark's own repeat
    only: str | None = None
    reseed: bool = False  # --reseed: probes may rebuild a fresh database (slow)

    def repeat_for(self, own: int | None) -> int:
        return max(1, self.repeat or own or DEFAULT_REPEAT)


@dataclass(frozen=True)
class Goal:
    """A target stated by an issue; every bound given must hold. ``source`` says where it is from."""

    source: str = ""
    p50_ms: float | None = None
    p95_ms: float | None = None
    queries: int | None = None  # exactly this many SQL queries per call
    max_queries: int | None = None
    min_per_s: float | None = None  # throughput floor, ops per second at p50
    max_ratio: float | None = None  # p50 / baseline p50

    def check(self, result: Result) -> tuple[bool, str]:
        checks: list[tuple[str, float | None, Callable[[float], bool]]] = []
        if self.p50_ms is not None:
            checks.append((f"p50≤{self.p50_ms:g}ms", result.p50_ms, lambda v: v <= self.p50_ms))
        if self.p95_ms is not None:
            checks.append((f"p95≤{self.p95_ms:g}ms", result.p95_ms, lambda v: v <= self.p95_ms))
        if self.queries is not None:
            checks.append((f"queries={self.queries}", result.queries, lambda v: v == self.queries))
        if self.max_queries is not None:
            checks.append((f"queries≤{self.max_queries}", result.queries, lambda v: v <= self.max_queries))
        if self.min_per_s is not None:
            checks.append((f"≥{_si(self.min_per_s)}/s", result.per_s, lambda v: v >= self.min_per_s))
        if self.max_ratio is not None:
            checks.append((f"ratio≤{self.max_ratio:g}", result.ratio, lambda v: v <= self.max_ratio))
        text = ", ".join(label for label, _, _ in checks)
        # a bound whose figure was not measured counts as missed, never as met
        passed = all(value is not None and ok(value) for _, value, ok in checks)
        return passed, f"{text} ({self.source})" if self.source else text


@dataclass
class Result:
    """One row of the table (and of results.json)."""

    name: str
    measures: str
    samples_ms: list[float] = field(default_factory=list)
    ops: int = 1  # operations per timed call; > 1 adds a throughput figure
    ops_label: str = "ops"
    queries: int | None = None
    baseline: str = ""
    baseline_samples_ms: list[float] = field(default_factory=list)
    baseline_queries: int | None = None
    goal: Goal | None = None
    note: str = ""
    error: str | None = None

    @property
    def p50_ms(self) -> float | None:
        return percentile(self.samples_ms, 50)

    @property
    def p95_ms(self) -> float | None:
        return percentile(self.samples_ms, 95)

    @property
    def per_s(self) -> float | None:
        p50 = self.p50_ms
        return self.ops / (p50 / 1000) if p50 else None

    @property
    def baseline_p50_ms(self) -> float | None:
        return percentile(self.baseline_samples_ms, 50)

    @property
    def ratio(self) -> float | None:
        """How many times the baseline's time this takes (p50 over p50); > 1 is slower."""
        mine, theirs = self.p50_ms, self.baseline_p50_ms
        return mine / theirs if mine is not None and theirs else None

    @property
    def verdict(self) -> tuple[bool | None, str]:
        if self.goal is None:
            return None, ""
        if self.error:
            return False, self.goal.check(self)[1]
        return self.goal.check(self)

    def as_json(self) -> dict[str, Any]:
        passed, goal_text = self.verdict
        return {
            "name": self.name,
            "measures": self.measures,
            "p50_ms": self.p50_ms,
            "p95_ms": self.p95_ms,
            "ops": self.ops,
            "ops_label": self.ops_label,
            "per_s": self.per_s,
            "queries": self.queries,
            "baseline": self.baseline or None,
            "baseline_p50_ms": self.baseline_p50_ms,
            "baseline_p95_ms": percentile(self.baseline_samples_ms, 95),
            "baseline_queries": self.baseline_queries,
            "ratio": self.ratio,
            "goal": goal_text or None,
            "passed": passed,
            "note": self.note or None,
            "error": self.error,
            "samples_ms": [round(v, 4) for v in self.samples_ms],
            "baseline_samples_ms": [round(v, 4) for v in self.baseline_samples_ms],
        }


@dataclass
class Benchmark:
    """A callable the harness times.

    When ``setup`` is given it runs once (untimed, only if the benchmark is selected) and its
    return value is passed as the only argument to ``run``, ``baseline``, ``before_each`` and
    ``teardown``; without it they take no argument. ``before_each`` runs untimed before every
    call of ``run`` and of ``baseline`` (e.g. invalidate a cache to time a cold call).
    """

    name: str
    measures: str
    run: Callable[..., Any]
    baseline: Callable[..., Any] | None = None
    baseline_label: str = ""  # what the baseline is: "raw SQL", "weekend-only loop", ...
    setup: Callable[[], Any] | None = None
    teardown: Callable[[Any], Any] | None = None
    before_each: Callable[..., Any] | None = None
    goal: Goal | None = None
    ops: int = 1
    ops_label: str = "ops"
    warmup: int = 3
    repeat: int | None = None  # None: the harness default (--repeat overrides either)
    count_queries: bool = True

    @classmethod
    def from_function(cls, fn: Callable[[], Any]) -> Benchmark:
        name = fn.__name__.removeprefix("bench_")
        doc = (fn.__doc__ or "").strip().splitlines()
        return cls(name=name, measures=doc[0] if doc else name, run=fn)

    def measure(self, options: Options) -> list[Result]:
        result = Result(
            name=self.name,
            measures=self.measures,
            ops=self.ops,
            ops_label=self.ops_label,
            baseline=self.baseline_label if self.baseline else "",
            goal=self.goal,
        )
        state = self.setup() if self.setup else None
        args = (state,) if self.setup else ()
        try:
            calls = [(self.run, result.samples_ms)]
            if self.baseline:
                calls.append((self.baseline, result.baseline_samples_ms))
            for _ in range(self.warmup):
                for fn, _samples in calls:
                    self._call(fn, args)
            if self.count_queries:
                result.queries = self._count_queries(self.run, args)
                if self.baseline:
                    result.baseline_queries = self._count_queries(self.baseline, args)
            gc.collect()
            for i in range(options.repeat_for(self.repeat)):
                # alternate the order so neither side always runs on a warmer cache
                for fn, samples in calls if i % 2 == 0 else reversed(calls):
                    samples.append(self._call(fn, args))
        finally:
            if self.teardown:
                self.teardown(*args)
        return [result]

    def _call(self, fn: Callable[..., Any], args: tuple) -> float:
        if self.before_each:
            self.before_each(*args)
        started = time.perf_counter_ns()
        fn(*args)
        return (time.perf_counter_ns() - started) / 1e6

    def _count_queries(self, fn: Callable[..., Any], args: tuple) -> int:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        if self.before_each:
            self.before_each(*args)
        with CaptureQueriesContext(connection) as captured:
            fn(*args)
        return len(captured.captured_queries)


@dataclass
class Probe:
    """Something that times itself and returns its own rows (e.g. seeding a fresh database)."""

    name: str
    measure_fn: Callable[[Options], Iterable[Result]]

    def measure(self, options: Options) -> list[Result]:
        return list(self.measure_fn(options))


def queryset_benchmark(
    name: str,
    measures: str,
    queryset: Callable[[], Any],
    *,
    goal: Goal | None = None,
    **kwargs: Any,
) -> Benchmark:
    """The ORM evaluating a queryset against the very SQL it compiles to, fetched with
    ``connection.cursor()``: the ratio is the ORM's own cost (model instances, lookups).

    ``queryset`` builds the (unevaluated) queryset; it runs in setup, so it may query.
    """

    def setup():
        from django.db import connection

        qs = queryset()
        sql, params = qs.query.sql_with_params()

        def raw():
            with connection.cursor() as cursor:
                cursor.execute(sql, params)
                return cursor.fetchall()

        return qs, raw

    return Benchmark(
        name=name,
        measures=measures,
        setup=setup,
        run=lambda state: list(state[0].all()),  # .all(): a fresh clone, no result cache
        baseline=lambda state: state[1](),
        baseline_label="same SQL, raw cursor",
        goal=goal,
        **kwargs,
    )


def as_entry(entry: Any) -> Benchmark | Probe:
    if isinstance(entry, Benchmark | Probe):
        return entry
    if callable(entry):
        return Benchmark.from_function(entry)
    raise TypeError(f"BENCHMARKS entries are Benchmark, Probe or functions, not {entry!r}")


# --- numbers and the table ---------------------------------------------------------------------


def percentile(values: list[float], q: float) -> float | None:
    """Linear interpolation between closest ranks (numpy's default); None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    k = (len(ordered) - 1) * q / 100
    lo, hi = math.floor(k), math.ceil(k)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def _si(value: float) -> str:
    for factor, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if value >= factor:
            return f"{value / factor:.3g}{suffix}"
    return f"{value:.3g}"


def _ms(value: float | None) -> str:
    if value is None:
        return ""
    if value >= 1000:
        return f"{value:,.0f}"
    if value >= 10:
        return f"{value:.1f}"
    return f"{value:.3f}"


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int, right: bool) -> str:
    gap = " " * (width - _width(text))
    return gap + text if right else text + gap


COLUMNS = [
    # header, right-aligned
    ("benchmark", False),
    ("measures", False),
    ("p50 ms", True),
    ("p95 ms", True),
    ("throughput", True),
    ("queries", True),
    ("baseline", False),
    ("base p50", True),
    ("ratio", True),
    ("goal", False),
    ("", False),
]


def table_rows(results: list[Result]) -> list[list[str]]:
    rows = []
    for r in results:
        passed, goal_text = r.verdict
        if r.error:
            rows.append([r.name, r.measures, "", "", "", "", "", "", "", goal_text, "CRASH"])
            continue
        queries = "" if r.queries is None else str(r.queries)
        if r.baseline_queries is not None and r.baseline:
            queries += f" ({r.baseline_queries})"
        rows.append(
            [
                r.name,
                r.measures,
                _ms(r.p50_ms),
                _ms(r.p95_ms),
                f"{_si(r.per_s)} {r.ops_label}/s" if r.ops > 1 and r.per_s else "",
                queries,
                r.baseline,
                _ms(r.baseline_p50_ms),
                f"×{r.ratio:.2f}" if r.ratio is not None else "",
                goal_text,
                "" if passed is None else ("PASS" if passed else "FAIL"),
            ]
        )
    return rows


def format_table(results: list[Result]) -> str:
    rows = table_rows(results)
    headers = [h for h, _ in COLUMNS]
    widths = [max([_width(h)] + [_width(row[i]) for row in rows]) for i, h in enumerate(headers)]
    keep = [i for i, w in enumerate(widths) if w]  # drop columns that are empty throughout

    def line(cells):
        return "  ".join(_pad(cells[i], widths[i], COLUMNS[i][1]) for i in keep).rstrip()

    rule = "  ".join("-" * widths[i] for i in keep)
    return "\n".join([line(headers), rule, *(line(row) for row in rows)])
