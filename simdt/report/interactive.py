"""Charts as interactive Bokeh plots embedded in the page: hover shows each value with its unit, timelines zoom and
pan, a click on a legend entry hides that method. The page carries BokehJS inline, so it opens offline."""
from __future__ import annotations

import math

from bokeh.embed import components
from bokeh.layouts import row
from bokeh.models import (BasicTickFormatter, ColorBar, ColumnDataSource, FixedTicker, HoverTool, Legend, LinearColorMapper,
                          LogColorMapper, Range1d, Span)
from bokeh.palettes import Viridis256
from bokeh.plotting import figure as bk_figure
from bokeh.resources import Resources
from bokeh.transform import dodge

from simdt.report.charts import Chart, Figure, colour, dodges

TOOLS = "pan,xwheel_zoom,box_zoom,reset,save"
RESOURCES = Resources(mode="inline", components=["bokeh"])  # plots only: no widgets, tables or WebGL needed


def _clean(values) -> list:
    return [float("nan") if v is None or (isinstance(v, float) and math.isinf(v)) else v for v in values]


def _plot(chart: Chart, width: int):
    kw = {"title": chart.title, "width": width, "height": chart.height, "tools": TOOLS, "toolbar_location": "above",
          "x_axis_type": "log" if chart.x_log else "linear", "y_axis_type": "log" if chart.y_log else "auto"}
    if chart.kind in ("dots", "hbar"):
        kw["y_range"] = list(reversed(chart.categories))
    p = bk_figure(**kw)
    p.toolbar.logo, p.toolbar.autohide = None, True
    p.xaxis.axis_label, p.yaxis.axis_label = chart.x_label, chart.y_label
    for axis, log in ((p.xaxis, chart.x_log), (p.yaxis, chart.y_log)):
        if chart.kind not in ("dots", "hbar") or axis is p.xaxis:
            axis.formatter = BasicTickFormatter(use_scientific=False) if log else axis.formatter
    if chart.x_ticks:
        p.xaxis.ticker = FixedTicker(ticks=list(chart.x_ticks))
        p.xaxis.major_label_overrides = dict(chart.x_ticks)
    if chart.x_range:
        p.x_range = Range1d(*chart.x_range)
    if chart.y_range:
        p.y_range = Range1d(*chart.y_range)
    p.add_layout(Legend(click_policy="hide", label_text_font_size="8pt"), "right")  # beside the plot, never over it
    return p


def _line(p, chart: Chart) -> None:
    for s in chart.series:
        data = {"x": _clean(s.x), "y": _clean(s.y), **s.hover}
        if s.lo is not None:
            data["lo"], data["hi"] = _clean(s.lo), _clean(s.hi)
        src = ColumnDataSource(data)
        dash = "dashed" if s.dash else "solid"
        if s.lo is not None:
            p.varea(x="x", y1="lo", y2="hi", source=src, fill_color=s.colour, fill_alpha=0.15, legend_label=s.name)
        p.line("x", "y", source=src, color=s.colour, line_width=2, line_dash=dash, legend_label=s.name)
        fill = ["white" if c else s.colour for c in s.censored] if s.censored else s.colour
        src.data["fill"] = fill if isinstance(fill, list) else [fill] * len(data["x"])
        dots = p.scatter("x", "y", source=src, size=7, color=s.colour, fill_color="fill", legend_label=s.name)
        _hover(p, dots, s)


def _dots(p, chart: Chart) -> None:
    for s, offset in zip(chart.series, dodges(len(chart.series))):
        src = ColumnDataSource({"x": _clean(s.x), "y": s.y, **s.hover})
        y = dodge("y", offset, range=p.y_range)
        _hover(p, p.scatter("x", y, source=src, size=9, color=s.colour, alpha=0.85, legend_label=s.name), s)


def _hover(p, renderer, s) -> None:
    """Hover on a series' points: its name, then its formatted columns (x and y with units)."""
    p.add_tools(HoverTool(renderers=[renderer], tooltips=[(s.name, ""), *[(k, f"@{{{k}}}") for k in s.hover]]))


def _hbar(p, chart: Chart) -> None:
    data = {"y": chart.categories, **{s.name: _clean(s.x) for s in chart.series}}
    for s in chart.series:
        data.update({f"{s.name} text": s.hover.get("text", [""] * len(chart.categories))})
    names = [s.name for s in chart.series]
    renderers = p.hbar_stack(names, y="y", height=0.7, source=ColumnDataSource(data),
                             color=[s.colour for s in chart.series], legend_label=names)
    for r, s in zip(renderers, chart.series):
        p.add_tools(HoverTool(renderers=[r], tooltips=[("", "@y"), (s.name, f"@{{{s.name} text}}")]))


