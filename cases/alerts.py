"""The problem list's time limits in the alert ledger (``portal.notifications.sources``):
rectification deadlines of open problems, and extension requests waiting for the level above."""

from __future__ import annotations

import datetime as dt
from collections import namedtuple

from django.utils.translation import gettext as _

from cases.models import ExtensionRequest, Problem
from portal.notifications import conf
from portal.notifications.sources import (
    ESCALATION_PARAMS,
    ESCALATION_SQL,
    AlertSource,
    Rendered,
    audience_values,
    day_after_start,
    detail_link,
    register,
)
from portal.workdays.calendar import working_days_between

conf.register_defaults(
    {
        # Rectification (整改) deadlines of open problems (policy §6, §10).
        "RECTIFICATION_STEPS": [
            {"step": "before3", "offset": -3, "kind": "reminder", "audience": ["chain"]},
            {"step": "before1", "offset": -1, "kind": "reminder", "audience": ["chain"]},
            {"step": "due", "offset": 0, "kind": "due", "audience": ["chain"]},
            {"step": "overdue", "offset": 1, "kind": "overdue", "audience": ["chain"]},
            {"step": "city", "offset": 3, "kind": "escalation", "audience": ["chain", "city"]},
            {"step": "province", "offset": 7, "kind": "escalation", "audience": ["chain", "city", "province"]},
        ],
        # Problems in these states owe rectification alerts ("submitted" waits for the level
        # above to verify: the county has done its part).
        "RECTIFICATION_STATES": ["registered", "assigned", "rectifying"],
        # Extension requests waiting for the level above: on the day they are made, and again
        # when still undecided after two working days.
        "EXTENSION_STEPS": [
            {"step": "requested", "offset": 0, "kind": "extension", "audience": ["level_above"]},
            {"step": "waiting", "offset": 2, "kind": "extension", "audience": ["level_above"]},
        ],
    },
    kinds=["extension"],
)

ProblemRow = namedtuple("ProblemRow", "pk code title deadline deadline_version status region_name")


@register
class ProblemDeadlineSource(AlertSource):
    """Open problems against their rectification deadline (and its version)."""

    name = "problem"
    steps_setting = "RECTIFICATION_STEPS"

    @staticmethod
    def _open_states() -> list[str]:
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
        values, params = audience_values(self.steps())
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
{ESCALATION_SQL}
             ) r
             WHERE c.source = %s
        """  # noqa: S608 - fixed fragments and placeholders; values are parameters
        return sql, [
            *params,
            roles_county,
            roles_county,
            *ESCALATION_PARAMS,
            self.name,
        ]

    def render(self, alerts, *, today):
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
        link = detail_link("cases:detail", problem.pk)
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


@register
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
            params += [day_after_start(thresholds[step.step]), codes["extension", step.step]]
        earliest = max(day_after_start(thresholds[s.step]) for s in steps)
        sql = f"""
            SELECT e.id AS subject_id, (CASE {" ".join(cases)} END)::smallint AS step_id,
                   1 AS version, e.current_deadline AS due_on
              FROM cases_extensionrequest e
             WHERE e.decision = 'pending' AND e.requested_at < %s
        """  # noqa: S608 - fixed fragments and placeholders; values are parameters
        return sql, [*params, earliest]

    def recipients_sql(self):
        values, params = audience_values(self.steps())
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
                link=detail_link("cases:detail", problem.pk),
                level="warning",
            )
        return out
