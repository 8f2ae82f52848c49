"""Statistics over seeds of per-method summary rows: means with 95 % confidence intervals, to-target figures with
unreached seeds censored, P90, and paired differences against a baseline method run on the same seeds.

Censoring: a seed that never reached the target within its run took *at least* the whole run, so its rounds,
hours and wire MB to target count as the run's totals (``CENSORED_AT``). The mean over all seeds is then a
restricted mean: exact when every seed reached the target, a lower bound otherwise (``censored`` says how many
seeds were cut off). Leaving unreached seeds out instead would make a method that rarely reaches the target look
fast.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats as sps

CENSORED_AT = {"rounds_to_target": "rounds", "hours_to_target": "sim_hours", "wire_MB_to_target": "wire_MB"}
BASELINE = "fedavg"


def ci95(values) -> float:
    """Half-width of the 95 % confidence interval of the mean (Student's t); NaN below two values."""
    x = np.asarray(values, dtype=float)
    x = x[np.isfinite(x)]
    if len(x) < 2:
        return float("nan")
    return float(sps.t.ppf(0.975, len(x) - 1) * x.std(ddof=1) / np.sqrt(len(x)))


def p90(values) -> float:
    """90th percentile without interpolation (an observed value; inf stands for 'not reached')."""
    x = np.asarray(values, dtype=float)
    return float(np.quantile(x, 0.9, method="inverted_cdf")) if len(x) else float("nan")


def censor(table: pd.DataFrame) -> pd.DataFrame:
    """Rows with unreached to-target figures replaced by the run's totals (see the module docstring)."""
    out = table.copy()
    for col, total in CENSORED_AT.items():
        if col in out and total in out:
            out[col] = out[col].fillna(out[total])
    return out


def _compared(table: pd.DataFrame, by: list[str]) -> list[str]:
    return [c for c in table.select_dtypes("number") if c not in (*by, "seed")]


def over_seeds(table: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """One row per ``by`` + method: seeds, reached count and fraction, censored count, then per numeric column its
    mean, 95 % CI half-width and std over seeds (to-target columns censored), and the P90 of hours to target."""
    cols = _compared(table, by)
    keys = [*by, "method"]
    g = censor(table).groupby(keys, sort=False, dropna=False)
    out = g[cols].agg(["mean", ci95, "std"])
    out.columns = [f"{a}_{'ci95' if b == 'ci95' else b}" for a, b in out.columns]
    reached = table.groupby(keys, sort=False, dropna=False)["rounds_to_target"].agg(lambda s: int(s.notna().sum()))
    out.insert(0, "seeds", g.size())
    out.insert(1, "reached", reached)
    out.insert(2, "reached_fraction", reached / out["seeds"])
    out.insert(3, "censored", out["seeds"] - reached)
    hours = table.assign(h=table["hours_to_target"].fillna(np.inf)).groupby(keys, sort=False, dropna=False)["h"]
    out["hours_to_target_p90"] = hours.agg(p90)
    if "fell_back" in table:
        out["fell_back"] = table.groupby(keys, sort=False, dropna=False)["fell_back"].agg(lambda s: int(s.astype(bool).sum()))
    return out.reset_index()


def paired(table: pd.DataFrame, by: list[str], baseline: str = BASELINE) -> pd.DataFrame:
    """Per ``by`` + method other than ``baseline``: mean and 95 % CI over seeds of (method - baseline) on the same
    seed, for the to-target figures (censored) and the final metrics. Empty when the baseline did not run."""
    t = censor(table.assign(_unreached=table["rounds_to_target"].isna()))
    cols = [c for c in _compared(t, by) if c in CENSORED_AT or c.startswith("final_") or c == "wire_MB"]
    # a to-target difference where either seed is censored is a bound, not a value: ``censored_pairs`` counts them
    base = t[t["method"] == baseline]
    if base.empty:
        return pd.DataFrame(columns=[*by, "method", "baseline", "pairs", "censored_pairs"])
    keys = [*by, "seed"]
    base = base[[*keys, *cols, "_unreached"]].rename(columns={c: f"{c}__base" for c in (*cols, "_unreached")})
    joined = t[t["method"] != baseline].merge(base, on=keys, how="inner")
    diff = joined[[*by, "method"]].copy()
    for c in cols:
        diff[c] = joined[c] - joined[f"{c}__base"]
    diff["censored"] = joined["_unreached"] | joined["_unreached__base"]
    g = diff.groupby([*by, "method"], sort=False, dropna=False)
    out = g[cols].agg(["mean", ci95])
    out.columns = [f"{a}_diff_{'ci95' if b == 'ci95' else b}" for a, b in out.columns]
    out.insert(0, "censored_pairs", g["censored"].sum().astype(int))
    out.insert(0, "pairs", g.size())
    out.insert(0, "baseline", baseline)
    return out.reset_index()
