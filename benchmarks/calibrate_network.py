"""The flow model against ns-3: one line per reference case and the median errors by kind.

Run: ``python -m benchmarks.calibrate_network [CSV]`` from the repo root. CSV defaults to
../shared/reference/ns3_transfer_times.csv; any file in its format works, e.g. ``benchmarks/ns3_holdout.csv``:
held-out cases (other rates, delays, sizes and flow counts) made with the same ns-3 script and settings
(``run_case`` of ../shared/reference/ns3_transfer_times.py, pip package ns3==3.44.post0); no constant of the
model was fitted to them.
"""
from __future__ import annotations

import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # also runnable as a plain script

from simdt.network.calibration import load_cases, simulate  # noqa: E402

REFERENCE = ROOT / ".." / "shared" / "reference" / "ns3_transfer_times.csv"
GOALS = {"lossless": 0.15, "lossy": 0.35, "shared": 0.15}


def table(csv_path: Path = REFERENCE) -> tuple[list[dict], dict[str, float]]:
    rows = []
    for case in load_cases(csv_path):
        model = simulate(case)
        rows.append(dict(kind=case.kind, flows=case.n_flows, bytes=case.nbytes, mbps=case.rate_mbps,
                         delay_ms=case.delay_ms, loss=case.err, ns3_s=case.ns3_s, simdt_s=model,
                         error=(model - case.ns3_s) / case.ns3_s))
    medians = {k: statistics.median(abs(r["error"]) for r in rows if r["kind"] == k)
               for k in GOALS if any(r["kind"] == k for r in rows)}
    return rows, medians


def main() -> None:
    rows, medians = table(Path(sys.argv[1]) if len(sys.argv) > 1 else REFERENCE)
    print(f"{'kind':9} {'flows':>5} {'bytes':>9} {'Mbps':>5} {'delay ms':>8} {'loss':>5} "
          f"{'ns-3 s':>9} {'simdt s':>9} {'error':>7}")
    for r in rows:
        print(f"{r['kind']:9} {r['flows']:5d} {r['bytes']:9d} {r['mbps']:5g} {r['delay_ms']:8g} {r['loss']:5g} "
              f"{r['ns3_s']:9.4f} {r['simdt_s']:9.4f} {r['error']:+7.1%}")
    for kind, median in medians.items():
        print(f"median |error| {kind:9}: {median:6.1%} (goal <= {GOALS[kind]:.0%})")


if __name__ == "__main__":
    main()
