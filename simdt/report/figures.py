"""The report's figures as charts (``charts``), built from the report's tables. Units on every axis are chosen from
the data's magnitude; numeric grid values are plotted on a real axis, sorted, logarithmic where they span a
decade; one colour per method everywhere; one utilisation colour scale for every method."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd

from simdt import units
from simdt.report import fmt
from simdt.report.charts import Chart, Figure, Ref, Scale, Series, colour, spans_decade

LANES = {"offline": (0.0, 0.45), "crashed": (0.0, 0.45), "gated out": (0.0, 0.45), "training": (0.0, 0.3),
         "sending": (0.18, 0.13), "receiving": (-0.18, 0.13)}
MIN_WIDTH = 500
UTIL_SCALE = Scale(0.01, 100.0, "utilisation (%)")  # absolute and log: 0.01 % to 100 %, idle drawn grey


def _axis(kind: str, values) -> tuple[str, float]:
    return fmt.axis_unit(kind, list(values))


def curves(rounds: pd.DataFrame, metric: str, target: float, fl_start_s: float) -> Figure:
    t_unit, t_div = _axis("duration", rounds["t_end_s"] - fl_start_s)
    b_unit, b_div = _axis("size", rounds["cum_wire_bytes"])
    panels = []
    for x_label, xs in (("round", lambda r: r["round"]),
                        (f"simulated time since FL start ({t_unit})", lambda r: (r["t_end_s"] - fl_start_s) / t_div),
                        (f"cumulative wire bytes ({b_unit})", lambda r: r["cum_wire_bytes"] / b_div)):
        series = []
        for method, r in rounds.groupby("method", sort=False):
            r = r.sort_values("round")
            hover = {"round": r["round"].astype(int).astype(str).tolist(),
                     "time": [fmt.duration(v) for v in r["t_end_s"] - fl_start_s],
                     "wire": [fmt.size(v) for v in r["cum_wire_bytes"]], metric: [fmt.metric(v) for v in r[metric]]}
            series.append(Series(method, xs(r).tolist(), r[metric].tolist(), hover=hover))
        panels.append(Chart(f"curves-{x_label[:5]}", f"{metric} against {x_label.split(' (')[0]}", "line", x_label,
                            metric, series, refs=[Ref("y", target, "target")], y_range=(0, 1.02)))
    return Figure("curves", f"{metric} of the global model against rounds, simulated time and wire bytes; dashed: target",
                  panels)


def stacked(title: str, table: pd.DataFrame, unit_of: pd.Series) -> Chart:
    """Horizontal stacked bars per method; the parts are the table's columns (whatever categories it has)."""
    unit, div = _axis("size", unit_of)
    parts = [c for c in table.columns if c != "method" and table[c].sum() > 0]
    series = [Series(p, (table[p] / div).tolist(), table["method"].tolist(), hover={"text": [fmt.size(v) for v in table[p]]})
              for p in parts]
    return Chart(f"bytes-{title}", title, "hbar", f"wire bytes ({unit})", "", series, categories=table["method"].tolist(),
                 height=max(180, 34 * len(table) + 90))


def bytes_bars(by_direction: pd.DataFrame, by_category: pd.DataFrame) -> Figure:
    totals = by_direction.drop(columns="method").sum(axis=1)
    return Figure("bytes", "wire bytes per method by direction and by category (they add up to the wire total)",
                  [stacked("by direction", by_direction, totals), stacked("by category", by_category, totals)])


def dots(name: str, title: str, table: pd.DataFrame, rows: list[str], kind: str, caption: str, value_text=fmt.size) -> Figure:
    """One row per category (index of ``table``), one dot per method (columns); zero values are not drawn."""
    values = table.to_numpy().ravel()
    unit, div = _axis(kind, values) if kind else ("", 1.0)
    log = spans_decade(values[values > 0])
    series = []
    for method in table.columns:
        v = table[method]
        v = v[v > 0]
        series.append(Series(method, (v / div).tolist(), v.index.tolist(), hover={"value": [value_text(x) for x in v]}))
    label = f"{title} ({unit})" if unit else title
    top = float(values.max()) / div if len(values) else 1.0
    return Figure(name, caption, [Chart(name, title, "dots", label, "", series, categories=rows, x_log=log,
                                        x_range=None if log else (0, top * 1.08 or 1.0), height=max(200, 22 * len(rows) + 100))])