def _heatmap(p, chart: Chart) -> None:
    sc = chart.scale
    left, right, bottom, top, value, text = [], [], [], [], [], []
    rows = len(chart.categories)
    for i, (name, cells) in enumerate(zip(chart.categories, chart.heat)):
        for j, v in enumerate(cells):
            if v is None or (isinstance(v, float) and math.isnan(v)):
                continue
            left.append(chart.edges[j])
            right.append(chart.edges[j + 1])
            bottom.append(rows - i - 1)
            top.append(rows - i)
            value.append(v if v > 0 or not sc.log else float("nan"))
            text.append(chart.series[0].hover["cells"][i][j] if chart.series and "cells" in chart.series[0].hover else f"{v:g}")
    if sc.levels:
        mapper = LinearColorMapper(palette=[colour(n) for n in sc.levels.values()], low=min(sc.levels), high=max(sc.levels))
    elif sc.log:
        mapper = LogColorMapper(palette=Viridis256, low=sc.low, high=sc.high, nan_color="#f2f2f2")
    else:
        mapper = LinearColorMapper(palette=Viridis256, low=sc.low, high=sc.high, nan_color="#f2f2f2")
    src = ColumnDataSource({"left": left, "right": right, "bottom": bottom, "top": top, "v": value, "text": text,
                            "row": [chart.categories[rows - 1 - b] for b in bottom]})
    p.quad(left="left", right="right", bottom="bottom", top="top", source=src, line_color=None,
           fill_color={"field": "v", "transform": mapper})
    p.yaxis.ticker = FixedTicker(ticks=[rows - i - 0.5 for i in range(rows)])
    p.yaxis.major_label_overrides = {rows - i - 0.5: name for i, name in enumerate(chart.categories)}
    p.y_range = Range1d(0, rows)
    p.add_tools(HoverTool(tooltips=[("", "@row"), ("", "@text")]))
    if not sc.levels:
        p.add_layout(ColorBar(color_mapper=mapper, title=sc.label, width=10), "right")


def _intervals(p, chart: Chart) -> None:
    rows = len(chart.categories)
    for s in chart.series:
        ys = [rows - 1 - chart.categories.index(c) + 0.5 for c in s.y]
        offsets = s.lane or [(0.0, 0.35)] * len(ys)
        src = ColumnDataSource({"left": _clean(s.x), "right": s.hover["x1"], "bottom": [y + o - h for y, (o, h) in zip(ys, offsets)],
                                "top": [y + o + h for y, (o, h) in zip(ys, offsets)], "site": s.y, "text": s.hover["text"]})
        p.quad(left="left", right="right", bottom="bottom", top="top", source=src, fill_color=s.colour, line_color=None,
               legend_label=s.name)
    p.yaxis.ticker = FixedTicker(ticks=[rows - i - 0.5 for i in range(rows)])
    p.yaxis.major_label_overrides = {rows - i - 0.5: name for i, name in enumerate(chart.categories)}
    p.y_range = Range1d(0, rows)
    p.add_tools(HoverTool(tooltips=[("", "@site"), ("", "@text")]))


DRAW = {"line": _line, "dots": _dots, "hbar": _hbar, "heatmap": _heatmap, "intervals": _intervals}


def _refs(p, chart: Chart) -> None:
    for ref in chart.refs:
        p.add_layout(Span(location=ref.value, dimension="width" if ref.axis == "y" else "height",
                          line_color=ref.colour, line_dash="dashed", line_width=1.5))


def render(fig: Figure, page_width: int = 1200) -> tuple[str, str]:
    """(script, div) of one figure for the page."""
    widths = fig.widths or [page_width // len(fig.panels)] * len(fig.panels)
    plots = []
    for chart, width in zip(fig.panels, widths):
        p = _plot(chart, width)
        DRAW[chart.kind](p, chart)
        _refs(p, chart)
        if not p.legend.items:
            p.legend.visible = False
        plots.append(p)
    if len(plots) > 1 and all(c.kind == "line" for c in fig.panels):
        _one_legend(plots)
    return components(row(*plots) if len(plots) > 1 else plots[0])


def _one_legend(plots) -> None:
    """Panels of one figure show the same series: keep the last panel's legend and let a click there hide the
    series in every panel."""
    items = {item.label.value: item.renderers for item in plots[-1].legend.items}
    for p in plots[:-1]:
        for item in p.legend.items:
            for source in items.get(item.label.value, []):
                for renderer in item.renderers:
                    source.js_link("visible", renderer, "visible")
        p.legend.visible = False


def head() -> str:
    """The BokehJS script tags, inline, once per page."""
    return RESOURCES.render_js()
