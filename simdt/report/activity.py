"""What each client was doing when: training (``compute``), sending and receiving (``transfers``), offline
(its access link down, from ``links``), crashed until its restart and gated out of a round by its edge twin
(``participation``), waiting otherwise. Times are simulated seconds."""
from __future__ import annotations

import pandas as pd

STATES = ("offline", "crashed", "gated out", "training", "sending", "receiving")
_EVENTS = {"crash": "crashed", "gated_out": "gated out"}


def intervals(results, method: str, sites: list[str], t_end: float) -> pd.DataFrame:
    """Rows (site, state, t0_s, t1_s) for one method, up to ``t_end``."""
    c = results.compute[(results.compute["method"] == method) & results.compute["node"].isin(sites)
                        & (results.compute["kind"] == "local_train")]  # not the edge twin's scoring
    t = results.transfers[results.transfers["method"] == method]
    parts = [pd.DataFrame({"site": c["node"], "state": "training", "t0_s": c["t_start_s"], "t1_s": c["t_end_s"]}),
             pd.DataFrame({"site": t["src"], "state": "sending", "t0_s": t["t_start_s"], "t1_s": t["t_end_s"]}),
             pd.DataFrame({"site": t["dst"], "state": "receiving", "t0_s": t["t_start_s"], "t1_s": t["t_end_s"]})]
    p = results.participation[(results.participation["method"] == method) & results.participation["event"].isin(_EVENTS)]
    parts.append(pd.DataFrame({"site": p["client"], "state": p["event"].map(_EVENTS), "t0_s": p["t_start_s"], "t1_s": p["t_end_s"]}))
    links = results.links[results.links["method"] == method].sort_values("t_s")
    for site in sites:
        down_since = None
        for ts, up in zip(*(links.loc[links["link"] == f"{site}-access", k] for k in ("t_s", "up"))):
            if not up and down_since is None:
                down_since = ts
            elif up and down_since is not None:
                parts.append(pd.DataFrame([{"site": site, "state": "offline", "t0_s": down_since, "t1_s": ts}]))
                down_since = None
        if down_since is not None:
            parts.append(pd.DataFrame([{"site": site, "state": "offline", "t0_s": down_since, "t1_s": t_end}]))
    out = pd.concat(parts, ignore_index=True)
    out = out[out["site"].isin(sites) & (out["t0_s"] < t_end)].reset_index(drop=True)
    out["t1_s"] = out["t1_s"].clip(upper=t_end)  # the clock runs on to the next round's start after the last round
    return out


def union_s(spans: list[tuple[float, float]], lo: float, hi: float) -> float:
    """Length of the union of intervals, clipped to [lo, hi]."""
    total, end = 0.0, lo
    for a, b in sorted((max(a, lo), min(b, hi)) for a, b in spans):
        if b > max(a, end):
            total += b - max(a, end)
        end = max(end, b)
    return total


def shares(iv: pd.DataFrame, method: str, sites: list[str], t0: float, t1: float) -> pd.DataFrame:
    """Per site, the fraction of [t0, t1] spent in each state (states may overlap, e.g. sending while
    receiving); ``waiting`` is the time in none of them."""
    rows = []
    for site in sites:
        s = iv[iv["site"] == site]
        row = {"method": method, "site": site}
        for state in STATES:
            spans = list(zip(s.loc[s["state"] == state, "t0_s"], s.loc[s["state"] == state, "t1_s"]))
            row[state] = union_s(spans, t0, t1) / (t1 - t0)
        row["waiting"] = 1 - union_s(list(zip(s["t0_s"], s["t1_s"])), t0, t1) / (t1 - t0)
        rows.append(row)
    return pd.DataFrame(rows)
