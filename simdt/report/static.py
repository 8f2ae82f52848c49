"""Charts as static PNG (matplotlib) for print and CI: the same charts, colours and scales as the interactive page."""
from __future__ import annotations

import io
import math

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.colors import BoundaryNorm, ListedColormap, LogNorm, Normalize  # noqa: E402
from matplotlib.ticker import FuncFormatter  # noqa: E402

from simdt.report.charts import Chart, Figure, colour, dodges  # noqa: E402


def _nan(values) -> list:
    return [math.nan if v is None or (isinstance(v, float) and math.isinf(v)) else v for v in values]


def _line(ax, chart: Chart) -> None:
    for s in chart.series:
        x, y = _nan(s.x), _nan(s.y)
        if s.lo is not None:
            ax.fill_between(x, _nan(s.lo), _nan(s.hi), color=s.colour, alpha=0.15, lw=0)
        ax.plot(x, y, color=s.colour, ls="--" if s.dash else "-", lw=1.8, label=s.name)
        hollow = s.censored or [False] * len(x)
        for flag in (False, True):
            pts = [(a, b) for a, b, c in zip(x, y, hollow) if c == flag]
            if pts:
                ax.scatter(*zip(*pts), s=22, color=s.colour, facecolor="white" if flag else s.colour, zorder=3)


def _dots(ax, chart: Chart) -> None:
    rows = {c: i for i, c in enumerate(chart.categories)}
    for s, offset in zip(chart.series, dodges(len(chart.series))):
        ax.scatter(_nan(s.x), [rows[c] - offset for c in s.y], s=28, color=s.colour, alpha=0.85, label=s.name, zorder=3)
    ax.set_yticks(range(len(rows)), list(rows), fontsize=7)
    ax.set_ylim(len(rows) - 0.5, -0.5)
    ax.grid(axis="y", alpha=0.2)


def _hbar(ax, chart: Chart) -> None:
    left = [0.0] * len(chart.categories)
    for s in chart.series:
        ax.barh(range(len(chart.categories)), _nan(s.x), left=left, color=s.colour, label=s.name, height=0.7)
        left = [a + (b if b == b else 0) for a, b in zip(left, _nan(s.x))]
    ax.set_yticks(range(len(chart.categories)), chart.categories, fontsize=8)
    ax.invert_yaxis()


def _heatmap(ax, chart: Chart):
    sc = chart.scale
    data = [[math.nan if v is None or (sc.log and not sc.levels and v <= 0) else v for v in row] for row in chart.heat]
    if sc.levels:
        names = list(sc.levels.values())
        cmap = ListedColormap([colour(n) for n in names])
        levels = sorted(sc.levels)
        norm = BoundaryNorm([levels[0] - 0.5, *[(a + b) / 2 for a, b in zip(levels, levels[1:])], levels[-1] + 0.5], cmap.N)
    else:
        cmap = plt.get_cmap("viridis").copy()
        norm = LogNorm(sc.low, sc.high, clip=True) if sc.log else Normalize(sc.low, sc.high, clip=True)
    cmap = cmap.with_extremes(bad="#f2f2f2")
    im = ax.pcolormesh(chart.edges, range(len(chart.categories) + 1), data, cmap=cmap, norm=norm)
    ax.set_yticks([i + 0.5 for i in range(len(chart.categories))], chart.categories, fontsize=7)
    ax.invert_yaxis()
    return im


def _intervals(ax, chart: Chart) -> None:
    rows = {c: i for i, c in enumerate(chart.categories)}
    for s in chart.series:
        offsets = s.lane or [(0.0, 0.35)] * len(s.x)
        for site, x0, x1, (off, half) in zip(s.y, s.x, s.hover["x1"], offsets):
            ax.broken_barh([(x0, x1 - x0)], (rows[site] - off - half, 2 * half), color=s.colour)
        ax.bar(0, 0, color=s.colour, label=s.name)  # legend entry
    ax.set_yticks(range(len(rows)), list(rows), fontsize=7)
    ax.set_ylim(len(rows) - 0.5, -0.5)


DRAW = {"line": _line, "dots": _dots, "hbar": _hbar, "heatmap": _heatmap, "intervals": _intervals}
_plain = FuncFormatter(lambda v, _: f"{v:,.4g}")


def render(fig: Figure) -> bytes:
    widths = fig.widths or [1] * len(fig.panels)
    height = max(p.height for p in fig.panels) / 80
    f, axes = plt.subplots(1, len(fig.panels), figsize=(14, height), squeeze=False, gridspec_kw={"width_ratios": widths})
    for ax, chart in zip(axes[0], fig.panels):
        if chart.x_log:
            ax.set_xscale("log")
        if chart.y_log:
            ax.set_yscale("log")
        mappable = DRAW[chart.kind](ax, chart)
        for ref in chart.refs:
            (ax.axhline if ref.axis == "y" else ax.axvline)(ref.value, color=ref.colour, ls="--", lw=1)
        ax.set_title(chart.title, fontsize=9)
        ax.set_xlabel(chart.x_label)
        ax.set_ylabel(chart.y_label)
        ax.xaxis.set_major_formatter(_plain)
        if chart.kind == "line":
            ax.yaxis.set_major_formatter(_plain)
            ax.grid(alpha=0.3, which="both")
        if chart.x_ticks:
            ax.set_xticks(list(chart.x_ticks), list(chart.x_ticks.values()), fontsize=7)
        if chart.x_range:
            ax.set_xlim(*chart.x_range)
        if chart.y_range:
            ax.set_ylim(*chart.y_range)
        if mappable is not None and not chart.scale.levels:
            f.colorbar(mappable, ax=ax, pad=0.01, label=chart.scale.label)
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)  # beside, never over
    f.tight_layout()
    buf = io.BytesIO()
    f.savefig(buf, format="png", dpi=80)
    plt.close(f)
    return buf.getvalue()
