"""What a report figure shows, apart from how it is drawn: the same chart becomes an interactive Bokeh plot in the
page (``interactive``) and a static PNG for print and CI (``static``). Colours are fixed here, so a method, a
traffic category or a client state has one colour in every figure of every report.

Kinds of chart:
- ``line``: series of (x, y) points, optional band [lo, hi], hollow markers where a value is censored.
- ``dots``: one row per category (a link, a site), one dot per series (a method) at its x value.
- ``hbar``: horizontal bars per category (a method), stacked by series (parts of a total).
- ``heatmap``: rows x bins, one colour scale given by ``scale`` and shared by every panel using it.
- ``intervals``: one row per category (a site), segments [x0, x1) coloured by series (a state), each in a lane.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

METHOD_COLOURS = {"fedavg": "#1f77b4", "fedprox": "#ff7f0e", "dtml": "#2ca02c", "fpf": "#d62728", "lpe": "#9467bd",
                  "cwa": "#8c564b", "dtkd": "#e377c2"}
EXTRA_COLOURS = ("#7f7f7f", "#bcbd22", "#17becf", "#393b79", "#637939", "#8c6d31", "#843c39", "#7b4173")
PART_COLOURS = {  # traffic directions and categories, client states
    "up": "#f58518", "down": "#4c78a8", "model download": "#4c78a8", "update upload": "#f58518",  # down ~ downloads
    "twin sync": "#54a24b", "telemetry": "#72b7b2", "control": "#b279a2", "headers/handshake": "#9d755d",
    "retransmission": "#e45756", "offline": "#e45756", "crashed": "#7f3f98", "gated out": "#bab0ac",
    "training": "#54a24b", "sending": "#4c78a8", "receiving": "#f58518", "waiting": "#ffffff",
    "pass": "#54a24b", "fail": "#e45756",
}


def colour(name: str, others: dict | None = None) -> str:
    """The fixed colour of a method, part or state; names not known here get a stable colour from their text."""
    known = {**METHOD_COLOURS, **PART_COLOURS, **(others or {})}
    if name in known:
        return known[name]
    return EXTRA_COLOURS[sum(map(ord, name)) % len(EXTRA_COLOURS)]


@dataclass
class Series:
    name: str
    x: list
    y: list
    lo: list | None = None
    hi: list | None = None
    censored: list[bool] | None = None  # drawn hollow: a lower bound, not a value
    dash: bool = False
    lane: list[float] | None = None  # intervals: vertical offset and half-height per segment
    hover: dict[str, list] = field(default_factory=dict)  # extra column -> formatted strings per point

    @property
    def colour(self) -> str:
        return colour(self.name.split(" · ")[0])


@dataclass
class Ref:
    """A reference line: the target, a deadline, a threshold."""
    axis: str  # 'x' (vertical line) or 'y' (horizontal line)
    value: float
    label: str
    colour: str = "#666666"


@dataclass
class Scale:
    """A colour scale shared by heatmap panels: values in [low, high] (log10 when ``log``; zero then drawn grey)."""
    low: float
    high: float
    label: str
    log: bool = True
    levels: dict[float, str] | None = None  # a discrete scale instead: value -> name (e.g. pass/fail)


@dataclass
class Chart:
    name: str
    title: str
    kind: str
    x_label: str = ""
    y_label: str = ""
    series: list[Series] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)
    refs: list[Ref] = field(default_factory=list)
    x_log: bool = False
    y_log: bool = False
    y_range: tuple[float, float] | None = None
    x_range: tuple[float, float] | None = None
    scale: Scale | None = None
    heat: list[list[float]] | None = None  # heatmap: rows (categories) x bins
    edges: list[float] | None = None  # heatmap: bin edges along x
    x_ticks: dict[float, str] | None = None  # labelled positions for values that are not quantities
    height: int = 320

    def points(self) -> int:
        """How many data points the chart draws (a chart without any is not drawn)."""
        cells = sum(1 for row in self.heat or [] for v in row if v is not None and not math.isnan(v))
        return cells + sum(sum(1 for y in s.y if y is not None and not (isinstance(y, float) and math.isnan(y)))
                           for s in self.series)


@dataclass
class Figure:
    """One or more chart panels side by side, with a caption."""
    name: str
    caption: str
    panels: list[Chart]
    widths: list[int] | None = None

    def drawable(self) -> bool:
        return any(p.points() for p in self.panels)


def dodges(n: int) -> list[float]:
    """Vertical offsets (in rows) that keep n series' dots in one row apart: equal values stay visible."""
    return [(i - (n - 1) / 2) * 0.6 / max(n, 1) for i in range(n)]


def spans_decade(values) -> bool:
    """True when positive ``values`` span at least a factor of ten: then the axis is logarithmic."""
    v = [x for x in values if x is not None and math.isfinite(x) and x > 0]
    return len(v) > 1 and max(v) / min(v) >= 10 and len(v) == len([x for x in values if x is not None and math.isfinite(x)])
