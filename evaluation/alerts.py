"""Evaluation results and appeal decisions in each entity's inbox, through the one alert ledger
(``portal.notifications.sources``): no second notification mechanism.

- ``eval_result``: when a period is closed, every scored entity's staff are told their total,
  rank and the appeal deadline (step ``closed``, owed while the window is open); when it is
  published, that the results are public (step ``published``, owed for a few days after).
  Only the latest step is owed, as everywhere in the ledger.
- ``eval_appeal``: a decided appeal (upheld with the re-score, or rejected with reasons) goes
  to whoever filed it and to the entity's staff.
"""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext as _

from evaluation.models import Appeal, EntityScore
from portal.notifications import conf
from portal.notifications.sources import AlertSource, Rendered, detail_link, register

conf.register_defaults(
    {
        "EVALUATION_RESULT_STEPS": [
            {"step": "closed", "kind": "evaluation", "audience": ["chain"]},
            {"step": "published", "kind": "evaluation", "audience": ["chain"]},
        ],
        "EVALUATION_APPEAL_STEPS": [{"step": "decided", "kind": "evaluation", "audience": ["chain"]}],
        # A published period's notice is owed this many days after publication (a sweep that
        # did not run for a while still sends it; an old period never floods the inbox).
        "EVALUATION_RECENT_DAYS": 7,
    },
    kinds=["evaluation"],
)

ENTITY_ROLES = ["county_officer", "city_staff"]


def _recent(today: dt.date) -> dt.date:
    return today - dt.timedelta(days=int(conf.get("EVALUATION_RECENT_DAYS")))


@register
class EvaluationResultSource(AlertSource):
    name = "eval_result"
    steps_setting = "EVALUATION_RESULT_STEPS"
    offset_steps = False  # each period's own closing and publication

    def alert_keys(self):
        return [("evaluation", step.step) for step in self.steps()]

    def owed_sql(self, *, today, thresholds, codes):
        steps = {s.step for s in self.steps()}
        if not steps:
            return None
        whens, params = [], []
        if "published" in steps:
            whens.append(
                "WHEN p.status = 'published' AND (p.published_at AT TIME ZONE 'Asia/Shanghai')::date >= %s THEN %s"
            )
            params += [_recent(today), codes["evaluation", "published"]]
        if "closed" in steps:
            whens.append("WHEN p.status = 'closed' AND p.appeal_until >= %s THEN %s")
            params += [today, codes["evaluation", "closed"]]
        sql = f"""
            SELECT o.subject_id, o.step_id, 0 AS version, o.due_on FROM (
                SELECT s.id AS subject_id, (CASE {" ".join(whens)} END)::smallint AS step_id, p.appeal_until AS due_on
                  FROM evaluation_entityscore s
                  JOIN evaluation_period p ON p.id = s.period_id
                 WHERE p.status IN ('closed', 'published')
            ) o WHERE o.step_id IS NOT NULL
        """  # noqa: S608 - fixed fragments and placeholders; values are parameters
        return sql, params

    def recipients_sql(self):
        sql = """
            SELECT c.id AS alert_id, u.id AS user_id
              FROM claimed c
              JOIN evaluation_entityscore s ON s.id = c.subject_id
              JOIN accounts_user u ON u.region_id = s.region_id AND u.is_active AND u.roles && %s::varchar[]
             WHERE c.source = %s
        """
        return sql, [ENTITY_ROLES, self.name]

    def render(self, alerts, *, today):
        scores = {
            s.pk: s
            for s in EntityScore.objects.filter(pk__in={a.subject_id for a in alerts}).select_related(
                "period__system", "region"
            )
        }
        out = {}
        for alert in alerts:
            score = scores.get(alert.subject_id)
            wanted = "published" if alert.step == "published" else "closed"
            if score is None or score.period.status != wanted:
                out[alert.pk] = None  # published since the sweep, or gone
                continue
            values = {
                "period": score.period.label,
                "region": score.region.name,
                "total": score.total,
                "rank": score.rank,
                "until": score.period.appeal_until,
            }
            if wanted == "closed":
                title = _("绩效评价结果：%(region)s %(period)s 得分 %(total)s，排名第 %(rank)s") % values
                body = (
                    _(
                        "%(period)s绩效评价已关账，%(region)s总分 %(total)s，排名第 %(rank)s。"
                        "对某项指标有异议的，可在 %(until)s 前附佐证材料提出申诉。"
                    )
                    % values
                )
            else:
                title = _("绩效评价结果已公布：%(period)s") % values
                body = _("%(period)s绩效评价结果已公布，%(region)s总分 %(total)s，排名第 %(rank)s。") % values
            out[alert.pk] = Rendered(
                title=title,
                body=body,
                sms=_("【河南交通执法监督】") + title,
                link=detail_link("evaluation:entity", score.pk),
            )
        return out


@register
class EvaluationAppealSource(AlertSource):
    name = "eval_appeal"
    steps_setting = "EVALUATION_APPEAL_STEPS"
    offset_steps = False

    def alert_keys(self):
        return [("evaluation", step.step) for step in self.steps()]

    def owed_sql(self, *, today, thresholds, codes):
        if "decided" not in {s.step for s in self.steps()}:
            return None
        sql = """
            SELECT a.id AS subject_id, %s::smallint AS step_id, 0 AS version,
                   (a.decided_at AT TIME ZONE 'Asia/Shanghai')::date AS due_on
              FROM evaluation_appeal a
             WHERE a.status IN ('upheld', 'rejected') AND (a.decided_at AT TIME ZONE 'Asia/Shanghai')::date >= %s
        """
        return sql, [codes["evaluation", "decided"], _recent(today)]

    def recipients_sql(self):
        sql = """
            SELECT c.id AS alert_id, r.user_id
              FROM claimed c
              JOIN evaluation_appeal a ON a.id = c.subject_id
              JOIN evaluation_entityscore s ON s.id = a.entity_id
             CROSS JOIN LATERAL (
                    SELECT a.filed_by_id AS user_id
                 UNION
                    SELECT u.id FROM accounts_user u
                     WHERE u.region_id = s.region_id AND u.is_active AND u.roles && %s::varchar[]
             ) r
             WHERE c.source = %s
        """
        return sql, [ENTITY_ROLES, self.name]

    def render(self, alerts, *, today):
        appeals = {
            a.pk: a
            for a in Appeal.objects.filter(pk__in={a.subject_id for a in alerts}).select_related(
                "entity__period__system", "entity__region", "indicator"
            )
        }
        out = {}
        for alert in alerts:
            appeal = appeals.get(alert.subject_id)
            if appeal is None or appeal.status == Appeal.Status.PENDING:
                out[alert.pk] = None
                continue
            values = {
                "period": appeal.entity.period.label,
                "indicator": appeal.indicator.name,
                "decision": appeal.decision,
                "total": appeal.entity.total,
                "rank": appeal.entity.rank,
            }
            if appeal.status == Appeal.Status.UPHELD:
                title = _("申诉成立：%(period)s「%(indicator)s」已重新计分") % values
                body = _("省厅裁定：%(decision)s。重新计分后总分 %(total)s，排名第 %(rank)s。") % values
            else:
                title = _("申诉不成立：%(period)s「%(indicator)s」") % values
                body = _("省厅裁定申诉不成立，理由：%(decision)s") % values
            out[alert.pk] = Rendered(
                title=title,
                body=body,
                sms=_("【河南交通执法监督】") + title,
                link=detail_link("evaluation:appeal", appeal.pk),
            )
        return out
