"""The dashboards' ECharts options, built from the same figures as the tables beside them.

Each chart is ``{"option": <ECharts option>, "urls": [...]}`` keyed by the id of its container;
``static/portal/dashboards.js`` mounts them and follows ``urls[dataIndex]`` on a click (a
region's or unit's own dashboard). Options hold data and labels only: no functions, so they
travel as JSON (``json_script``).
"""

from __future__ import annotations

from django.utils.translation import gettext as _

PALETTE = ["#0b3d91", "#1f8a70", "#d98a00", "#7a4fb5", "#c0392b", "#2e86c1", "#8e6c3a", "#5a6475"]
BLUE, GREEN, AMBER, PURPLE, RED = PALETTE[0], PALETTE[1], PALETTE[2], PALETTE[3], PALETTE[4]
AXIS = {"axisLine": {"lineStyle": {"color": "#c3cad6"}}, "axisLabel": {"color": "#5a6475"}}
SPLIT = {"splitLine": {"lineStyle": {"color": "#e8ecf2"}}}


def _bars(categories, bars, *, line=None, horizontal=False, stack=False) -> dict:
    """Bars (name, values, colour) over ``categories``, optionally with a percentage line on a
    second axis."""
    category_axis = {"type": "category", "data": categories, **AXIS}
    value_axis = {"type": "value", "minInterval": 1, **AXIS, **SPLIT}
    if horizontal:
        category_axis.update(inverse=True, axisTick={"show": False})
    else:
        # Every name shown; many of them (the cities of the province) slanted to fit.
        category_axis["axisLabel"] = {**AXIS["axisLabel"], "interval": 0, "rotate": 40 if len(categories) > 8 else 0}
    series = [
        {
            "type": "bar",
            "name": name,
            "data": values,
            "itemStyle": {"color": colour, "borderRadius": [0, 3, 3, 0] if horizontal else [3, 3, 0, 0]},
            "barMaxWidth": 22 if horizontal else 28,
            **({"stack": "total"} if stack else {}),
        }
        for name, values, colour in bars
    ]
    y_axes = [value_axis]
    if line is not None:
        name, values, colour = line
        y_axes.append(
            {"type": "value", "min": 0, "max": 100, "axisLabel": {"formatter": "{value}%", "color": "#5a6475"}}
            | {"splitLine": {"show": False}}
        )
        series.append(
            {
                "type": "line",
                "name": name,
                "data": values,
                "yAxisIndex": 1,
                "smooth": False,
                "symbolSize": 6,
                "connectNulls": True,
                "itemStyle": {"color": colour},
                "lineStyle": {"width": 2},
            }
        )
    option = {
        "color": PALETTE,
        "tooltip": {"trigger": "axis", "axisPointer": {"type": "shadow"}},
        "legend": {"top": 0, "type": "scroll", "textStyle": {"color": "#5a6475"}},
        "grid": {"left": 8, "right": 16, "top": 36, "bottom": 8, "containLabel": True},
        "series": series,
    }
    if horizontal:
        option.update(xAxis=value_axis, yAxis=category_axis)
    else:
        option.update(xAxis=category_axis, yAxis=y_axes if len(y_axes) > 1 else value_axis)
    return option


def _pie(items) -> dict:
    return {
        "color": PALETTE,
        "tooltip": {"trigger": "item", "formatter": "{b}: {c} ({d}%)"},
        "legend": {"bottom": 0, "type": "scroll", "textStyle": {"color": "#5a6475"}},
        "series": [
            {
                "type": "pie",
                "radius": ["38%", "66%"],
                "center": ["50%", "45%"],
                "avoidLabelOverlap": True,
                "itemStyle": {"borderColor": "#fff", "borderWidth": 2},
                "label": {"formatter": "{b}\n{c}", "color": "#1d2433"},
                "data": [{"name": name, "value": value} for name, value in items if value],
            }
        ],
    }


def dashboard_charts(*, scope, months, categories, domains, complaint_categories, accountability, places) -> dict:
    labels = [m["label"] for m in months]
    charts = {
        "chart-trend-problems": {
            "option": _bars(
                labels,
                [
                    (_("发现问题"), [m["found"].value for m in months], BLUE),
                    (_("销号"), [m["closed"].value for m in months], GREEN),
                ],
                line=(_("按期整改率"), [m["on_time"].percent for m in months], AMBER),
            )
        },
        "chart-trend-complaints": {
            "option": _bars(
                labels,
                [
                    (_("受理诉求"), [m["received"].value for m in months], BLUE),
                    (_("其中投诉举报"), [m["complaints"].value for m in months], RED),
                ],
                line=(_("回访满意率"), [m["satisfaction"].percent for m in months], GREEN),
            )
        },
        "chart-problem-categories": {
            "option": _bars(
                [row["name"] for row in categories],
                [
                    (_("逾期"), [row["overdue"].value for row in categories], RED),
                    (_("在办未逾期"), [row["open"].value - row["overdue"].value for row in categories], BLUE),
                ],
                horizontal=True,
                stack=True,
            )
        },
        "chart-problem-domains": {"option": _pie([(row["name"], row["open"].value) for row in domains])},
        "chart-complaint-categories": {
            "option": _bars(
                [row["name"] for row in complaint_categories],
                [
                    (_("投诉举报"), [row["complaints"].value for row in complaint_categories], RED),
                    (
                        _("其他诉求"),
                        [row["received"].value - row["complaints"].value for row in complaint_categories],
                        BLUE,
                    ),
                ],
                horizontal=True,
                stack=True,
            )
        },
        "chart-accountability": {"option": _pie([(row["name"], row["count"].value) for row in accountability])},
    }
    if places:
        ranked = sorted(places, key=lambda p: -p.problems["overdue"])
        charts["region-chart"] = {
            "option": _bars(
                [p.name for p in ranked],
                [
                    (_("逾期"), [p.problems["overdue"] for p in ranked], RED),
                    (_("在办未逾期"), [p.problems["open"] - p.problems["overdue"] for p in ranked], BLUE),
                ],
                line=(_("按期整改率"), [p.nums["on_time"].percent for p in ranked], AMBER),
                stack=True,
            ),
            "urls": [p.url for p in ranked],
        }
        by_complaints = sorted(places, key=lambda p: -(p.nums["per_unit"].value or 0))
        charts["chart-places-complaints"] = {
            "option": _bars(
                [p.name for p in by_complaints],
                [(_("每单位投诉举报（件）"), [_round(p.nums["per_unit"].value) for p in by_complaints], PURPLE)],
            ),
            "urls": [p.url for p in by_complaints],
        }
    return charts


def _round(value):
    return None if value is None else round(value, 1)
