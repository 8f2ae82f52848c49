"""Feature generation per asset class: a week of 1-minute feature windows for 20 sites of each class.

Run: ``python -m benchmarks.bench_twins [--quick]`` (quick: 4 sites x 1 day). Prints a table and writes
benchmarks/results/twins.json. Each site is built and generated from scratch (for the water network this includes
loading the INP and one EPANET run per site-week), single process.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # also runnable as a plain script

from simdt.twins import load_twin, make_site_asset  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
RESULTS = Path(__file__).resolve().parent / "results" / "twins.json"
TWINS = ("centrifugal_pump", "induction_motor", "water_network")


def run(quick: bool = False) -> dict:
    sites, days = (4, 1) if quick else (20, 7)
    rows = []
    for name in TWINS:
        twin = load_twin(name, ROOT / "twins")
        start = time.perf_counter()
        windows = anomalous = 0
        for i in range(sites):
            X, y, _ = make_site_asset(twin, f"site{i:02d}", 0.1, np.random.default_rng(i)).generate(0, days * 86400.0)
            windows += len(y)
            anomalous += int(y.sum())
        elapsed = time.perf_counter() - start
        rows.append({"twin": name, "class": twin.asset_class, "sites": sites, "days": days, "windows": windows,
                     "features": X.shape[1], "anomalous_fraction": anomalous / windows, "seconds": elapsed,
                     "site_weeks_per_s": sites * days / 7 / elapsed})
    result = {"setup": {"mismatch": 0.1, "machine": platform.machine(), "cpus": os.cpu_count(),
                        "python": platform.python_version()}, "rows": rows}
    print(f"{'twin':<18}{'sites':>6}{'days':>5}{'windows':>9}{'feat':>5}{'anom':>6}{'seconds':>9}{'site-wk/s':>10}")
    for r in rows:
        print(f"{r['twin']:<18}{r['sites']:>6}{r['days']:>5}{r['windows']:>9}{r['features']:>5}"
              f"{r['anomalous_fraction']:>6.2f}{r['seconds']:>9.2f}{r['site_weeks_per_s']:>10.2f}")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    tmp = RESULTS.with_suffix(".tmp")
    tmp.write_text(json.dumps(result, indent=2))
    tmp.replace(RESULTS)  # atomic
    return result


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true", help="4 sites x 1 day")
    run(ap.parse_args().quick)
