"""Targets 3 and 4 of the speed issue: FedAvg over a generated fleet of N sites (C = 0.1, network simulation,
per-round evaluation), wall time and peak memory per size, how close training gets to the machine's FLOP
limit, and how cost grows with clients and rounds (plotted).

Each size runs in a fresh process so its peak memory (ru_maxrss) is its own. The fleet is the default
scenario with ``data.assets: 32`` (sites share 32 simulated pumps, each site with its own time shift) and a
retention of 200 minutes, so each client holds ~200 one-minute windows, as in the issue's reference round.
The sites' rural LTE uplinks keep their drop-outs (MTBF 12 h, MTTR 10 min): ~2 outages per site a day, so at
10,000 sites the network handles link-state changes as well as transfers.

Targets (issue #6, 2 cores): 10,000 sites x 100 rounds in <= 5 min and <= 4 GB peak memory.

Run: ``python -m benchmarks.bench_scale [--quick]``. Writes benchmarks/results/scale.json and scale.png.
"""
from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # also runnable as a plain script

RESULTS = ROOT / "benchmarks" / "results"
TARGET = {"sites": 10_000, "rounds": 100, "max_wall_s": 300.0, "max_peak_MB": 4096}


def fleet(n: int, rounds: int) -> dict:
    return {"sites.count": n, "fl.client_fraction": 0.1, "fl.methods": ["fedavg"], "fl.rounds": rounds,
            "data.assets": min(n, 32), "sites.retention": "200min", "evaluation.period": "1h"}


def _one(n: int, rounds: int, queue) -> None:
    import simdt
    import simdt.world as world

    spent = {"train_s": 0.0}
    real = world.train_batched

    def timed(*args, **kwargs):  # time spent in batched training, to compare with the FLOP limit
        t = time.perf_counter()
        out = real(*args, **kwargs)
        spent["train_s"] += time.perf_counter() - t
        return out

    world.train_batched = timed
    t0 = time.perf_counter()
    results = simdt.run("default", overrides=fleet(n, rounds))
    wall = time.perf_counter() - t0
    queue.put({"sites": n, "rounds": rounds, "wall_s": wall, "train_s": spent["train_s"],
               "train_flops": float(results.compute["flops"].sum()), "messages": int(len(results.transfers)),
               "peak_rss_MB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024})


def measure(n: int, rounds: int) -> dict:
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=_one, args=(n, rounds, queue))
    proc.start()
    row = queue.get()
    proc.join()
    row["train_GFLOPs"] = row["train_flops"] / row["train_s"] / 1e9 if row["train_s"] else float("nan")
    row["train_share_of_wall"] = row["train_s"] / row["wall_s"]
    return row


def flop_limit(size: int = 2048, repeats: int = 5) -> float:
    """fp32 FLOP/s of a large matmul on one thread (training runs on one thread)."""
    import torch

    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        a, b = torch.randn(size, size), torch.randn(size, size)
        a @ b
        best = min(_timed(lambda: a @ b) for _ in range(repeats))
    finally:
        torch.set_num_threads(previous)
    return 2 * size**3 / best


def _timed(fn) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def plot(by_sites: list[dict], by_rounds: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (a, b) = plt.subplots(1, 2, figsize=(10, 4))
    a.loglog([r["sites"] for r in by_sites], [r["wall_s"] for r in by_sites], "o-")
    a.set(xlabel="sites (C = 0.1)", ylabel="wall s", title=f"{by_sites[0]['rounds']} rounds of FedAvg")
    b.plot([r["rounds"] for r in by_rounds], [r["wall_s"] for r in by_rounds], "o-")
    b.set(xlabel="rounds", ylabel="wall s", title=f"{by_rounds[0]['sites']} sites")
    for ax in (a, b):
        ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def run(quick: bool = False) -> dict:
    sizes, rounds, big = ((100, 300), (2, 4), 300) if quick else ((100, 1000, 10_000), (10, 50, 100), 1000)
    n_rounds = rounds[-1]
    limit = flop_limit(1024 if quick else 2048)
    by_sites = [measure(n, n_rounds) for n in sizes]
    by_rounds = [r for r in by_sites if r["sites"] == big and r["rounds"] == n_rounds]
    by_rounds = [measure(big, r) for r in rounds[:-1]] + by_rounds
    print(f"machine fp32 limit (1 thread, matmul): {limit / 1e9:.1f} GFLOP/s")
    print(f"{'sites':>7}{'rounds':>7}{'messages':>10}{'wall s':>9}{'train s':>9}{'train GFLOP/s':>15}{'of limit':>10}{'peak MB':>9}")
    for r in by_sites + by_rounds[:-1]:
        print(f"{r['sites']:>7}{r['rounds']:>7}{r['messages']:>10}{r['wall_s']:>9.1f}{r['train_s']:>9.1f}"
              f"{r['train_GFLOPs']:>15.2f}{r['train_GFLOPs'] * 1e9 / limit:>10.1%}{r['peak_rss_MB']:>9.0f}")
    RESULTS.mkdir(parents=True, exist_ok=True)
    plot(by_sites, by_rounds, RESULTS / ("scale-quick.png" if quick else "scale.png"))
    for r in by_sites + by_rounds:
        r["train_of_flop_limit"] = r["train_GFLOPs"] * 1e9 / limit
    result = {"flop_limit_GFLOPs": limit / 1e9, "by_sites": by_sites, "by_rounds": by_rounds}
    biggest = by_sites[-1]
    if biggest["sites"] >= TARGET["sites"] and biggest["rounds"] >= TARGET["rounds"]:
        result["target"] = {**TARGET, "wall_s": biggest["wall_s"], "peak_rss_MB": biggest["peak_rss_MB"],
                            "met": biggest["wall_s"] <= TARGET["max_wall_s"]
                            and biggest["peak_rss_MB"] <= TARGET["max_peak_MB"]}
        print(f"target {TARGET['sites']} sites x {TARGET['rounds']} rounds: {biggest['wall_s']:.0f} s "
              f"(<= {TARGET['max_wall_s']:.0f}), {biggest['peak_rss_MB']:.0f} MB (<= {TARGET['max_peak_MB']}): "
              + ("met" if result["target"]["met"] else "NOT met"))
    (RESULTS / ("scale-quick.json" if quick else "scale.json")).write_text(json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true", help="small fleets, few rounds")
    run(ap.parse_args().quick)
