"""Listed supervision's time limits in the alert ledger (``portal.notifications.sources``):
progress-report dates, the rectification deadline, and the on-site acceptance after the
rectification report. Steps in working days before/on/after each date, escalating up the
hierarchy with the shared escalation audience; no second alert mechanism.

Each source's ``version`` changes whenever its date moves, so an alert for an old date is never
confused with the new one: the deadline's ``deadline_version``; for report and acceptance dates,
the date itself as a day number (days since 2000-01-01)."""

from __future__ import annotations

from django.utils.translation import gettext as _

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
from supervision.models import SupervisionItem

conf.register_defaults(
    {
        "SUPERVISION_DEADLINE_STEPS": [
            {"step": "before3", "offset": -3, "kind": "reminder", "audience": ["chain"]},
            {"step": "due", "offset": 0, "kind": "due", "audience": ["chain"]},
            {"step": "overdue", "offset": 1, "kind": "overdue", "audience": ["chain"]},
            {"step": "city", "offset": 3, "kind": "escalation", "audience": ["chain", "city"]},
            {"step": "province", "offset": 5, "kind": "escalation", "audience": ["chain", "city", "province"]},
        ],
        "SUPERVISION_REPORT_STEPS": [
            {"step": "before1", "offset": -1, "kind": "reminder", "audience": ["chain"]},
            {"step": "due", "offset": 0, "kind": "due", "audience": ["chain"]},
            {"step": "overdue", "offset": 2, "kind": "overdue", "audience": ["chain", "level_above"]},
        ],
        "SUPERVISION_ACCEPTANCE_STEPS": [
            {"step": "due", "offset": 0, "kind": "acceptance", "audience": ["level_above"]},
            {"step": "overdue", "offset": 3, "kind": "acceptance", "audience": ["level_above", "province"]},
        ],
    },
    kinds=["acceptance"],
)

EPOCH = "DATE '2000-01-01'"
ItemRow = tuple


class _ItemDateSource(AlertSource):
    """Open items against one of their dates (``column``) while in ``states``."""

    column = ""
    states: tuple[str, ...] = ()
    version_sql = ""
    # The responsible side (chain): the officers of the item's region, and the team.
    chain_roles = ["county_officer", "city_staff"]

    def owed_sql(self, *, today, thresholds, codes):
        steps = self.steps()
        if not steps:
            return None
        cases, params = [], []
        for step in steps:
            cases.append(f"WHEN i.{self.column} <= %s THEN %s")
            params += [thresholds[step.step], codes[step.kind, step.step]]
        earliest = max(thresholds[s.step] for s in steps)
        sql = f"""
            SELECT i.id AS subject_id, (CASE {" ".join(cases)} END)::smallint AS step_id,
                   {self.version_sql} AS version, i.{self.column} AS due_on
              FROM supervision_supervisionitem i
             WHERE i.status IN ({", ".join(["%s"] * len(self.states))}) AND i.{self.column} <= %s
        """  # noqa: S608 - fixed fragments and placeholders; values are parameters
        return sql, [*params, *self.states, earliest]

    def recipients_sql(self):
        values, params = audience_values(self.steps())
        sql = f"""
            SELECT c.id AS alert_id, r.user_id
              FROM claimed c
              JOIN supervision_supervisionitem i ON i.id = c.subject_id
              JOIN regions_region rg ON rg.code = i.region_id
              JOIN (VALUES {values}) AS aud(step, chain, city, province, level_above) ON aud.step = c.step
             CROSS JOIN LATERAL (
                    SELECT u.id AS user_id FROM accounts_user u
                     WHERE aud.chain AND u.is_active AND u.region_id = i.region_id AND u.roles && %s::varchar[]
                 UNION ALL
                    SELECT t.user_id FROM supervision_supervisionitem_team t
                     WHERE (aud.chain OR aud.level_above) AND t.supervisionitem_id = i.id
                 UNION ALL
                    SELECT u.id FROM accounts_user u
                     WHERE aud.level_above AND u.is_active AND u.region_id = i.listed_by_region_id
                       AND u.roles && %s::varchar[]
{ESCALATION_SQL}
             ) r
             WHERE c.source = %s
        """  # noqa: S608 - fixed fragments and placeholders; values are parameters
        return sql, [
            *params,
            self.chain_roles,
            ["city_staff", "province_staff"],
            *ESCALATION_PARAMS,
            self.name,
        ]

    def current_version(self, item) -> int | None:
        raise NotImplementedError

    def render(self, alerts, *, today):
        items = {
            i.pk: i
            for i in SupervisionItem.objects.filter(pk__in={a.subject_id for a in alerts}).select_related("region")
        }
        out = {}
        for alert in alerts:
            item = items.get(alert.subject_id)
            if item is None or item.status not in self.states or self.current_version(item) != alert.version:
                out[alert.pk] = None  # moved on since the sweep
                continue
            what = f"{item.code}「{item.title}」"
            title, body, level = self.texts(alert, item, what)
            out[alert.pk] = Rendered(
                title=title,
                body=body,
                sms=_("【河南交通执法监督】") + title,
                link=detail_link("supervision:detail", item.pk),
                level=level,
            )
        return out

    def texts(self, alert, item, what):
        raise NotImplementedError


