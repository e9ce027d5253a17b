"""What the dashboards count of listed supervision (the ``supervision`` figure set of
``portal.dashboards.registry``): every figure defined once, as database aggregates over the
ledger items, by the item's region and responsible unit (as items are scoped).

- **listed** (在办): items not delisted; **overdue**: of those, the deadline before today, exactly
  as the ledger's ``overdue=yes`` says;
- **delisted** (12m): items delisted (摘牌) in the twelve months' window, and **delisted on time**:
  those of them delisted on or before their deadline (Asia/Shanghai date);
- **average working days to delist**: the working days from listing to delisting (fixed by the
  calendar when delisted, ``delist_working_days``) averaged over the items delisted in the window.
"""

from __future__ import annotations

from django.db.models import Count, F, Q, Sum
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from portal.dashboards.period import Period
from portal.dashboards.registry import DrillList, FigureSet, NamedFigure, PlaceColumn, Section, register
from portal.dashboards.selectors import Kpi, Num, rate
from supervision.models import SupervisionFigure, SupervisionItem
from supervision.selectors import FILTERS

OPEN = ~Q(status=SupervisionItem.Status.DELISTED)


def supervision_measures(period: Period) -> dict:
    delisted = Q(status=SupervisionItem.Status.DELISTED, delisted_at__gte=Period.aware(period.window_start))
    return {
        "open": Count("id", filter=OPEN),
        "overdue": Count("id", filter=OPEN & Q(deadline__lt=period.today)),
        "delisted": Count("id", filter=delisted),
        "delisted_on_time": Count("id", filter=delisted & Q(delisted_at__date__lte=F("deadline"))),
        "delist_days": Coalesce(Sum("delist_working_days", filter=delisted), 0),
    }


def _average(t) -> float | None:
    return t["delist_days"] / t["delisted"] if t["delisted"] else None


@register
class SupervisionFigures(FigureSet):
    key = "supervision"
    order = 30
    model = SupervisionFigure
    place_fields = ("open", "overdue", "delisted", "delisted_on_time")
    lists = (
        DrillList(
            "supervision",
            "supervision:index",
            lambda: frozenset({*FILTERS, "unit"}),
            lambda: SupervisionItem,
        ),
    )
    named = (
        NamedFigure(
            "supervision.delisted_on_time_rate",
            gettext_lazy("挂牌督办按期摘牌率"),
            "rate",
            lambda t: (
                (t["supervision"]["delisted_on_time"] / t["supervision"]["delisted"])
                if t["supervision"]["delisted"]
                else None
            ),
        ),
    )
    place_columns = (PlaceColumn("sup_overdue", gettext_lazy("督办逾期"), alarm=True),)

    def refresh(self, table, period: Period, facts: dict) -> None:
        place = {"region_id": F("region_id"), "unit_id": F("unit_id")}
        table.insert("all", SupervisionItem.objects.filter(unit__isnull=False), place, supervision_measures(period))

    def contribute(self, board, rows) -> None:
        t, period = board.totals[self.key], board.period

        def link(**params) -> str:
            return board.links.to("supervision", **params)

        average = _average(t)
        board.sections.append(
            Section(
                "supervision",
                _("挂牌督办"),
                _("按督办事项所属区划和责任单位统计"),
                [
                    Kpi(_("挂牌在办"), Num(t["open"], link(status="open")), _("未摘牌")),
                    Kpi(_("督办逾期"), Num(t["overdue"], link(overdue="yes")), _("超过整改期限"), tone="danger"),
                    Kpi(
                        _("摘牌"),
                        Num(t["delisted"], link(status="delisted", delisted_from=period.window_start)),
                        _("近12个月"),
                    ),
                    Kpi(
                        _("按期摘牌"),
                        Num(
                            t["delisted_on_time"],
                            link(status="delisted", delisted_from=period.window_start, on_time="yes"),
                        ),
                        _("按期摘牌率 %(rate)s") % {"rate": rate(t["delisted_on_time"], t["delisted"])},
                    ),
                    Kpi(
                        _("平均摘牌用时"),
                        Num(average, kind="ratio"),
                        _("工作日，近12个月摘牌的事项"),
                    ),
                ],
            )
        )
        board.definitions.append(
            (
                _("挂牌督办"),
                _(
                    "在办：未摘牌的督办事项；逾期：在办且整改期限早于今天；摘牌：近12个月摘牌；按期摘牌：摘牌日期不晚于"
                    "整改期限；平均摘牌用时：挂牌至摘牌的工作日数的平均值。"
                ),
            )
        )

    def place_nums(self, board, place, figures, link):
        return {"sup_overdue": Num(figures["overdue"], link("supervision", overdue="yes"))}
