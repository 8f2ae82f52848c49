"""Event log -> pandas tables -> a run folder (Parquet + CSV + manifest), and the per-method summary.

Tables:
- ``rounds``: one row per method and round: simulated start/end, reachable/selected/participating
  clients, detection metrics of the global model, cumulative payload and wire bytes.
- ``transfers``: one row per message: kind, source, destination, payload/wire/retransmitted/lost
  bytes, times, outcome, path.
- ``compute``: one row per compute job (client training, twin-host work) with FLOPs and times.
- ``links``: link state changes (outages).
- ``participation``: how each client's part in each round ended (arrived with its staleness, late, surplus,
  dropped, gated out), crashes with their restart time, and twin-host fallbacks.
- ``summary``: per method, rounds / simulated time / wire bytes to the target (the round from which the
  target holds for ``fl.target.hold`` evaluations), final metrics (mean of the last ``evaluation.final_rounds``).
"""
from __future__ import annotations

import json
import platform
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import numpy as np
import pandas as pd

from simdt.atomic import atomic_folder
from simdt.eventlog import EventLog
from simdt.metrics import METRICS

HOSTS = ("server", "twin_host")  # every other node of a run is a site
TABLES = ("rounds", "transfers", "compute", "links", "participation", "summary")
PARTICIPATION = ["method", "round", "client", "event", "detail", "t_start_s", "t_end_s", "staleness", "state_bytes"]
PACKAGES = ("simdt", "simpy", "torch", "numpy", "pandas", "networkx", "pydantic", "pyarrow", "scikit-learn", "wntr", "pot")


@dataclass
class Results:
    rounds: pd.DataFrame
    transfers: pd.DataFrame
    compute: pd.DataFrame
    links: pd.DataFrame
    participation: pd.DataFrame
    summary: pd.DataFrame
    manifest: dict

    @classmethod
    def from_log(cls, log: EventLog, manifest: dict, target_metric: str, target: float, fl_start_s: float,
                 hold: int = 1, final_rounds: int = 1, sites: int = 1) -> "Results":
        rounds = pd.DataFrame(log.rounds)
        transfers = pd.DataFrame(log.transfers, columns=[
            "method", "msg_id", "round", "kind", "src", "dst", "payload_bytes", "wire_bytes", "retrans_bytes",
            "delivered_bytes", "lost_bytes", "t_start_s", "t_end_s", "outcome", "path", "codec"])
        compute = pd.DataFrame(log.compute, columns=["method", "round", "node", "kind", "flops", "t_start_s", "t_end_s", "samples"])
        links = pd.DataFrame(log.links, columns=["method", "t_s", "link", "up"])
        participation = pd.DataFrame(log.participation, columns=PARTICIPATION)
        summary = summarize(rounds, transfers, target_metric, target, fl_start_s, hold, final_rounds, sites)
        return cls(rounds, transfers, compute, links, participation, summary, manifest)

    def __repr__(self) -> str:
        sc = self.manifest.get("scenario", {})
        return (f"<Results {sc.get('name', '?')!r} seed {self.manifest.get('seed')}: {len(self.summary)} methods, "
                f"{len(self.rounds)} rounds, {len(self.transfers)} transfers; .summary .rounds .transfers .compute .links .participation>")

    def save(self, run_dir: str | Path) -> Path:
        """Write every table as Parquet and CSV plus manifest.json, atomically (temp folder + rename)."""
        run_dir = Path(run_dir)
        with atomic_folder(run_dir, "manifest.json") as tmp:
            for name in TABLES:
                table = getattr(self, name)
                table.to_parquet(tmp / f"{name}.parquet", index=False)
                table.to_csv(tmp / f"{name}.csv", index=False)
            (tmp / "manifest.json").write_text(json.dumps(self.manifest, indent=2, default=str) + "\n")
        return run_dir

    @classmethod
    def load(cls, run_dir: str | Path) -> "Results":
        run_dir = Path(run_dir)
        tables = {name: pd.read_parquet(run_dir / f"{name}.parquet") for name in TABLES}
        return cls(**tables, manifest=json.loads((run_dir / "manifest.json").read_text()))


def reached_index(values, target: float, hold: int) -> int | None:
    """Position of the first evaluation from which ``values`` stay at or above ``target`` for ``hold``
    evaluations in a row (for all of them when there are fewer); None when they never do. NaN never passes."""
    ok = np.asarray(values, dtype=float) >= target
    hold = max(1, min(hold, len(ok)))
    streak = 0
    for i, passed in enumerate(ok):
        streak = streak + 1 if passed else 0
        if streak == hold:
            return i - hold + 1
    return None


def summarize(rounds: pd.DataFrame, transfers: pd.DataFrame, metric: str, target: float, fl_start_s: float,
              hold: int = 1, final_rounds: int = 1, sites: int = 1) -> pd.DataFrame:
    """Per method: the round from which the target holds (``reached_index``), simulated time and wire bytes to the
    end of that round, totals, and final metrics = the mean of the last ``final_rounds`` rounds. A method that
    crossed the target but whose last evaluation is below it is marked ``fell_back``; ``dips_after_crossing``
    counts the evaluations below the target after the first crossing. ``site_MB_per_month``: the wire bytes a site
    sends and receives per simulated day of FL, x 30, averaged over the ``sites`` sites."""
    metrics = [m for m in METRICS if m in rounds]
    rows = []
    for method, r in rounds.groupby("method", sort=False):
        r = r.sort_values("round")
        at = reached_index(r[metric], target, hold)
        first = r.iloc[at] if at is not None else None
        crossed = r[r[metric] >= target]
        last, tail = r.iloc[-1], r.tail(final_rounds)
        t = transfers[transfers["method"] == method]
        row = {
            "method": method,
            "target": f"{metric} >= {target:g}",
            "rounds_to_target": int(first["round"]) if first is not None else np.nan,
            "hours_to_target": (first["t_end_s"] - fl_start_s) / 3600 if first is not None else np.nan,
            "wire_MB_to_target": first["cum_wire_bytes"] / 1e6 if first is not None else np.nan,
            "first_crossing_round": int(crossed["round"].iloc[0]) if len(crossed) else np.nan,
            "rounds": int(last["round"]),
            "sim_hours": (last["t_end_s"] - fl_start_s) / 3600,
            "wire_MB": t["wire_bytes"].sum() / 1e6,
            "payload_MB": t["payload_bytes"].sum() / 1e6,
            "site_MB_per_month": _site_bytes(t) / sites / 1e6 * 30 * 86400 / max(last["t_end_s"] - fl_start_s, 1e-9),
            "messages_failed": int((t["outcome"] != "delivered").sum()),
        }
        row.update({f"final_{m}": tail[m].mean() for m in metrics})
        after = r[r["round"] > row["first_crossing_round"]] if len(crossed) else r.iloc[:0]
        row["dips_after_crossing"] = int((~(after[metric] >= target)).sum())
        row["fell_back"] = bool(len(crossed)) and not last[metric] >= target
        rows.append(row)
    return pd.DataFrame(rows)


def _site_bytes(transfers: pd.DataFrame) -> float:
    """Wire bytes with a site at one end (host-to-host traffic, e.g. twin sync, is no site's)."""
    return float(transfers.loc[~(transfers["src"].isin(HOSTS) & transfers["dst"].isin(HOSTS)), "wire_bytes"].sum())


def package_versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out
