"""What the dashboards count of incidents (the ``incidents`` figure set of
``portal.dashboards.registry``), imported by ``supervision/figures.py``; every figure defined once,
as aggregates over the incidents by the incident's county and the unit involved.

- **open** (处置中): incidents without their final report;
- **reported** (12m): incidents received in the twelve months' window;
- **limits missed** (12m): of those, forwarded to the city or the province after the class's
  limit, or not forwarded and the limit has passed (clock minutes, as the minute sweep alerts);
- **the three zeros** (§ 一, 12m): incidents of a class whose ``zero_goal`` is duty crime,
  conflict or negative public opinion join the problems' and complaints' parts of those goals.
  An incident linked to a problem or a complaint of the same event is not counted here when that
  record already counts towards the same goal under its own set's rule (``cases/figures.py``,
  ``complaints/figures.py``): a duty crime whose problem has a counted accountability decision
  (党纪政务处分 or serious, decided in the window), a conflict whose problem is of the class 执法粗暴
  (not from a complaint) or whose complaint is, negative opinion whose problem came through the
  舆情/媒体 channels, each in the window. So one event counts once, and a linked record that
  counts for nothing leaves the incident counting.
"""

from __future__ import annotations

from django.db.models import Count, Exists, F, OuterRef, Q
from django.utils.translation import gettext as _

from portal.dashboards.period import Period
from portal.dashboards.registry import DrillList, FigureSet, Section, ZeroPart, register
from portal.dashboards.selectors import Kpi, Num
from supervision.incidents import INCIDENT_FILTERS, missed_q
from supervision.models import Incident, IncidentFigure


def counted_elsewhere(period: Period, conflict_id: int | None) -> dict[str, Exists]:
    """Per goal: the incident's linked problem or complaint already counts towards it."""
    from cases.figures import CONFLICT_PROBLEM_SOURCES, DUTY_CRIME, OPINION_SOURCES, in_class
    from cases.models import Accountability, Problem
    from complaints.models import Complaint, Kind

    ws = period.window_start
    problem = Problem.objects.filter(pk=OuterRef("problem_id"), found_on__gte=ws)
    return {
        "duty_crime": Exists(
            Accountability.objects.filter(problem_id=OuterRef("problem_id"), decided_on__gte=ws).filter(DUTY_CRIME)
        ),
        "conflict": Exists(problem.filter(in_class(conflict_id), source__in=CONFLICT_PROBLEM_SOURCES))
        | Exists(
            Complaint.objects.filter(
                in_class(conflict_id),
                pk=OuterRef("complaint_id"),
                received_at__gte=Period.aware(ws),
                kind=Kind.COMPLAINT,
            )
        ),
        "opinion": Exists(problem.filter(source__in=OPINION_SOURCES)),
    }


def incident_measures(period: Period, conflict_id: int | None) -> dict:
    window = Q(received_at__gte=Period.aware(period.window_start))
    elsewhere = counted_elsewhere(period, conflict_id)
    return {
        "open": Count("id", filter=Q(status=Incident.Status.OPEN)),
        "reported": Count("id", filter=window),
        "missed": Count("id", filter=window & missed_q()),
        **{
            goal: Count("id", filter=window & Q(incident_class__zero_goal=goal) & ~Q(elsewhere[goal]))
            for goal in ("duty_crime", "conflict", "opinion")
        },
    }


@register
class IncidentFigures(FigureSet):
    key = "incidents"
    order = 35
    model = IncidentFigure
    place_fields = ("open", "missed", "duty_crime", "conflict", "opinion")
    lists = (DrillList("incidents", "supervision:incidents", lambda: INCIDENT_FILTERS, lambda: Incident),)

    def facts(self) -> dict:
        from cases.figures import conflict_class_id

        return {"conflict_class": conflict_class_id()}

    def refresh(self, table, period: Period, facts: dict) -> None:
        place = {"region_id": F("region_id"), "unit_id": F("unit_id")}
        measures = incident_measures(period, facts["conflict_class"])
        table.insert("all", Incident.objects.all(), place, measures)

    def contribute(self, board, rows) -> None:
        t, ws = board.totals[self.key], board.period.window_start

        def link(**params) -> str:
            return board.links.to("incidents", **params)

        board.sections.append(
            Section(
                "incidents",
                _("突发事件信息报送"),
                _("三级负责制：县报市、市报省时限按分钟计"),
                [
                    Kpi(_("处置中"), Num(t["open"], link(status=Incident.Status.OPEN)), _("尚未终报")),
                    Kpi(
                        _("报送超时"),
                        Num(t["missed"], link(missed="yes", received_from=ws)),
                        _("近12个月，报市或报省超过时限"),
                        tone="danger",
                    ),
                    Kpi(_("接报事件"), Num(t["reported"], link(received_from=ws)), _("近12个月")),
                ],
            )
        )
        board.zero_parts += self.zero_parts_of(board, t, None)
        board.definitions.append(
            (
                _("突发事件信息报送"),
                _(
                    "处置中：尚未终报的突发事件；报送超时：近12个月接报的事件中，报市或报省晚于时限，或未报送且时限已过；"
                    "职务犯罪、执法冲突、负面舆情类事件计入“三个零”目标；关联的同一事件问题或投诉已计入同一目标的，不重复计算。"
                ),
            )
        )

    def zero_parts_of(self, board, figures, link) -> list[ZeroPart]:
        return [
            ZeroPart(
                "duty_crime",
                figures["duty_crime"],
                hint=_("涉嫌职务犯罪的突发事件"),
                definition=_("报送的涉嫌职务犯罪突发事件（关联问题已计入的除外）"),
            ),
            ZeroPart(
                "conflict",
                figures["conflict"],
                hint=_("执法冲突类突发事件"),
                definition=_("报送的执法冲突类突发事件（关联问题或投诉已计入的除外）"),
            ),
            ZeroPart(
                "opinion",
                figures["opinion"],
                hint=_("负面舆情类突发事件"),
                definition=_("报送的负面舆情类突发事件（关联问题已计入的除外）"),
            ),
        ]
