"""The registry of what owes alerts: each source knows its subjects' time limits.

A source contributes three things, all set-based:

- ``owed_sql(today, thresholds, codes)``: one SELECT finding every subject that owes a step
  today, over a partial index of its table (the sweep turns it into the INSERT of the ledger
  rows not there yet); working-day arithmetic arrives as a few precomputed date thresholds,
  never as a call per row;
- ``recipients_sql()``: a SELECT of (alert id, user id) pairs for the alerts being fanned out
  (the CTE ``claimed``), used inside the fan-out statement;
- ``render(alerts)``: titles and texts for a batch of alerts, one query per batch.

Rectification deadlines, pending extension decisions and complaint lights are here; another
time limit (supervision report dates, ...) joins by subclassing ``AlertSource`` and naming the
class in ``NOTIFICATIONS_EXTRA_SOURCES``.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import namedtuple
from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from portal.accounts.scoping import PROVINCE_CODE
from portal.notifications import conf
from portal.notifications.calendar import StepThresholds, fire_date
from portal.workdays.calendar import working_days_between

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


def _link(name: str, pk) -> str:
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
_ESCALATION = """
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
_ESCALATION_PARAMS = [["city_staff"], PROVINCE_CODE, ["province_staff"], ["city_staff", "province_staff"]]


def _audience_values(steps) -> tuple[str, list]:
    """A VALUES list (step, chain, city, province, level_above) and its parameters."""
    rows, params = [], []
    for step in steps:
        rows.append("(%s, %s, %s, %s, %s)")
        params += [step.step, *(a in step.audience for a in ("chain", "city", "province", "level_above"))]
    return ", ".join(rows), params


# Users of a region (code expression) holding one of the roles (array literal parameter).
_ROLE_USERS = (
    "SELECT u.id FROM accounts_user u WHERE u.is_active AND u.region_id = {region} AND u.roles && %s::varchar[]"
)


class AlertSource:
    name: str = ""
    steps_setting: str = ""

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


# --- rectification deadlines ----------------------------------------------------------------

ProblemRow = namedtuple("ProblemRow", "pk code title deadline deadline_version status region_name")


