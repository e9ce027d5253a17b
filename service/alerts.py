"""The station-day reminder (驻点办公, policy §15), through the one alert ledger
(``portal.notifications.sources``): from the set working day before the month's end
(``SERVICE_STATION_DAY_STEPS``, default 3 working days, statutory holidays honoured), every
leader with a station assigned and fewer than 2 station days so far this month is reminded,
with the staff of their region, once per leader and month (subject: the leader's account;
version: the month)."""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext as _

from portal.notifications import conf
from portal.notifications.sources import AlertSource, Rendered, audience_values, register

conf.register_defaults(
    {
        "SERVICE_STATION_DAY_STEPS": [
            {"step": "month_end", "offset": -3, "kind": "station_days", "audience": ["chain"]}
        ],
        # Decisions of joint meetings and consultations (§12), against their deadline.
        "SERVICE_DECISION_STEPS": [
            {"step": "before2", "offset": -2, "kind": "reminder", "audience": ["chain"]},
            {"step": "overdue", "offset": 1, "kind": "overdue", "audience": ["chain"]},
        ],
    },
    kinds=["station_days"],
)

STAFF_ROLES = ["province_staff", "city_staff", "county_officer"]


def month_version(day: dt.date) -> int:
    return day.year * 12 + day.month - 1


def month_of_version(version: int) -> tuple[int, int]:
    year, index = divmod(version, 12)
    return year, index + 1


@register
class StationDaySource(AlertSource):
    name = "svc_station_days"
    reminder = True  # owed for the station days that have not happened
    steps_setting = "SERVICE_STATION_DAY_STEPS"

    def alert_keys(self):
        return [("station_days", step.step) for step in self.steps()]

    def owed_sql(self, *, today, thresholds, codes):
        from service.services import MIN_STATION_DAYS, month_bounds

        first, last = month_bounds(today)
        step = next((s for s in self.steps() if last <= thresholds[s.step]), None)
        if step is None:
            return None
        sql = """
            SELECT c.user_id::bigint AS subject_id, %s::smallint AS step_id, %s AS version, %s::date AS due_on
              FROM service_leadercontact c
              JOIN accounts_user u ON u.id = c.user_id AND u.is_active
             WHERE EXISTS (SELECT 1 FROM service_assignment a
                            WHERE a.leader_id = c.user_id AND a.station_id IS NOT NULL)
               AND (SELECT count(DISTINCT d.day) FROM service_stationday d
                     WHERE d.leader_id = c.user_id AND d.day BETWEEN %s AND %s) < %s
        """
        return sql, [codes["station_days", step.step], month_version(today), last, first, today, MIN_STATION_DAYS]

    def recipients_sql(self):
        values, params = audience_values(self.steps())
        sql = f"""
            SELECT c.id AS alert_id, r.user_id
              FROM claimed c
              JOIN service_leadercontact lc ON lc.user_id = c.subject_id
              JOIN (VALUES {values}) AS aud(step, chain, city, province, level_above) ON aud.step = c.step
             CROSS JOIN LATERAL (
                    SELECT lc.user_id WHERE aud.chain
                 UNION
                    SELECT u.id FROM accounts_user u
                     WHERE aud.chain AND u.is_active AND u.region_id = lc.region_id AND u.roles && %s::varchar[]
             ) r(user_id)
             WHERE c.source = %s
        """  # noqa: S608 - fixed fragments and placeholders; values are parameters
        return sql, [*params, STAFF_ROLES, self.name]

    def render(self, alerts, *, today):
        from django.db.models import Count
        from django.urls import reverse

        from service.models import LeaderContact, StationDay
        from service.services import MIN_STATION_DAYS, month_bounds

        contacts = {
            c.user_id: c
            for c in LeaderContact.objects.filter(user_id__in={a.subject_id for a in alerts}).select_related("user")
        }
        out = {}
        for alert in alerts:
            contact = contacts.get(alert.subject_id)
            year, month = month_of_version(alert.version)
            first, last = month_bounds(dt.date(year, month, 1))
            if contact is None:
                out[alert.pk] = None
                continue
            days = StationDay.objects.filter(leader_id=alert.subject_id, day__gte=first, day__lte=last).aggregate(
                n=Count("day", distinct=True)
            )["n"]
            if days >= MIN_STATION_DAYS:
                out[alert.pk] = None  # the days were logged since the sweep
                continue
            who = contact.user.get_full_name() or contact.user.get_username()
            values = {
                "who": who,
                "post": contact.post,
                "y": year,
                "m": month,
                "days": days,
                "min": MIN_STATION_DAYS,
                "end": last,
            }
            title = _("%(who)s %(y)s年%(m)s月驻点办公仅 %(days)s 天") % values
            body = (
                _(
                    "按照领导班子成员每月驻点办公不少于 %(min)s 天的要求，%(who)s（%(post)s）"
                    "%(y)s年%(m)s月已登记驻点办公 %(days)s 天，本月于 %(end)s 结束。请及时安排驻点并登记。"
                )
                % values
            )
            out[alert.pk] = Rendered(
                title=title,
                body=body,
                sms=_("【河南交通执法监督】") + title,
                link=reverse("service:station-days-go"),  # leader: its own page; staff: the register
                level="warning",
            )
        return out


