"""Where the bytes go: by direction, link, category and site, and how busy each link is over time.

Every table is derived from the run's ``transfers`` table (wire bytes are what a transfer put on the wire,
delivered or not) and the manifest's link profiles; units are bytes, bit/s and seconds unless a column says so.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from simdt.report.activity import union_s
from simdt.results import HOSTS

CATEGORIES = ("model download", "update upload", "twin sync", "telemetry", "control", "headers/handshake", "retransmission")


def direction(transfers: pd.DataFrame) -> pd.Series:
    """'up' toward the server or twin host, 'down' toward the sites."""
    return pd.Series(np.where(transfers["dst"].isin(HOSTS), "up", "down"), index=transfers.index)


def by_direction(transfers: pd.DataFrame) -> pd.DataFrame:
    t = transfers.assign(direction=direction(transfers))
    out = t.pivot_table(index="method", columns="direction", values="wire_bytes", aggfunc="sum", fill_value=0, sort=False)
    return out.reindex(columns=["up", "down"], fill_value=0).reset_index()


def hops(transfers: pd.DataFrame) -> pd.DataFrame:
    """One row per transfer and link direction it crossed (``path`` is 'link:dir|link:dir|...')."""
    t = transfers[["method", "wire_bytes", "t_start_s", "t_end_s", "path"]].copy()
    t["link_dir"] = t["path"].str.split("|")
    t = t.explode("link_dir")
    return t[t["link_dir"].notna() & (t["link_dir"] != "")].drop(columns="path")


def by_link(transfers: pd.DataFrame) -> pd.DataFrame:
    out = hops(transfers).pivot_table(index="link_dir", columns="method", values="wire_bytes", aggfunc="sum",
                                      fill_value=0, sort=False)
    return out.sort_index().reset_index()


def _payload_category(kind: str, dst: str) -> str:
    if kind == "update_up":
        return "update upload"
    if kind == "twin_sync":
        return "twin sync"
    if kind == "telemetry":
        return "telemetry"
    if kind.endswith("_down") and dst not in HOSTS:
        return "model download"
    return "control"


def by_category(transfers: pd.DataFrame) -> pd.DataFrame:
    """Wire bytes split so the categories add up to the wire total: the payload that went on the wire, by message
    kind; the TCP/IP headers and handshakes (wire - payload - retransmitted); the retransmitted bytes. A transfer cut
    short (outage, deadline) counts what it sent as payload; one between co-located nodes crosses no link: nothing."""
    t = transfers
    on_wire = np.minimum(t["payload_bytes"], t["wire_bytes"] - t["retrans_bytes"])
    cat = [_payload_category(k, d) for k, d in zip(t["kind"], t["dst"])]
    parts = t.assign(category=cat, on_wire=on_wire, headers=t["wire_bytes"] - t["retrans_bytes"] - on_wire)
    out = parts.pivot_table(index="method", columns="category", values="on_wire", aggfunc="sum", fill_value=0, sort=False)
    g = parts.groupby("method", sort=False)
    out["headers/handshake"] = g["headers"].sum()
    out["retransmission"] = g["retrans_bytes"].sum()
    return out.reindex(columns=list(CATEGORIES), fill_value=0).reset_index()


def by_codec(transfers: pd.DataFrame) -> pd.DataFrame:
    """Messages, payload and wire bytes per method, message kind and the codec its tensors were compressed with."""
    g = transfers.groupby(["method", "kind", "codec"], sort=False)
    return g.agg(messages=("msg_id", "size"), payload_bytes=("payload_bytes", "sum"), wire_bytes=("wire_bytes", "sum")).reset_index()


def capacity_bps(link_dir: str, links: dict | None) -> float:
    """Capacity of 'site03-access:up' etc. from the manifest's link profiles (a mixed fleet's per site); NaN when unknown."""
    if not links:
        return np.nan
    name, _, d = link_dir.rpartition(":")
    site_uplink = (links.get("sites") or {}).get(name.removesuffix("-access"), links.get("uplink"))
    profile = {"backhaul": links.get("backhaul"), "twin-host-link": links.get("twin_link")}.get(
        name, site_uplink if name.endswith("-access") else None)
    return float(profile[d]) if profile and d in profile else np.nan


def utilisation(transfers: pd.DataFrame, links: dict | None, bins: int = 96) -> tuple[np.ndarray, dict[str, pd.DataFrame]]:
    """Per method, the mean rate (bit/s) and utilisation of each link direction in each time bin, each transfer's
    wire bytes spread evenly over [t_start, t_end]. Returns the bin edges (s) and {method: frame link_dir x bin}."""
    h = hops(transfers)
    if h.empty:
        return np.array([0.0, 1.0]), {}
    edges = np.linspace(h["t_start_s"].min(), max(h["t_end_s"].max(), h["t_start_s"].min() + 1.0), bins + 1)
    out = {}
    for method, m in h.groupby("method", sort=False):
        t0 = m["t_start_s"].to_numpy()[:, None]
        span = np.maximum(m["t_end_s"].to_numpy()[:, None] - t0, 1e-9)
        # bytes sent by each edge time, as a fraction of the transfer: a ramp from 0 at t_start to 1 at t_end
        ramp = np.clip((edges[None, :] - t0) / span, 0.0, 1.0)
        per_bin = np.diff(ramp, axis=1) * m["wire_bytes"].to_numpy()[:, None]
        rate = pd.DataFrame(per_bin * 8 / np.diff(edges)[None, :], index=m["link_dir"].to_numpy()).groupby(level=0).sum()
        cap = np.array([capacity_bps(ld, links) for ld in rate.index])
        out[method] = rate.div(cap, axis=0)
    return edges, out


def utilisation_table(transfers: pd.DataFrame, links: dict | None, bins: int = 96) -> pd.DataFrame:
    """Per method and link direction: utilisation over the whole run, in the busiest bin, and while busy
    (wire bits / (capacity x time with at least one transfer on the link))."""
    edges, util = utilisation(transfers, links, bins)
    h = hops(transfers)
    rows = []
    for method, u in util.items():
        m = h[h["method"] == method]
        for link_dir, row in u.iterrows():
            on = m[m["link_dir"] == link_dir]
            busy = union_s(list(zip(on["t_start_s"], on["t_end_s"])), -np.inf, np.inf)
            cap = capacity_bps(link_dir, links)
            rows.append({"method": method, "link_dir": link_dir, "capacity_bps": cap, "wire_bytes": int(on["wire_bytes"].sum()),
                         "busy_s": busy, "utilisation_while_busy": on["wire_bytes"].sum() * 8 / (cap * busy) if busy > 0 else np.nan,
                         "mean_utilisation": row.mean(), "busiest_bin_utilisation": row.max(), "bin_s": float(edges[1] - edges[0])})
    return pd.DataFrame(rows)


def per_site(transfers: pd.DataFrame, fl_days: dict[str, float], sites: list[str]) -> pd.DataFrame:
    """Wire bytes each site sends and receives per simulated day of FL (``fl_days`` per method), x 30 as a month."""
    rows = []
    for method, t in transfers.groupby("method", sort=False):
        days = fl_days[method]
        for site in sites:
            up = t.loc[t["src"] == site, "wire_bytes"].sum()
            down = t.loc[t["dst"] == site, "wire_bytes"].sum()
            day = (up + down) / days if days > 0 else np.nan
            rows.append({"method": method, "site": site, "up_bytes": int(up), "down_bytes": int(down),
                         "MB_per_day": day / 1e6, "MB_per_month": 30 * day / 1e6})
    return pd.DataFrame(rows)
