"""Complaint time limits in the alert ledger (``portal.notifications.sources``): the yellow and
red lights of ``complaints/selectors.py``."""

from __future__ import annotations

from django.utils.translation import gettext as _

from complaints.models import Complaint
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

conf.register_defaults(
    {
        # Complaint time limits: the yellow and red lights of complaints/selectors.py (each
        # complaint's own yellow day and deadline; no offsets here).
        "COMPLAINT_STEPS": [
            {"step": "yellow", "kind": "light", "audience": ["chain"]},
            {"step": "red", "kind": "light", "audience": ["chain", "level_above"]},
        ],
    },
    kinds=["light"],
)

CASEWORK_ROLES = ["county_officer", "city_staff", "province_staff"]


@register
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
    offset_steps = False  # each complaint's own yellow day and deadline

    def alert_keys(self):
        return [("light", step.step) for step in self.steps()]

    def owed_sql(self, *, today, thresholds, codes):
        steps = {s.step for s in self.steps()}
        if not steps & {"yellow", "red"}:
            return None
        open_states = [str(s) for s in Complaint.OPEN_STATES]
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
        values, params = audience_values(self.steps())
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
{ESCALATION_SQL}
             ) r
             WHERE c.source = %s
        """  # noqa: S608 - fixed fragments and placeholders; values are parameters
        return sql, [
            *params,
            CASEWORK_ROLES,
            CASEWORK_ROLES,
            CASEWORK_ROLES,
            *ESCALATION_PARAMS,
            self.name,
        ]

    def render(self, alerts, *, today):
        complaints = {
            row[0]: row
            for row in Complaint.objects.filter(pk__in={a.subject_id for a in alerts}).values_list(
                "pk", "tracking_number", "subject", "deadline", "deadline_version", "status"
            )
        }
        open_states = {str(s) for s in Complaint.OPEN_STATES}
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
                link=detail_link("complaints:detail", pk),
                level="danger" if alert.step == "red" else "warning",
            )
        return out