@register
class DecisionDeadlineSource(AlertSource):
    """Open decisions of joint meetings and consultations: two working days before the
    deadline and on the first working day after it, to the staff of the meeting's region."""

    name = "svc_decision"
    steps_setting = "SERVICE_DECISION_STEPS"

    def owed_sql(self, *, today, thresholds, codes):
        steps = self.steps()
        if not steps:
            return None
        cases, params = [], []
        for step in steps:  # latest first: the first threshold a deadline is under wins
            cases.append("WHEN d.deadline <= %s THEN %s")
            params += [thresholds[step.step], codes[step.kind, step.step]]
        earliest = max(thresholds[s.step] for s in steps)
        sql = f"""
            SELECT d.id AS subject_id, (CASE {" ".join(cases)} END)::smallint AS step_id,
                   0 AS version, d.deadline AS due_on
              FROM service_decision d
             WHERE d.status = 'open' AND d.deadline <= %s
        """  # noqa: S608 - fixed fragments and placeholders; values are parameters
        return sql, [*params, earliest]

    def recipients_sql(self):
        values, params = audience_values(self.steps())
        sql = f"""
            SELECT c.id AS alert_id, u.id AS user_id
              FROM claimed c
              JOIN service_decision d ON d.id = c.subject_id
              JOIN service_meeting m ON m.id = d.meeting_id
              JOIN (VALUES {values}) AS aud(step, chain, city, province, level_above) ON aud.step = c.step
              JOIN accounts_user u ON aud.chain AND u.is_active AND u.region_id = m.region_id
                   AND u.roles && %s::varchar[]
             WHERE c.source = %s
        """  # noqa: S608 - fixed fragments and placeholders; values are parameters
        return sql, [*params, STAFF_ROLES, self.name]

    def render(self, alerts, *, today):
        from django.urls import reverse

        from service.models import Decision

        decisions = {
            d.pk: d for d in Decision.objects.filter(pk__in={a.subject_id for a in alerts}).select_related("meeting")
        }
        out = {}
        for alert in alerts:
            decision = decisions.get(alert.subject_id)
            if decision is None or decision.status != Decision.Status.OPEN:
                out[alert.pk] = None
                continue
            values = {"text": decision.text[:60], "who": decision.responsible, "d": decision.deadline.isoformat()}
            overdue = decision.deadline < today
            title = (_("会议议定事项已逾期：%(text)s") if overdue else _("会议议定事项即将到期：%(text)s")) % values
            body = _("%(who)s 负责落实的议定事项“%(text)s”完成期限为 %(d)s。请及时落实并登记落实情况。") % values
            out[alert.pk] = Rendered(
                title=title,
                body=body,
                sms=_("【河南交通执法监督】") + title,
                link=reverse("service:meeting", kwargs={"pk": decision.meeting_id}),
                level="danger" if overdue else "warning",
            )
        return out
