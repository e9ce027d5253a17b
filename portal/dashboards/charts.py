"""ECharts options for the dashboards' cards (the figure sets build theirs with these), from the
same figures as the tables beside them.

Each chart is ``{"option": <ECharts option>, "urls": [...]}`` keyed by the id of its container;
``static/portal/dashboards.js`` mounts them and follows ``urls[dataIndex]`` on a click (a
region's or unit's own dashboard). Options hold data and labels only: no functions, so they
travel as JSON (``json_script``).
"""

from __future__ import annotations

PALETTE = ["#0b3d91", "#1f8a70", "#d98a00", "#7a4fb5", "#c0392b", "#2e86c1", "#8e6c3a", "#5a6475"]
BLUE, GREEN, AMBER, PURPLE, RED = PALETTE[0], PALETTE[1], PALETTE[2], PALETTE[3], PALETTE[4]
AXIS = {"axisLine": {"lineStyle": {"color": "#c3cad6"}}, "axisLabel": {"color": "#5a6475"}}
SPLIT = {"splitLine": {"lineStyle": {"color": "#e8ecf2"}}}


def bars(categories, groups, *, line=None, horizontal=False, stack=False) -> dict:
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
        for name, values, colour in groups
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


def pie(items) -> dict:
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


def round1(value):
    return None if value is None else round(value, 1)
