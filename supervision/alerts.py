"""Listed supervision's time limits in the alert ledger (``portal.notifications.sources``):
progress-report dates, the rectification deadline, and the on-site acceptance after the
rectification report. Steps in working days before/on/after each date, escalating up the
hierarchy with the shared escalation audience; no second alert mechanism.

Each source's ``version`` changes whenever its date moves, so an alert for an old date is never
confused with the new one: the deadline's ``deadline_version``; for report and acceptance dates,
the date itself as a day number (days since 2000-01-01).

The quarter rule of enforcement supervision (§7, ``sup_quarter``): every organiser (the province
and each city) holds at least one cross-region activity a quarter. When the current quarter is
``offset`` working days from its end (``SUPERVISION_QUARTER_STEPS``, default 10) and the
organiser has held none (no activity of the quarter whose visit has started), its supervisors
are told, once per organiser and quarter (subject: the region code; version: the quarter).
"""

from __future__ import annotations

import datetime as dt

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
        # The quarter rule (§7): N working days before the quarter's last day (offset -N), the
        # organisers (province, cities) that have held no cross-region activity this quarter.
        "SUPERVISION_QUARTER_STEPS": [
            {"step": "quarter_end", "offset": -10, "kind": "quarter", "audience": ["chain"]},
        ],
        "SUPERVISION_ACCEPTANCE_STEPS": [
            {"step": "due", "offset": 0, "kind": "acceptance", "audience": ["level_above"]},
            {"step": "overdue", "offset": 3, "kind": "acceptance", "audience": ["level_above", "province"]},
        ],
    },
    kinds=["acceptance", "quarter"],
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


# --- the quarter rule of enforcement supervision (§7) ----------------------------------------


def quarter_bounds(day) -> tuple[int, int, dt.date, dt.date]:
    """(year, quarter, first day, last day) of the quarter ``day`` is in."""
    quarter = (day.month - 1) // 3 + 1
    first = dt.date(day.year, 3 * quarter - 2, 1)
    last = dt.date(day.year + (quarter == 4), (3 * quarter) % 12 + 1, 1) - dt.timedelta(days=1)
    return day.year, quarter, first, last


def quarter_version(year: int, quarter: int) -> int:
    return year * 4 + quarter - 1


@register
class SupervisionQuarterSource(AlertSource):
    """Organisers without a cross-region activity held this quarter, near the quarter's end."""

    name = "sup_quarter"
    reminder = True  # owed for the activity that has not been held
    steps_setting = "SUPERVISION_QUARTER_STEPS"
    # Organisers: the province and the prefecture-level cities (济源 included), as a draw's
    # ``_organiser_region`` allows.
    levels = ("province", "city")
    roles = ["province_staff", "city_staff"]

    def alert_keys(self):
        return [("quarter", step.step) for step in self.steps()]

    def owed_sql(self, *, today, thresholds, codes):
        year, quarter, _first, last = quarter_bounds(today)
        # latest step first: the first one whose date (offset from the quarter's last day) has come
        step = next((s for s in self.steps() if last <= thresholds[s.step]), None)
        if step is None:
            return None
        sql = """
            SELECT r.code::bigint AS subject_id, %s::smallint AS step_id, %s AS version, %s::date AS due_on
              FROM regions_region r
             WHERE r.level = ANY(%s::varchar[])
               -- held: as ``supervision.activities.held_q`` says
               AND NOT EXISTS (SELECT 1 FROM supervision_activity a
                                WHERE a.region_id = r.code AND a.year = %s AND a.quarter = %s AND a.starts_on <= %s)
        """
        return sql, [
            codes["quarter", step.step],
            quarter_version(year, quarter),
            last,
            list(self.levels),
            year,
            quarter,
            today,
        ]

    def recipients_sql(self):
        values, params = audience_values(self.steps())
        sql = f"""
            SELECT c.id AS alert_id, r.user_id
              FROM claimed c
              JOIN regions_region rg ON rg.code = lpad(c.subject_id::text, 6, '0')
              JOIN (VALUES {values}) AS aud(step, chain, city, province, level_above) ON aud.step = c.step
             CROSS JOIN LATERAL (
                    SELECT u.id AS user_id FROM accounts_user u
                     WHERE aud.chain AND u.is_active AND u.region_id = rg.code AND u.roles && %s::varchar[]
{ESCALATION_SQL}
             ) r
             WHERE c.source = %s
        """  # noqa: S608 - fixed fragments and placeholders; values are parameters
        return sql, [*params, self.roles, *ESCALATION_PARAMS, self.name]

    def render(self, alerts, *, today):
        from collections import Counter

        from django.db.models import Q

        from portal.regions.models import Region
        from supervision.models import Activity

        codes = {f"{a.subject_id:06d}" for a in alerts}
        regions = {r.code: r for r in Region.objects.filter(code__in=codes)}
        quarters = {divmod(a.version, 4) for a in alerts}
        # the organisers' activities of the alerts' quarters, in one query for the batch
        planned_in, held_in = Counter(), set()
        wanted = Q()
        for year, index in quarters:
            wanted |= Q(year=year, quarter=index + 1)
        for code, year, quarter, started in Activity.objects.filter(wanted, region_id__in=codes).values_list(
            "region_id", "year", "quarter", "starts_on"
        ):
            planned_in[code, year, quarter] += 1
            if started <= today:  # held, as ``supervision.activities.held_q`` says
                held_in.add((code, year, quarter))
        out = {}
        for alert in alerts:
            code = f"{alert.subject_id:06d}"
            region = regions.get(code)
            year, quarter = divmod(alert.version, 4)
            quarter += 1
            if region is None or (code, year, quarter) in held_in:
                out[alert.pk] = None  # gone, or one was held since the sweep
                continue
            planned = planned_in[code, year, quarter]
            end = quarter_bounds(dt.date(year, 3 * quarter, 1))[3]
            values = {"region": region.name, "year": year, "q": quarter, "end": end, "planned": planned}
            title = _("%(region)s %(year)s年第%(q)s季度尚未开展异地执法监督") % values
            body = (
                _(
                    "按照每季度至少开展一次异地交叉执法监督的要求，%(region)s %(year)s年第%(q)s季度（%(end)s 结束）"
                    "尚未开展异地执法监督活动（已计划未开始的 %(planned)s 项）。请及时组织抽取人员并开展检查。"
                )
                % values
            )
            out[alert.pk] = Rendered(
                title=title,
                body=body,
                sms=_("【河南交通执法监督】") + title,
                link=_activities_link(),
                level="warning",
            )
        return out


def _activities_link() -> str:
    from django.urls import reverse

    return reverse("supervision:activities")


from supervision import risk_alerts  # noqa: E402,F401 - negative-list reviews and incident limits
