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
- ``summary``: per method, rounds / simulated time / wire bytes to the target, final metrics.
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
    def from_log(cls, log: EventLog, manifest: dict, target_metric: str, target: float, fl_start_s: float) -> "Results":
        rounds = pd.DataFrame(log.rounds)
        transfers = pd.DataFrame(log.transfers, columns=[
            "method", "msg_id", "round", "kind", "src", "dst", "payload_bytes", "wire_bytes", "retrans_bytes",
            "delivered_bytes", "lost_bytes", "t_start_s", "t_end_s", "outcome", "path", "codec"])
        compute = pd.DataFrame(log.compute, columns=["method", "round", "node", "kind", "flops", "t_start_s", "t_end_s", "samples"])
        links = pd.DataFrame(log.links, columns=["method", "t_s", "link", "up"])
        participation = pd.DataFrame(log.participation, columns=PARTICIPATION)
        summary = summarize(rounds, transfers, target_metric, target, fl_start_s)
        return cls(rounds, transfers, compute, links, participation, summary, manifest)

    def save(self, run_dir: str | Path) -> Path:
        """Write every table as Parquet and CSV plus manifest.json, atomically (temp folder + rename)."""
        run_dir = Path(run_dir)
        with atomic_folder(run_dir) as tmp:
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


def summarize(rounds: pd.DataFrame, transfers: pd.DataFrame, metric: str, target: float, fl_start_s: float) -> pd.DataFrame:
    """Per method: first round reaching the target, simulated time and bytes to it, final metrics."""
    rows = []
    for method, r in rounds.groupby("method", sort=False):
        r = r.sort_values("round")
        hit = r[r[metric] >= target]
        first = hit.iloc[0] if len(hit) else None
        last = r.iloc[-1]
        t = transfers[transfers["method"] == method]
        row = {
            "method": method,
            "target": f"{metric} >= {target:g}",
            "rounds_to_target": int(first["round"]) if first is not None else np.nan,
            "hours_to_target": (first["t_end_s"] - fl_start_s) / 3600 if first is not None else np.nan,
            "wire_MB_to_target": first["cum_wire_bytes"] / 1e6 if first is not None else np.nan,
            "rounds": int(last["round"]),
            "sim_hours": (last["t_end_s"] - fl_start_s) / 3600,
            "wire_MB": t["wire_bytes"].sum() / 1e6,
            "payload_MB": t["payload_bytes"].sum() / 1e6,
            "messages_failed": int((t["outcome"] != "delivered").sum()),
        }
        row.update({f"final_{m}": last[m] for m in METRICS})
        rows.append(row)
    return pd.DataFrame(rows)


def package_versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out
