"""What the dashboards count of enforcement cases (the ``enforcement`` figure set of
``portal.dashboards.registry``), registered by ``cases/figures.py``.

Every figure counts **current versions** of cases (an updated case counts once, as its latest
version), by the case's region (案发区划, as cases are scoped) and uploading unit, over all
years, exactly as the case search (``/enforcement-cases/``) lists them unfiltered:

- **cases**: all of them; by enforcement mode (``mode=``), by violation item
  (``violation_item=``);
- **penalized** (作出处罚): a penalty type other than 不予处罚 (``penalized=yes``);
- **soft measures** (柔性执法, §14 说服教育 劝导示范 警示告诫 指导约谈): cases with at least one
  (``soft=yes``); **soft only**: soft measures and no penalty (``soft=yes&penalized=no``); and
  per measure (``soft_measure=``), with and without a penalty: soft measures against penalties.

Cheap at 10,000,000 cases: the refresh groups the case tally (``cases.enforcement.tally``,
kept by the upload in its transaction: a few thousand rows), never the cases themselves.
"""

from __future__ import annotations

from django.db.models import F, Q, Sum, Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cases.enforcement.models import SOFT_COLUMNS, EnforcementCase, EnforcementCaseTally, EnforcementFigure
from portal.dashboards import charts
from portal.dashboards.registry import Board, Card, DrillList, FigureSet, PlaceColumn, Section, register
from portal.dashboards.selectors import Kpi, Num, rate


class Dim:
    ALL = "all"
    MODE = "mode"
    ITEM = "item"
    MEASURE = "measure"


LIST = "enforcement_cases"
PENALIZED = ~Q(penalty_type=EnforcementCase.PenaltyType.NONE)
SOFT = Q(persuasion=True) | Q(demonstration=True) | Q(warning=True) | Q(interview=True)


def _sum(condition: Q | None = None):
    return Coalesce(Sum("cases", filter=condition), 0)


def case_measures() -> dict:
    return {
        "total": _sum(),
        "penalized": _sum(PENALIZED),
        "soft": _sum(SOFT),
        "soft_only": _sum(SOFT & ~PENALIZED),
    }


def _list_filters() -> frozenset[str]:
    from cases.enforcement.views import CaseSearchForm

    return frozenset(name for name in CaseSearchForm.base_fields if name != "page")


MODE_LABELS = dict(EnforcementCase.Mode.choices)
SOFT_LABELS = dict(EnforcementCase.SoftMeasure.choices)


@register
class EnforcementFigures(FigureSet):
    key = "enforcement"
    order = 15
    model = EnforcementFigure
    row_values = ("violation_item__code", "violation_item__name")
    place_fields = ("total", "penalized", "soft")
    lists = (DrillList(LIST, "enforcement_cases:list", _list_filters, lambda: EnforcementCase),)
    place_columns = (PlaceColumn("enf_total", gettext_lazy("执法案件")),)

    def refresh(self, table, period, facts: dict) -> None:
        tally = EnforcementCaseTally.objects.filter(cases__gt=0)
        place = {"region_id": F("region_id"), "unit_id": F("unit_id")}
        table.insert(Dim.ALL, tally, place, case_measures())
        table.insert(Dim.MODE, tally, {**place, "mode": F("mode")}, case_measures())
        table.insert(Dim.ITEM, tally, {**place, "violation_item_id": F("violation_item_id")}, case_measures())
        for measure in SOFT_COLUMNS:
            table.insert(
                Dim.MEASURE,
                tally.filter(**{measure: True}),
                {**place, "measure": Value(measure)},
                {"total": _sum(), "penalized": _sum(PENALIZED)},
            )

    def contribute(self, board: Board, rows: dict) -> None:
        t = board.totals[self.key]

        def link(**params) -> str:
            return board.links.to(LIST, **params)

        board.sections.append(
            Section(
                "enforcement",
                _("执法案件"),
                _("各单位上传的执法案件（当前版本），按案发区划和上传单位统计"),
                [
                    Kpi(_("执法案件"), Num(t["total"], link())),
                    Kpi(_("作出处罚"), Num(t["penalized"], link(penalized="yes")), _("处罚种类不是“不予处罚”")),
                    Kpi(
                        _("适用柔性执法措施"),
                        Num(t["soft"], link(soft="yes")),
                        _("占案件 %(rate)s") % {"rate": rate(t["soft"], t["total"])},
                        tone="success",
                    ),
                    Kpi(
                        _("仅柔性措施、未处罚"),
                        Num(t["soft_only"], link(soft="yes", penalized="no")),
                        _("以说服教育等代替处罚"),
                    ),
                ],
            )
        )
        modes = [
            {
                "name": str(MODE_LABELS.get(row["mode"], row["mode"])),
                "total": Num(row["total"], link(mode=row["mode"])),
                "penalized": Num(row["penalized"], link(mode=row["mode"], penalized="yes")),
                "soft": Num(row["soft"], link(mode=row["mode"], soft="yes")),
            }
            for row in sorted(rows[Dim.MODE], key=lambda r: list(MODE_LABELS).index(r["mode"]))
        ]
        items = [
            {
                "name": f"{row['violation_item__code']} {row['violation_item__name']}",
                "total": Num(row["total"], link(violation_item=row["violation_item_id"])),
                "penalized": Num(row["penalized"], link(violation_item=row["violation_item_id"], penalized="yes")),
                "soft": Num(row["soft"], link(violation_item=row["violation_item_id"], soft="yes")),
            }
            for row in sorted(rows[Dim.ITEM], key=lambda r: (-r["total"], r["violation_item__code"]))
        ]
        soft = [
            {
                "name": str(SOFT_LABELS[row["measure"]]),
                "total": Num(row["total"], link(soft_measure=row["measure"])),
                "penalized": Num(row["penalized"], link(soft_measure=row["measure"], penalized="yes")),
                "unpenalized": Num(row["total"] - row["penalized"], link(soft_measure=row["measure"], penalized="no")),
            }
            for row in sorted(rows[Dim.MEASURE], key=lambda r: list(SOFT_COLUMNS).index(r["measure"]))
        ]
        board.cards += [
            Card("enforcement-modes", "cases/dashboard/_enforcement_modes.html", "detail", {"rows": modes}, 5, 50),
            Card(
                "enforcement-soft",
                "cases/dashboard/_enforcement_soft.html",
                "detail",
                {
                    "rows": soft,
                    "penalized": Num(t["penalized"], link(penalized="yes")),
                    "soft_only": Num(t["soft_only"], link(soft="yes", penalized="no")),
                },
                7,
                50,
            ),
            Card("enforcement-items", "cases/dashboard/_enforcement_items.html", "detail", {"rows": items}, 12, 60),
        ]
        board.charts["chart-enforcement-soft"] = {
            "option": charts.bars(
                [row["name"] for row in soft],
                [
                    (_("并处处罚"), [row["penalized"].value for row in soft], charts.RED),
                    (_("未处罚"), [row["unpenalized"].value for row in soft], charts.GREEN),
                ],
                horizontal=True,
                stack=True,
            )
        }
        board.definitions.append(
            (
                _("执法案件"),
                _(
                    "各单位执法办案系统上传的案件，每件按其最新版本计一次；作出处罚：处罚种类不是“不予处罚”；"
                    "柔性执法措施：说服教育、劝导示范、警示告诫、指导约谈（一件案件可适用多项）。"
                ),
            )
        )

    def place_nums(self, board: Board, place, figures, link) -> dict:
        return {"enf_total": Num(figures["total"], link(LIST))}