def _day_number(day) -> int | None:
    import datetime as dt

    return (day - dt.date(2000, 1, 1)).days if day else None


@register
class SupervisionDeadlineSource(_ItemDateSource):
    name = "sup_deadline"
    steps_setting = "SUPERVISION_DEADLINE_STEPS"
    column = "deadline"
    states = ("listed", "rectifying", "reported")
    version_sql = "i.deadline_version"

    def current_version(self, item):
        return item.deadline_version

    def texts(self, alert, item, what):
        if alert.kind == "reminder":
            return (
                _("督办提醒：%(what)s 整改期限即将到期") % {"what": what},
                _("挂牌督办事项 %(what)s 的整改期限为 %(d)s，请按期完成整改并报送整改报告。")
                % {"what": what, "d": item.deadline},
                "info",
            )
        if alert.kind == "due":
            return (
                _("督办今日到期：%(what)s") % {"what": what},
                _("挂牌督办事项 %(what)s 的整改期限为今天（%(d)s）。") % {"what": what, "d": item.deadline},
                "warning",
            )
        return (
            _("督办逾期：%(region)s %(what)s") % {"region": item.region.name, "what": what},
            _("挂牌督办事项 %(what)s 的整改期限 %(d)s 已过，请立即整改；逾期未整改的将提请追责。")
            % {"what": what, "d": item.deadline},
            "danger",
        )


@register
class SupervisionReportSource(_ItemDateSource):
    name = "sup_report"
    steps_setting = "SUPERVISION_REPORT_STEPS"
    column = "next_report_due"
    states = ("listed", "rectifying")
    version_sql = f"(i.next_report_due - {EPOCH})"

    def current_version(self, item):
        return _day_number(item.next_report_due)

    def texts(self, alert, item, what):
        late = alert.kind == "overdue"
        return (
            (_("督办进展未按期报送：%(what)s") if late else _("督办进展报送提醒：%(what)s")) % {"what": what},
            _("挂牌督办事项 %(what)s 应于 %(d)s 报送阶段整改进展（每 %(n)s 个工作日一次）。")
            % {"what": what, "d": item.next_report_due, "n": item.report_every_days},
            "danger" if late else "info",
        )


@register
class SupervisionAcceptanceSource(_ItemDateSource):
    name = "sup_acceptance"
    steps_setting = "SUPERVISION_ACCEPTANCE_STEPS"
    column = "acceptance_due"
    states = ("reported",)
    version_sql = f"(i.acceptance_due - {EPOCH})"

    def alert_keys(self):
        return [("acceptance", step.step) for step in self.steps()]

    def current_version(self, item):
        return _day_number(item.acceptance_due)

    def texts(self, alert, item, what):
        return (
            _("督办事项待现场验收：%(what)s") % {"what": what},
            _("挂牌督办事项 %(what)s 已报送整改报告，请督导组于 %(d)s 前完成现场验收。")
            % {"what": what, "d": item.acceptance_due},
            "warning" if alert.step != "overdue" else "danger",
        )


from supervision import risk_alerts  # noqa: E402,F401 - negative-list reviews and incident limits