def links_dots(by_link: pd.DataFrame) -> Figure:
    t = by_link.set_index("link_dir")
    return dots("links", "wire bytes", t, t.index.tolist(), "size",
                "wire bytes per link direction and method (one dot per method; log axis when they span a decade)")


def utilisation(edges: np.ndarray, util: dict[str, pd.DataFrame], fl_start_s: float, top: int = 12) -> list[Figure]:
    """One heatmap per method on the same rows (the busiest link directions over all methods) and the same
    absolute log colour scale, so a bright cell means the same utilisation in every panel."""
    busiest = pd.concat(util.values()).groupby(level=0).max().max(axis=1).sort_values(ascending=False)
    rows = busiest.index[:top].tolist()
    unit, div = _axis("duration", edges - fl_start_s)
    x = ((edges - fl_start_s) / div).tolist()
    bin_text = fmt.duration(float(edges[1] - edges[0]))
    out = []
    for method, u in util.items():
        u = u.reindex(rows).fillna(0.0) * 100
        cells = [[f"{fmt.duration(a - fl_start_s)}: {v:.3g} %" for a, v in zip(edges[:-1], r)] for r in u.to_numpy()]
        chart = Chart(f"util-{method}", f"{method}: mean utilisation per {bin_text} bin", "heatmap",
                      f"simulated time since FL start ({unit})", "", [Series(method, [], [], hover={"cells": cells})],
                      categories=rows, scale=UTIL_SCALE, heat=u.to_numpy().tolist(), edges=x, height=22 * len(rows) + 90)
        out.append(Figure(f"util-{method}", f"{method}: link utilisation (absolute, log colour scale 0.01-100 %; grey = idle)",
                          [chart]))
    return out


def timeline(iv: pd.DataFrame, sites: list[str], rounds: pd.DataFrame, method: str, fl_start_s: float) -> Figure:
    """Left: the whole run; right: the slowest round. Each state has its own lane, so sending and receiving never
    hide training: training in the middle, sending above, receiving below, offline behind all. Intervals shorter
    than 1/MIN_WIDTH of the view are drawn that wide, so a second-long transfer shows in a day-long run."""
    slow = rounds.loc[(rounds["t_end_s"] - rounds["t_start_s"]).idxmax()]
    unit, div = _axis("duration", [rounds["t_end_s"].max() - fl_start_s])
    r_unit, r_div = _axis("duration", [slow["t_end_s"] - slow["t_start_s"]])
    views = ((fl_start_s, div, f"simulated time since FL start ({unit})", None),
             (slow["t_start_s"], r_div, f"{r_unit} into round {int(slow['round'])} (the slowest)", slow))
    panels = []
    states = list(dict.fromkeys([s for s in LANES if s in set(iv["state"])] + sorted(set(iv["state"]) - set(LANES))))
    for origin, scale, label, window in views:
        part = iv if window is None else iv[(iv["t1_s"] > window["t_start_s"]) & (iv["t0_s"] < window["t_end_s"])]
        series = []
        span = (rounds["t_end_s"].max() - fl_start_s) / scale if window is None else (slow["t_end_s"] - slow["t_start_s"]) / scale
        for state in states:
            s = part[(part["state"] == state) & part["site"].isin(sites)]
            text = [f"{state} {fmt.duration(b - a)} from {fmt.duration(a - fl_start_s)}" for a, b in zip(s["t0_s"], s["t1_s"])]
            x0 = (s["t0_s"] - origin) / scale
            x1 = np.maximum((s["t1_s"] - origin) / scale, x0 + span / MIN_WIDTH)
            series.append(Series(state, x0.tolist(), s["site"].tolist(), lane=[LANES.get(state, (0.0, 0.22))] * len(s),
                                 hover={"x1": x1.tolist(), "text": text}))
        panels.append(Chart(f"timeline-{method}-{'run' if window is None else 'round'}",
                            f"{method}: what each client was doing (white = waiting)" if window is None else "slowest round",
                            "intervals", label, "", series, categories=sites, x_range=(0, span * 1.02),
                            height=18 * len(sites) + 110))
    return Figure(f"timeline-{method}", f"{method}: client activity; intervals shorter than 1/{MIN_WIDTH} of the view are "
                  "widened to stay visible (hover for the true duration; zoom with the mouse wheel, drag to pan)", panels,
                  widths=[720, 480])