class ProblemDeadlineSource(AlertSource):
    """Open problems against their rectification deadline (and its version)."""

    name = "problem"
    steps_setting = "RECTIFICATION_STEPS"

    @staticmethod
    def _open_states() -> list[str]:
        from cases.models import Problem

        return [str(s) for s in Problem.OPEN_STATES]

    def owed_sql(self, *, today, thresholds, codes):
        steps = self.steps()
        owing = [s for s in conf.get("RECTIFICATION_STATES") if s in self._open_states()]
        if not steps or not owing:
            return None
        cases, params = [], []
        for step in steps:  # latest first: the first threshold a deadline is under wins
            cases.append("WHEN p.deadline <= %s THEN %s")
            params += [thresholds[step.step], codes[step.kind, step.step]]
        earliest = max(thresholds[s.step] for s in steps)
        open_states = self._open_states()
        # The first status test is the partial index's own predicate (problem_open_deadline_idx).
        sql = f"""
            SELECT p.id AS subject_id, (CASE {" ".join(cases)} END)::smallint AS step_id,
                   p.deadline_version AS version, p.deadline AS due_on
              FROM cases_problem p
             WHERE p.status IN ({", ".join(["%s"] * len(open_states))})
               AND p.status IN ({", ".join(["%s"] * len(owing))})
               AND p.deadline <= %s
        """  # noqa: S608 - fixed fragments and placeholders; values are parameters
        return sql, [*params, *open_states, *owing, earliest]

    def recipients_sql(self):
        values, params = _audience_values(self.steps())
        roles_county = ["county_officer"]
        sql = f"""
            SELECT c.id AS alert_id, r.user_id
              FROM claimed c
              JOIN cases_problem p ON p.id = c.subject_id
              JOIN regions_region rg ON rg.code = p.region_id
              JOIN (VALUES {values}) AS aud(step, chain, city, province, level_above) ON aud.step = c.step
             CROSS JOIN LATERAL (
                    SELECT x AS user_id
                      FROM unnest(ARRAY[p.handler_user_id, p.deputy_user_id, p.first_responsible_user_id]) AS x
                     WHERE aud.chain AND x IS NOT NULL
                 UNION ALL
                    -- nobody named: the county officers of the unit, else of the region
                    SELECT u.id FROM accounts_user u
                     WHERE aud.chain AND p.handler_user_id IS NULL AND p.deputy_user_id IS NULL
                       AND p.first_responsible_user_id IS NULL AND u.is_active AND u.roles && %s::varchar[]
                       AND (u.unit_id = p.unit_id
                            OR (u.region_id = p.region_id AND NOT EXISTS (
                                 SELECT 1 FROM accounts_user u2 WHERE u2.unit_id = p.unit_id AND u2.is_active
                                    AND u2.roles && %s::varchar[])))
{_ESCALATION}
             ) r
             WHERE c.source = %s
        """  # noqa: S608 - fixed fragments and placeholders; values are parameters
        return sql, [
            *params,
            roles_county,
            roles_county,
            *_ESCALATION_PARAMS,
            self.name,
        ]

    def render(self, alerts, *, today):
        from cases.models import Problem

        # Plain rows, not model instances: a delivery batch renders hundreds of these.
        problems = {
            row.pk: row
            for row in map(
                ProblemRow._make,
                Problem.objects.filter(pk__in={a.subject_id for a in alerts}).values_list(
                    "pk", "code", "title", "deadline", "deadline_version", "status", "region__name"
                ),
            )
        }
        steps = {s.step: s for s in self.steps()}
        owing = set(conf.get("RECTIFICATION_STATES"))
        texts = self._texts()
        spans: dict[tuple, int] = {}  # working days between two dates, once per pair in a batch

        def working_days(a, b) -> int:
            if (a, b) not in spans:
                spans[(a, b)] = max(working_days_between(a, b), 0)
            return spans[(a, b)]

        out = {}
        for alert in alerts:
            problem = problems.get(alert.subject_id)
            if problem is None or problem.status not in owing or problem.deadline_version != alert.version:
                out[alert.pk] = None  # closed, submitted or given a new deadline since the sweep
                continue
            out[alert.pk] = self._text(alert, problem, steps.get(alert.step), today, texts, working_days)
        return out

    @staticmethod
    def _texts() -> dict[str, str]:
        """The message templates in the active language, looked up once per batch."""
        return {
            "reminder_title": _("整改提醒：%(what)s 还有 %(n)s 个工作日到期"),
            "reminder_body": _(
                "问题 %(what)s 的整改期限为 %(deadline)s，还有 %(n)s 个工作日。请按期完成整改并提交佐证材料。"
            ),
            "due_title": _("今日到期：%(what)s"),
            "due_body": _("问题 %(what)s 的整改期限为今天（%(deadline)s），请及时提交整改佐证材料。"),
            "escalation_title": _("逾期督办（%(level)s）：%(region)s %(what)s 已逾期 %(n)s 个工作日"),
            "overdue_title": _("已逾期：%(what)s"),
            "overdue_body": _(
                "问题 %(what)s 的整改期限 %(deadline)s 已过，已逾期 %(n)s 个工作日，请立即整改并说明原因。"
            ),
            "province": _("省级"),
            "city": _("市级"),
            "sms_prefix": _("【河南交通执法监督】"),
        }

    def _text(self, alert, problem, step, today, texts, working_days) -> Rendered:
        what = f"{problem.code}「{problem.title}」"
        deadline = problem.deadline
        link = _link("cases:detail", problem.pk)
        if alert.kind == "reminder":
            left = working_days(today, deadline) if deadline else 0
            title = texts["reminder_title"] % {"what": what, "n": left}
            body = texts["reminder_body"] % {"what": what, "deadline": deadline, "n": left}
            level = "info"
        elif alert.kind == "due":
            title = texts["due_title"] % {"what": what}
            body = texts["due_body"] % {"what": what, "deadline": deadline}
            level = "warning"
        else:
            late = working_days(deadline, today) if deadline else 0
            if alert.kind == "escalation":
                level_name = texts["province"] if step is not None and "province" in step.audience else texts["city"]
                title = texts["escalation_title"] % {
                    "level": level_name,
                    "region": problem.region_name,
                    "what": what,
                    "n": late,
                }
            else:
                title = texts["overdue_title"] % {"what": what}
            body = texts["overdue_body"] % {"what": what, "deadline": deadline, "n": late}
            level = "danger"
        return Rendered(title=title, body=body, sms=texts["sms_prefix"] + title, link=link, level=level)

    def check_calendar(self, cursor, *, entered_years):
        open_states = self._open_states()
        placeholders = ", ".join(["%s"] * len(open_states))
        cursor.execute(
            f"SELECT min(deadline), max(deadline) FROM cases_problem WHERE status IN ({placeholders})",  # noqa: S608 - fixed fragments and placeholders; values are parameters
            open_states,
        )
        low, high = cursor.fetchone()
        if low is None:
            return []
        missing = []
        for year in range(low.year, high.year + 1):
            if year in entered_years:
                continue
            cursor.execute(
                f"SELECT EXISTS (SELECT 1 FROM cases_problem WHERE status IN ({placeholders}) "  # noqa: S608
                "AND deadline BETWEEN %s AND %s)",
                [*open_states, dt.date(year, 1, 1), dt.date(year, 12, 31)],
            )
            if cursor.fetchone()[0]:
                missing.append(year)
        return missing


