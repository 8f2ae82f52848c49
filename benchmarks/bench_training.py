"""Local training of one round: per-client oracle loop vs all clients batched, for each objective.

Run: ``python -m benchmarks.bench_training [--quick]``. Prints a table and writes benchmarks/results/training.json.
Both implementations train the same round from the same generators; the script checks they agree before timing counts.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # also runnable as a plain script

from simdt.fl.model import init_params, mlp_sizes  # noqa: E402
from simdt.fl.training import LocalObjective, train_batched, train_oracle  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results" / "training.json"


def _round(k: int, n: int, d: int):
    g = torch.Generator().manual_seed(0)
    sizes = mlp_sizes(d)
    data = [(torch.randn(n, d, generator=g), (torch.rand(n, generator=g) < 0.2).float()) for _ in range(k)]
    start = init_params(sizes, g)
    other = init_params(sizes, g)  # anchor / teacher
    return sizes, data, start, other


def _best(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def run(quick: bool = False, threads: int = 1) -> dict:
    """Times both on one round. One torch thread by default: these kernels are far too small to gain from more, and
    sweeps run one simulation per core; the caller's thread count is restored afterwards."""
    previous = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        return _run(quick)
    finally:
        torch.set_num_threads(previous)


def _run(quick: bool) -> dict:
    k, n, d = 20, 200, 43
    objectives = {
        "plain": LocalObjective(),
        "prox": LocalObjective(prox_mu=0.01),
        "distill": LocalObjective(distill_alpha=0.5),
    }
    sizes, data, start, other = _round(k, n, d)
    gens = lambda: [torch.Generator().manual_seed(i) for i in range(k)]  # noqa: E731
    rows = []
    for name, obj in objectives.items():
        extra = {"prox": "anchor", "distill": "teacher"}.get(name)
        kw_b = {extra + "s": [other] * k} if extra else {}
        kw_o = {extra: other} if extra else {}
        oracle = lambda: [train_oracle(start, *data[c], obj, g, **kw_o)[0] for c, g in enumerate(gens())]  # noqa: E731
        batched = lambda: train_batched([start] * k, data, obj, gens(), **kw_b)[0]  # noqa: E731
        err = max((a[p] - b[p]).abs().max().item() for a, b in zip(oracle(), batched()) for p in a)
        t_o = _best(oracle, 1 if quick else 3)
        t_b = _best(batched, 3 if quick else 10)
        rows.append({"objective": name, "oracle_s": t_o, "batched_s": t_b, "ratio": t_o / t_b, "max_abs_diff": err})
    result = {
        "setup": {"clients": k, "samples_per_client": n, "d": d, "epochs": 2, "batch_size": 10,
                  "torch_threads": torch.get_num_threads(), "torch": torch.__version__,
                  "machine": platform.machine(), "cpus": os.cpu_count()},
        "rows": rows,
    }
    print(f"{'objective':<10}{'oracle s':>10}{'batched s':>11}{'ratio':>8}{'max |diff|':>12}")
    for r in rows:
        print(f"{r['objective']:<10}{r['oracle_s']:>10.3f}{r['batched_s']:>11.4f}{r['ratio']:>8.1f}"
              f"{r['max_abs_diff']:>12.1e}")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    tmp = RESULTS.with_suffix(".tmp")
    tmp.write_text(json.dumps(result, indent=2))
    tmp.replace(RESULTS)  # atomic
    if max(r["max_abs_diff"] for r in rows) > 1e-4:
        raise SystemExit("batched and oracle training disagree")
    return result


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true", help="fewer repeats")
    ap.add_argument("--threads", type=int, default=1, help="torch threads (default 1)")
    args = ap.parse_args()
    run(args.quick, args.threads)