def per_site_month(per_site: pd.DataFrame, tariff=None) -> Figure:
    from simdt.report.cost import monthly

    p = per_site.pivot_table(index="site", columns="method", values="MB_per_month", sort=False)
    if tariff is None:
        return dots("per-site", "projected wire bytes per month", p * 1e6, p.index.tolist(), "size",
                    "projected wire bytes per site per month (x 30 of a simulated day of FL)")
    money = p.map(lambda mb: monthly(tariff, mb))
    return dots("per-site", f"projected cost per month ({tariff.currency})", money, p.index.tolist(), "",
                f"projected cost per site per month: {tariff.per_month:g} {tariff.currency} + "
                f"{tariff.per_gb:g} {tariff.currency}/GB x the traffic of a simulated month",
                value_text=lambda v: fmt.money(v, tariff.currency))


# --- sweeps and plans ---------------------------------------------------------------------------------------

def grid_number(value) -> tuple[float, str] | None:
    """A grid value on a real axis: (number in base units, unit kind) for '5Mbps', '2h', '4KiB', 0.3; None when
    the value is not a quantity (a name, a list, 'null')."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        return float(value), ""
    for kind, parse in (("bandwidth", units.bandwidth_bps), ("duration", units.duration_s), ("size", units.size_bytes)):
        try:
            number = parse(value)
        except (units.UnitError, ValueError):
            continue
        return number, ("" if str(value).strip().replace(".", "", 1).lstrip("+-").isdigit() else kind)
    return None


def grid_axis(values: list) -> tuple[dict, str, bool, dict | None]:
    """Positions of grid values on an axis: ({value: x}, axis label unit, log?, tick labels or None).
    Quantities of one kind go on a real, sorted axis (log when they span a decade), ticked at the grid values;
    anything else is placed in the order given, labelled by its text."""
    parsed = {v: grid_number(v) for v in values}
    kinds = {p[1] for p in parsed.values() if p is not None}
    if all(p is not None for p in parsed.values()) and len(kinds - {""}) <= 1:
        kind = (kinds - {""}).pop() if kinds - {""} else ""
        unit, div = fmt.axis_unit(kind, [p[0] for p in parsed.values()]) if kind else ("", 1.0)
        xs = {v: p[0] / div for v, p in parsed.items()}
        return xs, unit, spans_decade(list(xs.values())), {x: f"{x:.4g}" for x in xs.values()}
    xs = {v: float(i) for i, v in enumerate(values)}
    return xs, "", False, {float(i): str(v).rsplit("/", 1)[-1] for i, v in enumerate(values)}


def padded(xs: list[float], log: bool) -> tuple[float, float]:
    """An axis range around ``xs`` with room for the end markers."""
    lo, hi = min(xs), max(xs)
    if log:
        return lo / 1.35, hi * 1.35
    pad = (hi - lo) * 0.06 or 0.5
    return lo - pad, hi + pad


def sweep_lines(summary: pd.DataFrame, field: str, others: list[str], metric: str) -> Figure:
    """Against one grid field: time and wire bytes to target (mean over all seeds, unreached seeds censored at
    the run's totals, hollow markers where any seed was censored; band = 95 % CI), fraction of seeds reaching the
    target, final target metric. One colour per method; dashed lines for other values of the other fields."""
    values = list(dict.fromkeys(summary[field].tolist()))
    xs, unit, log, ticks = grid_axis(values)
    t_unit, t_div = _axis("duration", summary["hours_to_target_mean"] * 3600)
    b_unit, b_div = _axis("size", summary["wire_MB_to_target_mean"] * 1e6)
    cols = (("hours_to_target", f"time to target ({t_unit})", 3600 / t_div, fmt.hours, False),
            ("wire_MB_to_target", f"wire bytes to target ({b_unit})", 1e6 / b_div, fmt.megabytes, False),
            ("reached_fraction", "fraction of seeds reaching the target", 1.0, fmt.percent, True),
            (f"final_{metric}", f"final {metric}", 1.0, fmt.metric, True))
    panels = []
    for col, label, mult, text, fraction in cols:
        series = []
        for i, (key, g) in enumerate(summary.groupby(["method", *others], sort=False)):
            key = key if isinstance(key, tuple) else (key,)
            g = g.assign(_x=g[field].map(xs)).sort_values("_x")
            mean = g[f"{col}_mean"] if f"{col}_mean" in g else g[col]
            half = g[f"{col}_ci95"].fillna(0) if f"{col}_ci95" in g else None
            name = " · ".join(str(k) for k in key)
            hover = {field: [str(v) for v in g[field]], "value": [text(v) for v in mean],
                     "seeds": [f"{int(a)} of {int(b)} reached" for a, b in zip(g["reached"], g["seeds"])]}
            series.append(Series(name, g["_x"].tolist(), (mean * mult).tolist(),
                                 lo=((mean - half).clip(lower=0) * mult).tolist() if half is not None else None,
                                 hi=((mean + half) * mult).tolist() if half is not None else None,
                                 censored=(g["censored"] > 0).tolist() if col in ("hours_to_target", "wire_MB_to_target") else None,
                                 dash=bool(others) and key[1:] != tuple(summary[others].iloc[0]), hover=hover))
        chart = Chart(f"sweep-{field}-{col}", label.split(" (")[0], "line", f"{field} ({unit})" if unit else field, label,
                      series, x_log=log, y_range=(0, 1.05) if fraction else None, x_ticks=ticks,
                      x_range=padded(list(xs.values()), log), height=300)
        panels.append(chart)
    return Figure(f"sweep-{field}", f"against {field}: means over all seeds (unreached seeds count as the whole run: "
                  "hollow markers are lower bounds), band = 95 % CI", panels)


def plan_curve(scan: pd.DataFrame, plan: pd.DataFrame, vary: dict, deadline_s: float, pass_fraction: float) -> Figure:
    """Time to target (P90 over seeds) against the varied field at the scan points, the same for every method;
    points where the P90 seed misses are drawn hollow at the top. Dotted: each method's threshold."""
    s = scan[scan["stage"] == "scan"] if "stage" in scan else scan
    kind = fmt.UNIT_KINDS.get(vary["unit"])
    unit, div = fmt.axis_unit(kind, s["value"]) if kind else ("", 1.0)
    reached = s["hours_to_target_p90"].replace(np.inf, np.nan) * 3600
    t_unit, t_div = fmt.axis_unit("duration", list(reached.dropna()) + [deadline_s])
    top = max([deadline_s, *reached.dropna()]) * 1.6 / t_div
    series, frac = [], []
    for method, g in s.groupby("method", sort=False):
        g = g.sort_values("value")
        p90 = g["hours_to_target_p90"] * 3600
        miss = ~np.isfinite(p90)
        hover = {vary["field"]: [fmt.value_of(vary["unit"])(v) for v in g["value"]],
                 "P90 time to target": [fmt.duration(v) for v in p90], "passed": ["yes" if p else "no" for p in g["passed"]]}
        series.append(Series(method, (g["value"] / div).tolist(), np.where(miss, top, p90 / t_div).tolist(),
                             censored=miss.tolist(), hover=hover))
        frac.append(Series(method, (g["value"] / div).tolist(), g["pass_fraction"].tolist(), hover=hover))
    refs = [Ref("y", deadline_s / t_div, "deadline")]
    refs += [Ref("x", r["threshold"] / div, f"{r['method']} threshold", colour(r["method"]))
             for r in plan.to_dict("records") if r["status"] != "fails over the whole range" and math.isfinite(r["threshold"])]
    x_label = f"{vary['field']} ({unit})" if unit else vary["field"]
    log = spans_decade((s["value"] / div).tolist())
    y_log = spans_decade([*(reached.dropna() / t_div), deadline_s / t_div])
    low = min([*(reached.dropna() / t_div), deadline_s / t_div])
    return Figure("plan", f"time to target against {vary['field']} at the scan points (P90 over seeds; hollow at the "
                  "top: not reached by the P90 seed); dashed: deadline and each method's threshold",
                  [Chart("plan-time", "time to target (P90 over seeds)", "line", x_label, f"time to target ({t_unit})",
                         series, refs=refs, x_log=log, y_log=y_log, y_range=(low / 1.5, top * 1.25) if y_log else (0, top * 1.1)),
                   Chart("plan-pass", "fraction of seeds in time", "line", x_label, "fraction of seeds", frac,
                         refs=[Ref("y", pass_fraction, "pass fraction")], x_log=log, y_range=(0, 1.05))],
                  widths=[720, 480])


def plan_maps(scan: pd.DataFrame, varies: list[dict]) -> list[Figure]:
    """Pass/fail over two varied fields, one map per method (rows: the second field)."""
    a, b = varies
    kind = fmt.UNIT_KINDS.get(a["unit"])
    unit, div = fmt.axis_unit(kind, scan["value"]) if kind else ("", 1.0)
    xs = sorted(set(scan["value"]))
    mids = [math.sqrt(p * q) if xs[0] > 0 else (p + q) / 2 for p, q in zip(xs, xs[1:])]
    first = xs[0] ** 2 / mids[0] if len(xs) > 1 and xs[0] > 0 else xs[0] - 0.5
    last = xs[-1] ** 2 / mids[-1] if len(xs) > 1 and xs[0] > 0 else xs[-1] + 0.5
    edges = [v / div for v in (first, *mids, last)]
    rows = sorted(set(scan["value_2"]), reverse=(b["better"] == "higher"))
    labels = [fmt.value_of(b["unit"])(v) for v in rows]
    out = []
    for method, g in scan.groupby("method", sort=False):
        cell = {(r["value"], r["value_2"]): r for r in g.to_dict("records")}
        heat = [[float(cell[x, y]["passed"]) if (x, y) in cell else math.nan for x in xs] for y in rows]
        text = [[f"{fmt.value_of(a['unit'])(x)}: {'pass' if cell[x, y]['passed'] else 'fail'} "
                 f"({fmt.percent(cell[x, y]['pass_fraction'])} of seeds)" if (x, y) in cell else "" for x in xs] for y in rows]
        chart = Chart(f"map-{method}", f"{method}: pass (green) / fail (red)", "heatmap",
                      f"{a['field']} ({unit})" if unit else a["field"], b["field"],
                      [Series(method, [], [], hover={"cells": text})], categories=labels,
                      scale=Scale(0, 1, "pass", log=False, levels={0.0: "fail", 1.0: "pass"}), heat=heat, edges=edges,
                      x_log=xs[0] > 0 and spans_decade(xs), height=28 * len(rows) + 100)
        out.append(Figure(f"map-{method}", f"{method}: where the target is reached within the deadline", [chart]))
    return out
