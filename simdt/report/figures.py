"""Matplotlib figures for the report, each returned as a base64 PNG so the HTML is self-contained."""
from __future__ import annotations

import base64
import io

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from simdt.report.activity import STATES  # noqa: E402
from simdt.units import format_duration  # noqa: E402

STATE_COLOURS = {"offline": "#d62728", "crashed": "#7f3f98", "gated out": "#bcbd22", "training": "#2ca02c",
                 "sending": "#1f77b4", "receiving": "#ff7f0e"}


def png(fig) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90, bbox_inches="tight")
    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def curves(rounds: pd.DataFrame, metric: str, target: float, fl_start_s: float) -> str:
    fig, axes = plt.subplots(1, 3, figsize=(14, 3.8), sharey=True)
    for method, r in rounds.groupby("method", sort=False):
        r = r.sort_values("round")
        for ax, x in zip(axes, (r["round"], (r["t_end_s"] - fl_start_s) / 3600, r["cum_wire_bytes"] / 1e6)):
            ax.plot(x, r[metric], marker=".", label=method)
    for ax, label in zip(axes, ("round", "simulated hours since FL start", "cumulative wire MB")):
        ax.axhline(target, color="grey", ls="--", lw=1)
        ax.set_xlabel(label)
        ax.grid(alpha=0.3)
    axes[0].set_ylabel(metric)
    axes[0].legend()
    return png(fig)


def stacked_bars(tables: list[tuple[str, pd.DataFrame]]) -> str:
    """One panel per table (index = method, columns = parts, values = bytes), bars stacked in MB."""
    fig, axes = plt.subplots(1, len(tables), figsize=(6 * len(tables), 3.6))
    for ax, (title, t) in zip(np.atleast_1d(axes), tables):
        (t.set_index("method") / 1e6).plot.bar(stacked=True, ax=ax, rot=0)
        ax.set_title(title)
        ax.set_ylabel("wire MB")
        ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    fig.tight_layout()
    return png(fig)


def links_bars(by_link: pd.DataFrame) -> str:
    t = by_link.set_index("link_dir") / 1e6
    fig, ax = plt.subplots(figsize=(10, 0.25 * len(t) + 1.5))
    t.plot.barh(ax=ax)
    ax.set_xlabel("wire MB")
    ax.set_ylabel("")
    ax.invert_yaxis()
    return png(fig)


def utilisation_heatmaps(edges: np.ndarray, util: dict[str, pd.DataFrame], fl_start_s: float) -> str:
    fig, axes = plt.subplots(len(util), 1, figsize=(12, sum(0.22 * len(u) + 1.2 for u in util.values())), squeeze=False)
    hours = (edges - fl_start_s) / 3600
    for ax, (method, u) in zip(axes[:, 0], util.items()):
        im = ax.pcolormesh(hours, np.arange(len(u) + 1), 100 * u.to_numpy(), cmap="viridis", vmin=0,
                           vmax=max(1e-9, 100 * np.nanmax(u.to_numpy())))
        ax.set_yticks(np.arange(len(u)) + 0.5, u.index, fontsize=7)
        ax.set_title(f"{method}: mean utilisation per {format_duration(edges[1] - edges[0])} bin (%)", fontsize=9)
        fig.colorbar(im, ax=ax, pad=0.01)
    axes[-1, 0].set_xlabel("simulated hours since FL start")
    return png(fig)


