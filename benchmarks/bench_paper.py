"""Target 1 of the speed issue: the seven-method BATADAL comparison (K = 20, C = 0.3, 100 rounds, network
simulation and per-round evaluation) end to end, in wall-clock seconds.

Run: ``python -m benchmarks.bench_paper [--quick]`` from the repository root (it reads ../shared/datasets/batadal).
Writes benchmarks/results/paper.json.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # also runnable as a plain script

import simdt  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results" / "paper.json"
DATA = ROOT.parent / "shared" / "datasets" / "batadal"
TARGET_S = 15.0


def run(quick: bool = False) -> dict:
    if not DATA.is_dir():
        print(f"skipped: no BATADAL data at ../shared/datasets/batadal")
        return {"skipped": "no BATADAL data"}
    rounds = 10 if quick else 100
    t0 = time.perf_counter()
    results = simdt.run(ROOT / "scenarios" / "paper_batadal.yaml",
                        overrides={"fl.rounds": rounds, "data.path": str(DATA)})
    wall = time.perf_counter() - t0
    s = results.summary
    result = {"rounds": rounds, "methods": len(s), "wall_s": wall, "target_s": TARGET_S,
              "rounds_simulated": int(results.rounds.shape[0]), "messages": int(results.transfers.shape[0])}
    print(f"{'methods':>8}{'rounds':>8}{'messages':>10}{'wall s':>9}{'target s':>10}")
    print(f"{len(s):>8}{rounds:>8}{result['messages']:>10}{wall:>9.1f}{TARGET_S:>10.0f}")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true", help="10 rounds instead of 100")
    run(ap.parse_args().quick)
