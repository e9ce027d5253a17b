"""Risks' time limits in the alert ledger (``portal.notifications.sources``), imported by
``supervision/alerts.py``: the negative lists' periodic reviews (working days, the day sweep) and
the incidents' forwarding limits (clock minutes, the round-the-clock minute sweep). No second
alert mechanism: both are sources of the one ledger.

- ``risk_review``: an active item owes ``due`` on its next review date and ``overdue`` five
  working days later (to its region's staff, then also the level above); the version is the
  review date as a day number, so a review recorded moves the next one to a new key.
- ``incident``: an open incident not forwarded to the city by ``city_due_at`` owes ``city`` (to
  the city's duty officers), one not forwarded to the province by ``province_due_at`` owes
  ``province`` (to the province's); version 1, a limit never moves once started."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _

from portal.accounts.scoping import PROVINCE_CODE
from portal.notifications import conf
from portal.notifications.sources import (
    ESCALATION_PARAMS,
    ESCALATION_SQL,
    AlertSource,
    Rendered,
    audience_values,
    detail_link,
    register,
)
from supervision.models import Incident, RiskItem

conf.register_defaults(
    {
        "RISK_REVIEW_STEPS": [
            {"step": "due", "offset": 0, "kind": "due", "audience": ["chain"]},
            {"step": "overdue", "offset": 5, "kind": "overdue", "audience": ["chain", "level_above"]},
        ],
    }
)

EPOCH = "DATE '2000-01-01'"
STAFF_ROLES = ["county_officer", "city_staff", "province_staff"]


@register
class RiskReviewSource(AlertSource):
    name = "risk_review"
    steps_setting = "RISK_REVIEW_STEPS"

    def owed_sql(self, *, today, thresholds, codes):
        steps = self.steps()
        if not steps:
            return None
        cases, params = [], []
        for step in steps:
            cases.append("WHEN i.next_review_on <= %s THEN %s")
            params += [thresholds[step.step], codes[step.kind, step.step]]
        sql = f"""
            SELECT i.id AS subject_id, (CASE {" ".join(cases)} END)::smallint AS step_id,
                   (i.next_review_on - {EPOCH}) AS version, i.next_review_on AS due_on
              FROM supervision_riskitem i
             WHERE i.status = 'active' AND i.next_review_on <= %s
        """  # noqa: S608 - fixed fragments and placeholders; values are parameters
        return sql, [*params, max(thresholds[s.step] for s in steps)]

    def recipients_sql(self):
        values, params = audience_values(self.steps())
        sql = f"""
            SELECT c.id AS alert_id, r.user_id
              FROM claimed c
              JOIN supervision_riskitem i ON i.id = c.subject_id
              JOIN regions_region rg ON rg.code = i.region_id
              JOIN (VALUES {values}) AS aud(step, chain, city, province, level_above) ON aud.step = c.step
             CROSS JOIN LATERAL (
                    SELECT u.id AS user_id FROM accounts_user u
                     WHERE aud.chain AND u.is_active AND u.region_id = i.region_id AND u.roles && %s::varchar[]
{ESCALATION_SQL}
             ) r
             WHERE c.source = %s
        """  # noqa: S608 - fixed fragments and placeholders; values are parameters
        return sql, [*params, STAFF_ROLES, *ESCALATION_PARAMS, self.name]

    def render(self, alerts, *, today):
        items = {i.pk: i for i in RiskItem.objects.filter(pk__in={a.subject_id for a in alerts})}
        out = {}
        for alert in alerts:
            item = items.get(alert.subject_id)
            current = item is not None and _day_number(item.next_review_on) == alert.version
            if not current or item.status != RiskItem.Status.ACTIVE:
                out[alert.pk] = None  # reviewed or retired since the sweep
                continue
            what = f"{item.code}「{item.title}」"
            late = alert.kind == "overdue"
            title = (_("负面清单复核逾期：%(what)s") if late else _("负面清单复核到期：%(what)s")) % {"what": what}
            out[alert.pk] = Rendered(
                title=title,
                body=_(
                    "负面清单事项 %(what)s 应于 %(d)s 完成定期复核（每 %(n)s 个月一次），"
                    "请复核风险等级和防范措施落实情况。"
                )
                % {"what": what, "d": item.next_review_on, "n": item.review_every_months},
                sms=_("【河南交通执法监督】") + title,
                link=detail_link("supervision:risk-item", item.pk),
                level="danger" if late else "warning",
            )
        return out


def _day_number(day) -> int | None:
    import datetime as dt

    return (day - dt.date(2000, 1, 1)).days if day else None


@register
class IncidentLimitSource(AlertSource):
    name = "incident"
    offset_steps = False
    minute_precision = True
    STEPS = ("city", "province")

    def steps(self):
        return []

    def alert_keys(self):
        return [("overdue", step) for step in self.STEPS]

    def owed_sql(self, *, today, thresholds, codes):  # the day sweep: owed at the server's clock
        return self.owed_sql_at(now=timezone.now(), codes=codes)

    def owed_sql_at(self, *, now, codes):
        # Two probes of the partial indexes on the open, unforwarded limits (risk_models.py).
        sql = """
            SELECT i.id AS subject_id, %s::smallint AS step_id, 1 AS version, NULL::date AS due_on,
                   i.city_due_at AS due_at
              FROM supervision_incident i
             WHERE i.forwarded_to_city_at IS NULL AND i.status = 'open' AND i.city_due_at <= %s
            UNION ALL
            SELECT i.id, %s::smallint, 1, NULL::date, i.province_due_at
              FROM supervision_incident i
             WHERE i.forwarded_to_province_at IS NULL AND i.status = 'open' AND i.province_due_at IS NOT NULL
               AND i.province_due_at <= %s
        """
        return sql, [codes["overdue", "city"], now, codes["overdue", "province"], now]

    def recipients_sql(self):
        # The next level's duty officers; a region that named none: its staff.
        sql = """
            SELECT c.id AS alert_id, r.user_id
              FROM claimed c
              JOIN supervision_incident i ON i.id = c.subject_id
              JOIN regions_region rg ON rg.code = i.region_id
             CROSS JOIN LATERAL (SELECT CASE WHEN c.step = 'city' THEN coalesce(rg.parent_id, %s) ELSE %s END AS code,
                                        CASE WHEN c.step = 'city' THEN %s ELSE %s END AS roles) tgt
             CROSS JOIN LATERAL (
                    SELECT d.user_id FROM supervision_dutyofficer d WHERE d.region_id = tgt.code
                 UNION ALL
                    SELECT u.id FROM accounts_user u
                     WHERE u.is_active AND u.region_id = tgt.code AND u.roles && tgt.roles::varchar[]
                       AND NOT EXISTS (SELECT 1 FROM supervision_dutyofficer d WHERE d.region_id = tgt.code)
             ) r
             WHERE c.source = %s
        """
        return sql, [PROVINCE_CODE, PROVINCE_CODE, "{city_staff}", "{province_staff}", self.name]

    def render(self, alerts, *, today):
        incidents = {
            i.pk: i
            for i in Incident.objects.filter(pk__in={a.subject_id for a in alerts}).select_related(
                "region", "incident_class"
            )
        }
        out = {}
        for alert in alerts:
            incident = incidents.get(alert.subject_id)
            city = alert.step == "city"
            if incident is None or incident.status != Incident.Status.OPEN:
                out[alert.pk] = None  # closed since the sweep
                continue
            forwarded = incident.forwarded_to_city_at if city else incident.forwarded_to_province_at
            if forwarded is not None:
                out[alert.pk] = None  # forwarded since the sweep
                continue
            due = incident.city_due_at if city else incident.province_due_at
            what = f"{incident.code}「{incident.title}」（{incident.region.name}，{incident.incident_class.name}）"
            if city:
                title = _("突发事件超时未报市：%(what)s") % {"what": what}
                body = _(
                    "县级于 %(received)s 接报的突发事件 %(what)s 应于 %(due)s 前报送市级，"
                    "现已超时，请立即核实并督促报送。"
                )
                received = incident.received_at
            else:
                title = _("突发事件超时未报省：%(what)s") % {"what": what}
                body = _(
                    "市级于 %(received)s 接报的突发事件 %(what)s 应于 %(due)s 前报送省级，"
                    "现已超时，请立即核实并督促报送。"
                )
                received = incident.city_received_at
            out[alert.pk] = Rendered(
                title=title,
                body=body
                % {
                    "what": what,
                    "received": f"{timezone.localtime(received):%Y-%m-%d %H:%M}",
                    "due": f"{timezone.localtime(due):%Y-%m-%d %H:%M}",
                },
                sms=_("【河南交通执法监督】") + title,
                link=detail_link("supervision:incident", incident.pk),
                level="danger",
            )
        return out
