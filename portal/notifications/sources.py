"""The registry of what owes alerts: each source knows its subjects' time limits.

Sources live in the apps that own the subjects, in ``<app>/alerts.py`` (found at start-up by
``portal.core.plugins``), and join with the ``register`` decorator::

    @register
    class ListingReportSource(AlertSource):
        name = "listing_report"
        ...

A source contributes three things, all set-based:

- ``owed_sql(today, thresholds, codes)``: one SELECT finding every subject that owes a step
  today, over a partial index of its table (the sweep turns it into the INSERT of the ledger
  rows not there yet); working-day arithmetic arrives as a few precomputed date thresholds,
  never as a call per row;
- ``recipients_sql()``: a SELECT of (alert id, user id) pairs for the alerts being fanned out
  (the CTE ``claimed``), used inside the fan-out statement;
- ``render(alerts)``: titles and texts for a batch of alerts, one query per batch.

The helpers below (``audience_values``, ``ESCALATION_SQL``, ``detail_link``)
are shared by every source's recipients query and texts, so the escalation audience is written
once for the whole portal.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from portal.accounts.scoping import PROVINCE_CODE
from portal.notifications import conf
from portal.notifications.calendar import StepThresholds, fire_date

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Rendered:
    title: str
    body: str
    sms: str
    link: str = ""
    level: str = "info"  # InboxMessage.Level


_LINKS: dict[str, str] = {}
_PK_MARK = 987654321


def detail_link(name: str, pk) -> str:
    """The detail page of a subject; the route is resolved once per process (a delivery
    batch renders hundreds of these)."""
    pattern = _LINKS.get(name)
    if pattern is None:
        try:
            pattern = reverse(name, kwargs={"pk": _PK_MARK}).replace(str(_PK_MARK), "{pk}")
        except NoReverseMatch:
            pattern = ""
        _LINKS[name] = pattern
    return pattern.format(pk=pk) if pattern else ""


# The escalation steps' audience, shared by every source's recipients query (``rg`` is the
# subject's region, ``aud`` the step's audience flags): the city's staff, the province's staff,
# and the staff of the region above.
ESCALATION_SQL = """
                 UNION ALL
                    SELECT u.id FROM accounts_user u
                     WHERE aud.city AND u.is_active AND u.region_id = split_part(rg.path, '/', 2)
                       AND u.roles && %s::varchar[]
                 UNION ALL
                    SELECT u.id FROM accounts_user u
                     WHERE aud.province AND u.is_active AND u.region_id = %s AND u.roles && %s::varchar[]
                 UNION ALL
                    SELECT u.id FROM accounts_user u
                     WHERE aud.level_above AND u.is_active AND u.region_id = coalesce(rg.parent_id, rg.code)
                       AND u.roles && %s::varchar[]"""
ESCALATION_PARAMS = [["city_staff"], PROVINCE_CODE, ["province_staff"], ["city_staff", "province_staff"]]


def audience_values(steps) -> tuple[str, list]:
    """A VALUES list (step, chain, city, province, level_above) and its parameters."""
    rows, params = [], []
    for step in steps:
        rows.append("(%s, %s, %s, %s, %s)")
        params += [step.step, *(a in step.audience for a in ("chain", "city", "province", "level_above"))]
    return ", ".join(rows), params


class AlertSource:
    name: str = ""
    steps_setting: str = ""
    # Steps are offsets in working days from each subject's time limit (``conf.Step.offset``),
    # turned into date thresholds once per sweep; False for a source whose subjects carry their
    # own step dates (the complaint lights).
    offset_steps: bool = True
    # Time limits in clock minutes, not working days (incident forwarding): the source answers
    # ``owed_sql_at(now=...)`` instead of ``owed_sql`` and is swept round the clock every
    # minute by ``alerts_sweep(minutes=True)`` (schedule.py), as well as by the day sweep.
    minute_precision: bool = False
    # A reminder owes alerts for what has not happened (every organiser without its quarter's
    # activity), not for records: any world with organisers owes them. The ledger's own tests,
    # which count the alerts of the records they make, switch reminders off.
    reminder: bool = False

    def available(self) -> bool:
        return True

    def steps(self):
        return conf.steps(self.steps_setting)

    def owed_sql(self, *, today: dt.date, thresholds: dict[str, dt.date], codes) -> tuple[str, list] | None:
        """A SELECT of every alert this source owes today, with the columns (subject_id, step_id,
        version, due_on); ``thresholds`` maps its steps to dates, ``codes`` its (kind, step)
        pairs (``alert_keys``) to the ledger's step codes. The sweep inserts the rows not yet in
        the ledger. None: nothing to owe."""
        raise NotImplementedError

    def owed_sql_at(self, *, now: dt.datetime, codes) -> tuple[str, list] | None:
        """For ``minute_precision`` sources: a SELECT of every alert owed at ``now``, with the
        columns (subject_id, step_id, version, due_on, due_at). Cheap when nothing is due: the
        minute sweep runs it 1,440 times a day (a partial index on the open limits)."""
        raise NotImplementedError

    def alert_keys(self) -> list[tuple[str, str]]:
        """The (kind, step) pairs ``owed_sql`` can yield: each gets its code in the ledger's keys."""
        return [(step.kind, step.step) for step in self.steps()]

    def recipients_sql(self) -> tuple[str, list]:
        raise NotImplementedError

    def render(self, alerts, *, today: dt.date) -> dict[int, Rendered | None]:
        """Texts per alert id; None when the subject is gone or no longer owes the alert."""
        raise NotImplementedError

    def check_calendar(self, cursor, *, entered_years: set[int]) -> list[int]:
        """Years of this source's open time limits that have no calendar entered."""
        return []


def day_after_start(day: dt.date) -> dt.datetime:
    """The local midnight that ends ``day``, as an aware datetime."""
    return timezone.make_aware(dt.datetime.combine(day + dt.timedelta(days=1), dt.time()))


# --- the registry -----------------------------------------------------------------------------

_REGISTERED: dict[str, type[AlertSource]] = {}


def register(cls: type[AlertSource]) -> type[AlertSource]:
    """Class decorator: add a source to the registry (its ``name`` is its key in the ledger)."""
    if not cls.name:
        raise ValueError(f"alert source {cls.__qualname__} has no name")
    known = _REGISTERED.get(cls.name)
    if known is not None and known.__qualname__ != cls.__qualname__:
        raise ValueError(f"two alert sources are named {cls.name!r}: {known.__qualname__} and {cls.__qualname__}")
    _REGISTERED[cls.name] = cls
    return cls


def all_sources() -> list[AlertSource]:
    return [cls() for cls in _REGISTERED.values()]


def active_sources() -> list[AlertSource]:
    return [source for source in all_sources() if source.available()]


def source_named(name: str) -> AlertSource | None:
    cls = _REGISTERED.get(name)
    return cls() if cls is not None else None


def thresholds_for(sources, today: dt.date) -> StepThresholds:
    """Every step's threshold date for ``today``, from the calendar (a few dozen lookups)."""
    result = StepThresholds(today=today)
    for source in sources:
        if not source.offset_steps:
            continue
        for step in source.steps():
            result.add(source.name, step.step, step.offset)
    return result


__all__ = [
    "ESCALATION_PARAMS",
    "ESCALATION_SQL",
    "AlertSource",
    "Rendered",
    "active_sources",
    "all_sources",
    "audience_values",
    "day_after_start",
    "detail_link",
    "fire_date",
    "register",
    "source_named",
    "thresholds_for",
]