def timeline(iv: pd.DataFrame, sites: list[str], rounds: pd.DataFrame, method: str, fl_start_s: float) -> str:
    """Left: the whole run in hours; right: the slowest round in seconds, where training and messages show."""
    slow = rounds.loc[(rounds["t_end_s"] - rounds["t_start_s"]).idxmax()]
    fig, axes = plt.subplots(1, 2, figsize=(14, 0.3 * len(sites) + 1.6), gridspec_kw={"width_ratios": [3, 2]})
    views = ((axes[0], fl_start_s, 3600, "simulated hours since FL start", None),
             (axes[1], slow["t_start_s"], 1, f"seconds into round {int(slow['round'])} (slowest)", slow))
    for ax, origin, scale, label, window in views:
        span = (rounds["t_end_s"].max() - fl_start_s) / scale if window is None else (slow["t_end_s"] - slow["t_start_s"]) * 1.05
        min_w = span / 400  # keep sub-second events visible at the scale of hours
        for state in STATES:
            s = iv[iv["state"] == state]
            for y, site in enumerate(sites):
                x = s[s["site"] == site]
                bars = [((a - origin) / scale, max((b - a) / scale, min_w)) for a, b in zip(x["t0_s"], x["t1_s"])]
                ax.broken_barh(bars, (y - 0.35, 0.7), color=STATE_COLOURS[state], label=state if y == 0 else None)
        ax.set_xlim(0, span)
        ax.set_yticks(range(len(sites)), sites, fontsize=7)
        ax.set_xlabel(label)
        ax.invert_yaxis()
    axes[0].set_title(f"{method}: client activity (white = waiting)", fontsize=9)
    handles = [plt.Rectangle((0, 0), 1, 1, color=STATE_COLOURS[s]) for s in STATES] + [plt.Rectangle((0, 0), 1, 1, fc="white", ec="grey")]
    axes[1].legend(handles, list(STATES) + ["waiting"], fontsize=7, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return png(fig)


def per_site_month(t: pd.DataFrame) -> str:
    p = t.pivot_table(index="site", columns="method", values="MB_per_month", sort=False)
    fig, ax = plt.subplots(figsize=(10, 3.4))
    p.plot.bar(ax=ax, rot=90)
    ax.set_ylabel("projected wire MB per month")
    ax.set_xlabel("")
    return png(fig)


def sweep_lines(table: pd.DataFrame, field: str, others: list[str]) -> str:
    """Mean +- std over seeds of hours and MB to the target against one grid field, one line per method
    (and per value of the other grid fields)."""
    fig, axes = plt.subplots(1, 3, figsize=(14, 3.6))
    cols = ("hours_to_target", "wire_MB_to_target", "final_balanced_accuracy")
    for key, g in table.groupby(["method", *others], sort=False):
        key = key if isinstance(key, tuple) else (key,)
        label = ", ".join(str(k) for k in key)
        g = g.sort_values(field, key=lambda s: s.astype(str))
        x = g[field].astype(str).map(lambda v: v.rsplit("/", 1)[-1])  # a file's name, not its whole path
        for ax, col in zip(axes, cols):
            if f"{col}_mean" in g:
                ax.errorbar(x, g[f"{col}_mean"], yerr=g[f"{col}_std"].fillna(0), marker="o", capsize=3, label=label)
    for ax, col in zip(axes, cols):
        ax.set_title(col, fontsize=9)
        ax.set_xlabel(field)
        ax.tick_params(axis="x", labelsize=7)
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=7)
    return png(fig)


def plan_curve(scan: pd.DataFrame, thresholds: pd.DataFrame, field: str, deadline_h: float, unit: str) -> str:
    fig, ax = plt.subplots(figsize=(9, 4))
    for i, (method, s) in enumerate(scan.groupby("method", sort=False)):
        s = s.sort_values("value")
        line, = ax.plot(s["value"], s["hours_to_target"], marker="o", label=method)
        th = thresholds[thresholds["method"] == method]["threshold"]
        if len(th) and np.isfinite(th.iloc[0]):
            ax.axvline(th.iloc[0], color=line.get_color(), ls=":", lw=1.5)
    ax.axhline(deadline_h, color="grey", ls="--", lw=1, label="deadline")
    ax.set_yscale("log")  # times to target span decades between a fast link and the deadline
    if (scan["value"] > 0).all():
        ax.set_xscale("log")
    ax.set_xlabel(f"{field} ({unit})")
    ax.set_ylabel("simulated hours to target (worst seed)")
    ax.set_title("dotted: threshold per method; points missing: not reached by every seed", fontsize=9)
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=8)
    return png(fig)