# --- extension decisions waiting for the level above ---------------------------------------


class ExtensionPendingSource(AlertSource):
    """Extension requests nobody above has decided yet: the level above is told."""

    name = "extension"
    steps_setting = "EXTENSION_STEPS"

    def alert_keys(self):
        return [("extension", step.step) for step in self.steps()]

    def owed_sql(self, *, today, thresholds, codes):
        steps = self.steps()
        if not steps:
            return None
        # A step is reached when the request's local date is on or before its threshold:
        # requested_at < the start of the day after the threshold. The partial unique index
        # of pending requests (extension_one_pending_per_problem) holds just these rows.
        cases, params = [], []
        for step in steps:
            cases.append("WHEN e.requested_at < %s THEN %s")
            params += [_day_after_start(thresholds[step.step]), codes["extension", step.step]]
        earliest = max(_day_after_start(thresholds[s.step]) for s in steps)
        sql = f"""
            SELECT e.id AS subject_id, (CASE {" ".join(cases)} END)::smallint AS step_id,
                   1 AS version, e.current_deadline AS due_on
              FROM cases_extensionrequest e
             WHERE e.decision = 'pending' AND e.requested_at < %s
        """  # noqa: S608 - fixed fragments and placeholders; values are parameters
        return sql, [*params, earliest]

    def recipients_sql(self):
        values, params = _audience_values(self.steps())
        sql = f"""
            SELECT c.id AS alert_id, r.user_id
              FROM claimed c
              JOIN cases_extensionrequest e ON e.id = c.subject_id
              JOIN cases_problem p ON p.id = e.problem_id
              JOIN regions_region rg ON rg.code = p.region_id
              JOIN (VALUES {values}) AS aud(step, chain, city, province, level_above) ON aud.step = c.step
             CROSS JOIN LATERAL (
                    SELECT u.id AS user_id FROM accounts_user u
                     WHERE aud.level_above AND u.is_active AND u.region_id = coalesce(rg.parent_id, rg.code)
                       AND u.roles && %s::varchar[]
                 UNION ALL
                    SELECT x FROM unnest(ARRAY[p.handler_user_id, p.deputy_user_id, p.first_responsible_user_id]) AS x
                     WHERE aud.chain AND x IS NOT NULL
             ) r
             WHERE c.source = %s
        """  # noqa: S608 - fixed fragments and placeholders; values are parameters
        return sql, [*params, ["city_staff", "province_staff"], self.name]

    def render(self, alerts, *, today):
        from cases.models import ExtensionRequest

        requests = {
            e.pk: e
            for e in ExtensionRequest.objects.filter(pk__in={a.subject_id for a in alerts}).select_related(
                "problem__region"
            )
        }
        out = {}
        for alert in alerts:
            extension = requests.get(alert.subject_id)
            if extension is None or extension.decision != ExtensionRequest.Decision.PENDING:
                out[alert.pk] = None
                continue
            problem = extension.problem
            what = f"{problem.code}「{problem.title}」"
            title = _("延期申请待审批：%(region)s %(what)s") % {"region": problem.region.name, "what": what}
            body = _(
                "%(region)s 申请将问题 %(what)s 的整改期限由 %(old)s 延至 %(new)s，理由：%(reason)s。请及时审批。"
            ) % {
                "region": problem.region.name,
                "what": what,
                "old": extension.current_deadline,
                "new": extension.requested_deadline,
                "reason": extension.reason[:200],
            }
            out[alert.pk] = Rendered(
                title=title,
                body=body,
                sms=_("【河南交通执法监督】") + title,
                link=_link("cases:detail", problem.pk),
                level="warning",
            )
        return out


