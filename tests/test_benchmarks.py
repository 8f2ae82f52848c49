"""The benchmark entry point works (reduced sizes); the figures themselves are measured by hand, not asserted."""
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_quick_benchmarks_run_and_write_a_summary():
    names = ["training", "paper", "scale"]
    proc = subprocess.run([sys.executable, "-m", "benchmarks", "--quick", *names], cwd=ROOT,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    summary = json.loads((ROOT / "benchmarks" / "results" / "summary-quick.json").read_text())
    assert set(summary["benchmarks"]) == set(names) and summary["machine"]["cpus"] >= 1
    training = summary["benchmarks"]["training"]["result"]["rows"]
    assert {r["objective"] for r in training} == {"plain", "prox", "distill"}
    assert all(r["max_abs_diff"] < 1e-4 for r in training)       # batched == oracle
    paper = summary["benchmarks"]["paper"]["result"]
    assert "skipped" in paper or (paper["methods"] == 7 and paper["rounds_simulated"] == 7 * paper["rounds"])
    scale = summary["benchmarks"]["scale"]["result"]
    assert scale["flop_limit_GFLOPs"] > 0 and len(scale["by_sites"]) == 2
    for row in scale["by_sites"] + scale["by_rounds"]:
        assert {"wall_s", "train_s", "peak_rss_MB", "train_GFLOPs", "train_of_flop_limit"} <= set(row)
        assert 0 < row["train_s"] < row["wall_s"] and row["peak_rss_MB"] > 0
    assert (ROOT / "benchmarks" / "results" / "scale-quick.png").stat().st_size > 0
    # the generated fleet sends one model down and one update up per selected client (C = 0.1)
    for row in scale["by_sites"]:
        assert row["messages"] == 2 * row["rounds"] * round(0.1 * row["sites"])


def test_unknown_benchmark_is_refused():
    proc = subprocess.run([sys.executable, "-m", "benchmarks", "nope"], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 2 and "unknown benchmark" in proc.stderr
