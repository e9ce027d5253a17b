"""What the dashboards count of problem clues (the ``clues`` figure set of
``portal.dashboards.registry``, issue 19), registered by ``cases/figures.py``.

Every figure counts clues (``Clue``) by the clue's region and unit, over all time, exactly as
the clue queue (``/enforcement-cases/clues/``) lists them with its filters:

- **clues**: all of them; **open** (待研判, ``status=open``), **accepted** into the problem
  list (``status=accepted``), **dismissed** with a reason (``status=dismissed``);
- by rule (``rule=``) and by unit (``unit=``), each with its open ones.

Cheap whatever the case data's size: the refresh groups the clues (a candidate per finding,
not per case) and the dashboards read a scope's few dozen pre-grouped rows.
"""

from __future__ import annotations

from django.db.models import Count, F, Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cases.enforcement.clue_models import Clue, ClueFigure
from cases.enforcement.clues import RULES
from portal.dashboards.registry import Board, Card, DrillList, FigureSet, PlaceColumn, Section, register
from portal.dashboards.selectors import Kpi, Num, rate


class Dim:
    ALL = "all"
    RULE = "rule"
    UNIT = "unit"


LIST = "clues"
UNITS_SHOWN = 15  # the card lists the units with the most open clues


def clue_measures() -> dict:
    return {
        "total": Count("id"),
        "open": Count("id", filter=Q(status=Clue.Status.OPEN)),
        "accepted": Count("id", filter=Q(status=Clue.Status.ACCEPTED)),
        "dismissed": Count("id", filter=Q(status=Clue.Status.DISMISSED)),
    }


def _list_filters() -> frozenset[str]:
    from cases.enforcement.clue_views import ClueFilterForm

    return frozenset(ClueFilterForm.base_fields)


def _rule_name(code: str, stored: str) -> str:
    spec = RULES.get(code)
    return str(spec.name) if spec else stored


@register
class ClueFigures(FigureSet):
    key = "clues"
    order = 16
    model = ClueFigure
    row_values = ("rule__code", "rule__name", "agency__name")
    place_fields = ("total", "open")
    lists = (DrillList(LIST, "enforcement_cases:clues", _list_filters, lambda: Clue),)
    place_columns = (PlaceColumn("clue_open", gettext_lazy("待研判线索"), alarm=True),)

    def refresh(self, table, period, facts: dict) -> None:
        clues = Clue.objects.all()
        place = {"region_id": F("region_id"), "unit_id": F("unit_id")}
        table.insert(Dim.ALL, clues, place, clue_measures())
        table.insert(Dim.RULE, clues, {**place, "rule_id": F("rule_id")}, clue_measures())
        table.insert(Dim.UNIT, clues, {**place, "agency_id": F("unit_id")}, clue_measures())

    def contribute(self, board: Board, rows: dict) -> None:
        t = board.totals[self.key]

        def link(place=None, **params) -> str:
            return board.links.to(LIST, place, **params)

        board.sections.append(
            Section(
                "clues",
                _("问题线索"),
                _("从执法案件数据中按规则发现的问题线索，按线索的区划和单位统计"),
                [
                    Kpi(_("问题线索"), Num(t["total"], link())),
                    Kpi(_("待研判"), Num(t["open"], link(status=Clue.Status.OPEN)), tone="warning"),
                    Kpi(
                        _("已转为问题"),
                        Num(t["accepted"], link(status=Clue.Status.ACCEPTED)),
                        _("占已研判 %(rate)s") % {"rate": rate(t["accepted"], t["accepted"] + t["dismissed"])},
                        tone="danger",
                    ),
                    Kpi(_("已排除"), Num(t["dismissed"], link(status=Clue.Status.DISMISSED)), tone="success"),
                ],
            )
        )
        order = list(RULES)
        by_rule = [
            {
                "name": _rule_name(row["rule__code"], row["rule__name"]),
                "total": Num(row["total"], link(rule=row["rule__code"])),
                "open": Num(row["open"], link(rule=row["rule__code"], status=Clue.Status.OPEN)),
                "accepted": Num(row["accepted"], link(rule=row["rule__code"], status=Clue.Status.ACCEPTED)),
                "dismissed": Num(row["dismissed"], link(rule=row["rule__code"], status=Clue.Status.DISMISSED)),
                "_order": order.index(row["rule__code"]) if row["rule__code"] in order else len(order),
            }
            for row in rows[Dim.RULE]
            if row["total"]
        ]
        by_rule.sort(key=lambda r: r.pop("_order"))
        units = sorted(
            (row for row in rows[Dim.UNIT] if row["total"]),
            key=lambda r: (-r["open"], -r["total"], r["agency__name"] or ""),
        )
        # a unit's clues within the scope (its clues may lie in other regions too)
        within = {} if board.scope.unit else board.scope.list_params()
        by_unit = []
        for row in units[:UNITS_SHOWN]:
            at = {**within, "unit": row["agency_id"]}
            by_unit.append(
                {
                    "name": row["agency__name"],
                    "total": Num(row["total"], link(at)),
                    "open": Num(row["open"], link(at, status=Clue.Status.OPEN)),
                    "accepted": Num(row["accepted"], link(at, status=Clue.Status.ACCEPTED)),
                    "dismissed": Num(row["dismissed"], link(at, status=Clue.Status.DISMISSED)),
                }
            )
        board.cards.append(
            Card(
                "clues",
                "cases/dashboard/_clues.html",
                "detail",
                {"rows": by_rule, "units": by_unit, "more_units": max(len(units) - UNITS_SHOWN, 0)},
                12,
                70,
            )
        )
        board.definitions.append(
            (
                _("问题线索"),
                _(
                    "按线索规则从执法案件数据中发现的疑似问题（上传时和每晚检查），由市级或省级研判："
                    "待研判、已转为问题（来源“数据分析”）或已排除（须说明理由）。按线索的区划和单位统计。"
                ),
            )
        )

    def place_nums(self, board: Board, place, figures, link) -> dict:
        return {"clue_open": Num(figures["open"], link(LIST, status=Clue.Status.OPEN))}
