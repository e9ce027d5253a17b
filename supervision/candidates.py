"""Listing candidates proposed from the data (§9), each with the numbers behind it.

Four rules, each one GROUP BY over the reader's scope (``visible_to``), never a loop per row:

- ``hf`` high-frequency complaint items: complaints against the same unit in the same
  category, at least N received in the rolling window (N and the window are settings);
- ``pb`` problems raised by negative public opinion (舆情, 媒体曝光) or of the highest
  severity, still open, by responsible unit;
- ``od`` rectifications overdue past the province escalation step (the alert ledger's
  ``province`` step of ``RECTIFICATION_STEPS``), by responsible unit;
- ``esc`` repeated 提级 (escalated) complaints against one unit in the window;
- ``mw`` strong monitoring warnings (监测预警, ``supervision/warnings.py``) of a unit, still
  open or acknowledged: the key names the warning, its records are the warning's window.

A candidate's key names its group (``hf:<unit>:<category>``, ``pb:<unit>``, ...). Its count is
the length of the list it links to (``candidate_records``: the same filter, row by row). A
candidate already listed (an open item carrying its key) is not proposed again; a dismissed one
(``CandidateDismissal``) stays hidden from the dismissing region until its count exceeds the
count at dismissal.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Count, Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

from cases.models import Category, Problem
from complaints.models import Complaint
from portal.accounts.capabilities import Cap
from portal.notifications import conf as alert_conf
from portal.regions.models import Unit
from portal.workdays.calendar import add_working_days
from supervision.models import CandidateDismissal, SupervisionItem

OPINION_SOURCES = (Problem.Source.PUBLIC_OPINION, Problem.Source.MEDIA)
SHOWN_PER_RULE = 50

RULE_LABELS = {
    "hf": _("高频投诉事项"),
    "pb": _("负面舆情或严重问题"),
    "od": _("整改逾期超过省级督办节点"),
    "esc": _("多次提级办理的投诉"),
    "mw": _("监测强预警"),
}


def _setting(name: str, default: int) -> int:
    return int(getattr(settings, f"SUPERVISION_CANDIDATE_{name}", default))


@dataclass(frozen=True)
class CandidateSettings:
    complaints: int  # N: complaints of one unit and category in the window
    window_days: int  # the rolling window, calendar days up to today
    escalated: int  # 提级 complaints against one unit in the window

    @classmethod
    def defaults(cls) -> CandidateSettings:
        return cls(_setting("COMPLAINTS", 5), _setting("WINDOW_DAYS", 90), _setting("ESCALATED", 3))

    @classmethod
    def from_params(cls, params) -> CandidateSettings:
        base = cls.defaults()

        def num(name, default, low, high):
            try:
                return min(high, max(low, int(params.get(name, default))))
            except (TypeError, ValueError):
                return default

        return cls(
            num("n", base.complaints, 2, 1000),
            num("window", base.window_days, 7, 730),
            num("esc", base.escalated, 2, 1000),
        )

    def params(self) -> dict:
        return {"n": self.complaints, "window": self.window_days, "esc": self.escalated}

    def since(self) -> dt.datetime:
        start = timezone.localdate() - dt.timedelta(days=self.window_days - 1)
        return dt.datetime.combine(start, dt.time.min, timezone.get_current_timezone())


def province_escalation_threshold(today: dt.date | None = None) -> dt.date:
    """Deadlines on or before this date have passed the province escalation step."""
    today = today or timezone.localdate()
    steps = {s.step: s for s in alert_conf.steps("RECTIFICATION_STEPS")}
    offset = steps["province"].offset if "province" in steps else 7
    day = add_working_days(today, -offset)
    return dt.date.fromordinal(day.toordinal())


@dataclass
class Candidate:
    rule: str
    key: str
    count: int
    unit_name: str
    region_name: str
    user: object = field(repr=False, default=None)
    settings: CandidateSettings | None = field(repr=False, default=None)
    category_name: str = ""
    dismissal: CandidateDismissal | None = None
    # the unit's problem density (``supervision.figures.units_with_most_problems``, the one
    # figure the activities' proposals use too): open, complaints, overdue, score
    density: dict | None = None

    @property
    def rule_label(self):
        return RULE_LABELS[self.rule]

    @property
    def title(self) -> str:
        label = str(RULE_LABELS[self.rule])
        parts = [self.unit_name, self.category_name, label]
        return "：".join(p for p in parts if p)[:200]

    def query_string(self) -> str:
        return urlencode({"key": self.key, **self.settings.params()})

    def records_url(self) -> str:
        return reverse("supervision:candidate-records") + "?" + self.query_string()

    def list_url(self) -> str:
        return reverse("supervision:new") + "?" + urlencode({"candidate": self.key, **self.settings.params()})

    def problems(self) -> list[Problem]:
        qs = _problem_records(self.user, self.rule, self.key)
        return list(qs.select_related("region", "unit", "category")) if qs is not None else []

    def complaints(self) -> list[Complaint]:
        qs = _complaint_records(self.user, self.rule, self.key, self.settings)
        return list(qs.select_related("handling_region", "category")) if qs is not None else []


def _parse(key: str) -> tuple[str, list[int]] | None:
    rule, _sep, rest = (key or "").partition(":")
    if rule not in RULE_LABELS:
        return None
    try:
        ids = [int(x) for x in rest.split(":")]
    except ValueError:
        return None
    if len(ids) != (2 if rule == "hf" else 1):
        return None
    return rule, ids


def _complaints_base(user, cfg: CandidateSettings) -> QuerySet[Complaint]:
    return Complaint.objects.visible_to(user, Cap.VIEW_RECORDS).filter(
        received_at__gte=cfg.since(), unit__isnull=False, duplicate_of__isnull=True
    )


def _problems_base(user, rule: str) -> QuerySet[Problem]:
    qs = Problem.objects.visible_to(user, Cap.VIEW_RECORDS).filter(status__in=Problem.OPEN_STATES)
    if rule == "pb":
        return qs.filter(Q(source__in=OPINION_SOURCES) | Q(severity=Problem.Severity.GRAVE))
    return qs.filter(deadline__lte=province_escalation_threshold())


def _warning(user, key: str):
    from supervision.warning_models import MonitoringWarning

    parsed = _parse(key)
    if parsed is None or parsed[0] != "mw":
        return None
    return (
        MonitoringWarning.objects.visible_to(user, Cap.VIEW_RECORDS)
        .select_related("region")
        .filter(pk=parsed[1][0], strong=True, unit__isnull=False)
        .first()
    )


def _warning_records(user, key: str, source: str):
    from supervision.warning_selectors import warning_records

    warning = _warning(user, key)
    if warning is None or warning.source != source:
        return None
    return warning_records(user, warning)


def _complaint_records(user, rule, key, cfg) -> QuerySet[Complaint] | None:
    if rule == "mw":
        return _warning_records(user, key, "complaint")
    parsed = _parse(key)
    if parsed is None or parsed[0] not in ("hf", "esc"):
        return None
    ids = parsed[1]
    qs = _complaints_base(user, cfg).filter(unit_id=ids[0])
    qs = qs.filter(category_id=ids[1]) if rule == "hf" else qs.filter(escalated=True)
    return qs.order_by("-received_at", "-id")


def _problem_records(user, rule, key) -> QuerySet[Problem] | None:
    if rule == "mw":
        return _warning_records(user, key, "problem")
    parsed = _parse(key)
    if parsed is None or parsed[0] not in ("pb", "od"):
        return None
    return _problems_base(user, rule).filter(unit_id=parsed[1][0]).order_by("deadline", "id")


def _groups(user, cfg: CandidateSettings) -> list[tuple[str, str, int, int, int | None]]:
    """(rule, key, count, unit id, category id) of every group over its threshold: three
    grouped queries (one over the complaints, one per problem rule)."""
    out = []
    # One scan of the window's complaints for both complaint rules: counts per (unit, category,
    # escalated), at most a few thousand rows, summed here into the two groupings.
    per_category: Counter = Counter()
    escalated: Counter = Counter()
    for unit_id, category_id, is_escalated, n in (
        _complaints_base(user, cfg)
        .values_list("unit_id", "category_id", "escalated")
        .annotate(n=Count("id"))
        .order_by()
    ):
        if category_id is not None:
            per_category[unit_id, category_id] += n
        if is_escalated:
            escalated[unit_id] += n
    hf = sorted(
        ((n, unit_id, category_id) for (unit_id, category_id), n in per_category.items() if n >= cfg.complaints),
        key=lambda row: (-row[0], row[1], row[2]),
    )
    out += [("hf", f"hf:{unit_id}:{category_id}", n, unit_id, category_id) for n, unit_id, category_id in hf]
    esc = sorted(((n, unit_id) for unit_id, n in escalated.items() if n >= cfg.escalated), key=lambda r: (-r[0], r[1]))
    out += [("esc", f"esc:{unit_id}", n, unit_id, None) for n, unit_id in esc]
    for rule in ("pb", "od"):
        rows = _problems_base(user, rule).values("unit_id").annotate(n=Count("id")).order_by("-n", "unit_id")
        out += [(rule, f"{rule}:{r['unit_id']}", r["n"], r["unit_id"], None) for r in rows]
    out += _warning_groups(user)
    return out


def _warning_groups(user) -> list[tuple[str, str, int, int, int | None]]:
    """Strong monitoring warnings of a unit not yet handled (open or acknowledged): one query."""
    from supervision.warning_models import MonitoringWarning

    rows = (
        MonitoringWarning.objects.visible_to(user, Cap.VIEW_RECORDS)
        .filter(strong=True, unit__isnull=False, status__in=["open", "acknowledged"])
        .order_by("-observed", "-id")
        .values_list("pk", "observed", "unit_id", "category_id")
    )
    return [("mw", f"mw:{pk}", observed, unit_id, category_id) for pk, observed, unit_id, category_id in rows]


def candidates_for(user, cfg: CandidateSettings | None = None) -> dict[str, dict]:
    """Per rule: the candidates shown (most records first, at most ``SHOWN_PER_RULE``), how
    many groups there are in all, and the dismissed ones whose count has not grown."""
    cfg = cfg or CandidateSettings.defaults()
    groups = _groups(user, cfg)
    keys = {g[1] for g in groups}
    listed = set(
        SupervisionItem.objects.visible_to(user, None)
        .open()
        .filter(candidate_key__in=keys)
        .values_list("candidate_key", flat=True)
    )
    dismissed = {
        d.key: d for d in CandidateDismissal.objects.filter(region_id=user.region_id, key__in=keys).select_related()
    }
    result = {rule: {"label": label, "shown": [], "total": 0, "dismissed": []} for rule, label in RULE_LABELS.items()}
    picked = []
    for rule, key, count, unit_id, category_id in groups:
        if key in listed:
            continue
        entry = result[rule]
        dismissal = dismissed.get(key)
        hidden = dismissal is not None and count <= dismissal.count_at_dismissal
        entry["total"] += 0 if hidden else 1
        target = entry["dismissed"] if hidden else entry["shown"]
        if len(target) < SHOWN_PER_RULE:
            picked.append((target, rule, key, count, unit_id, category_id, dismissal))
    units = {
        u.pk: u
        for u in Unit.objects.filter(pk__in={p[4] for p in picked})
        .select_related("region")
        .only("name", "region__name")
    }
    categories = dict(Category.objects.filter(pk__in={p[5] for p in picked if p[5]}).values_list("pk", "name"))
    density = _density(user, {p[4] for p in picked})
    for target, rule, key, count, unit_id, category_id, dismissal in picked:
        unit = units.get(unit_id)
        target.append(
            Candidate(
                rule=rule,
                key=key,
                count=count,
                unit_name=unit.name if unit else "",
                region_name=unit.region.name if unit else "",
                category_name=categories.get(category_id, ""),
                user=user,
                settings=cfg,
                dismissal=dismissal,
                density=density.get(unit_id),
            )
        )
    return result


def _density(user, unit_ids: set[int]) -> dict[int, dict]:
    """The shown units' problem density, by unit id (a fixed number of grouped queries)."""
    from supervision.figures import units_with_most_problems

    if not unit_ids:
        return {}
    return {row["unit_id"]: row for row in units_with_most_problems(user, limit=None, units=list(unit_ids))}


def candidate_for_key(user, key: str, cfg: CandidateSettings | None = None) -> Candidate | None:
    """One candidate recomputed for the reader (None when the key names nothing they may see)."""
    parsed = _parse(key)
    if parsed is None:
        return None
    cfg = cfg or CandidateSettings.defaults()
    rule, ids = parsed
    if rule == "mw":
        warning = _warning(user, key)
        if warning is None:
            return None
        ids = [warning.unit_id, warning.category_id]
        count = warning.observed
    elif rule in ("hf", "esc"):
        count = _complaint_records(user, rule, key, cfg).count()
    else:
        count = _problem_records(user, rule, key).count()
    unit = Unit.objects.visible_to(user, None).select_related("region").filter(pk=ids[0]).first()
    if unit is None:
        return None
    category = Category.objects.filter(pk=ids[1]).first() if rule in ("hf", "mw") and ids[1] else None
    return Candidate(
        rule=rule,
        key=key,
        count=count,
        unit_name=unit.name,
        region_name=unit.region.name,
        category_name=category.name if category else "",
        user=user,
        settings=cfg,
    )