def _day_after_start(day: dt.date) -> dt.datetime:
    """The local midnight that ends ``day``, as an aware datetime."""
    return timezone.make_aware(dt.datetime.combine(day + dt.timedelta(days=1), dt.time()))


# --- complaint time limits (lights) ---------------------------------------------------------

CASEWORK_ROLES = ["county_officer", "city_staff", "province_staff"]


class ComplaintLightSource(AlertSource):
    """Open complaints whose handling time limit shows a light (complaints/selectors.py): yellow
    from the complaint's own ``deadline_warn_from`` (working days before the deadline, per its
    class), red once the ``deadline`` has passed. Set-based over the complaint app's partial
    index of open complaints by yellow day (``complaint_open_warn_idx``); the deadline version
    makes an extended or rerouted complaint owe its lights again.

    Recipients: the handling unit's caseworkers (else the handling region's), and on red the
    level above the handling region.
    """

    name = "complaint"
    steps_setting = "COMPLAINT_STEPS"

    def alert_keys(self):
        return [("light", step.step) for step in self.steps()]

    @staticmethod
    def _model():
        try:
            from complaints.models import Complaint
        except ImportError:
            return None
        return Complaint

    def available(self) -> bool:
        model = self._model()
        if model is None:
            return False
        names = {f.name for f in model._meta.get_fields()}
        return {"deadline", "deadline_warn_from", "deadline_version", "handling_unit", "handling_region"} <= names

    def owed_sql(self, *, today, thresholds, codes):
        model = self._model()
        steps = {s.step for s in self.steps()}
        if not steps & {"yellow", "red"}:
            return None
        open_states = [str(s) for s in model.OPEN_STATES]
        placeholders = ", ".join(["%s"] * len(open_states))
        red_only = "" if "yellow" in steps else "AND c.deadline < %s"
        if "red" in steps:  # red past the deadline, else yellow (only red ones when yellow is off)
            step = "CASE WHEN c.deadline < %s THEN %s ELSE %s END"
            step_params = [today, codes["light", "red"], codes["light", "yellow" if "yellow" in steps else "red"]]
        else:
            step, step_params = "%s", [codes["light", "yellow"]]
        sql = f"""
            SELECT c.id AS subject_id, ({step})::smallint AS step_id,
                   c.deadline_version AS version, c.deadline AS due_on
              FROM complaints_complaint c
             WHERE c.status IN ({placeholders}) AND c.deadline_warn_from <= %s {red_only}
        """  # noqa: S608 - fixed fragments and placeholders; values are parameters
        return sql, [*step_params, *open_states, today, *([] if "yellow" in steps else [today])]

    def recipients_sql(self):
        values, params = _audience_values(self.steps())
        sql = f"""
            SELECT c.id AS alert_id, r.user_id
              FROM claimed c
              JOIN complaints_complaint co ON co.id = c.subject_id
              JOIN regions_region rg ON rg.code = co.handling_region_id
              JOIN (VALUES {values}) AS aud(step, chain, city, province, level_above) ON aud.step = c.step
             CROSS JOIN LATERAL (
                    SELECT u.id AS user_id FROM accounts_user u
                     WHERE aud.chain AND u.is_active AND u.unit_id = co.handling_unit_id
                       AND u.roles && %s::varchar[]
                 UNION ALL
                    -- nobody in the handling unit: the handling region's caseworkers
                    SELECT u.id FROM accounts_user u
                     WHERE aud.chain AND u.is_active AND u.region_id = co.handling_region_id
                       AND u.roles && %s::varchar[]
                       AND NOT EXISTS (SELECT 1 FROM accounts_user u2 WHERE u2.unit_id = co.handling_unit_id
                                          AND u2.is_active AND u2.roles && %s::varchar[])
{_ESCALATION}
             ) r
             WHERE c.source = %s
        """  # noqa: S608 - fixed fragments and placeholders; values are parameters
        return sql, [
            *params,
            CASEWORK_ROLES,
            CASEWORK_ROLES,
            CASEWORK_ROLES,
            *_ESCALATION_PARAMS,
            self.name,
        ]

    def render(self, alerts, *, today):
        model = self._model()
        complaints = {
            row[0]: row
            for row in model.objects.filter(pk__in={a.subject_id for a in alerts}).values_list(
                "pk", "tracking_number", "subject", "deadline", "deadline_version", "status"
            )
        }
        open_states = {str(s) for s in model.OPEN_STATES}
        texts = {
            "red": _("投诉办理红灯：%(code)s「%(subject)s」已超过办理时限 %(deadline)s"),
            "yellow": _("投诉办理黄灯：%(code)s「%(subject)s」将于 %(deadline)s 到期"),
            "body": _("投诉 %(code)s「%(subject)s」的办理时限为 %(deadline)s，请及时办理、答复并回访。"),
            "sms_prefix": _("【河南交通执法监督】"),
        }
        out = {}
        for alert in alerts:
            row = complaints.get(alert.subject_id)
            if row is None or row[5] not in open_states or row[4] != alert.version:
                out[alert.pk] = None  # closed or given a new time limit since the sweep
                continue
            pk, code, subject, deadline = row[:4]
            values = {"code": code, "subject": subject[:60], "deadline": deadline}
            title = texts["red" if alert.step == "red" else "yellow"] % values
            out[alert.pk] = Rendered(
                title=title,
                body=texts["body"] % values,
                sms=texts["sms_prefix"] + title,
                link=_link("complaints:detail", pk),
                level="danger" if alert.step == "red" else "warning",
            )
        return out


# --- the registry -----------------------------------------------------------------------------

BUILTIN_SOURCES = (ProblemDeadlineSource, ExtensionPendingSource, ComplaintLightSource)


def all_sources() -> list[AlertSource]:
    classes = list(BUILTIN_SOURCES) + [import_string(path) for path in conf.get("EXTRA_SOURCES")]
    return [cls() for cls in classes]


def active_sources() -> list[AlertSource]:
    return [source for source in all_sources() if source.available()]


def source_named(name: str) -> AlertSource | None:
    return next((source for source in all_sources() if source.name == name), None)


def thresholds_for(sources, today: dt.date) -> StepThresholds:
    """Every step's threshold date for ``today``, from the calendar (a few dozen lookups)."""
    result = StepThresholds(today=today)
    for source in sources:
        for step in source.steps():
            if source.name == "complaint":
                continue  # lights come from each complaint's own dates, not from offsets
            result.add(source.name, step.step, step.offset)
    return result


__all__ = [
    "AlertSource",
    "ComplaintLightSource",
    "ExtensionPendingSource",
    "ProblemDeadlineSource",
    "Rendered",
    "active_sources",
    "all_sources",
    "fire_date",
    "source_named",
    "thresholds_for",
]
