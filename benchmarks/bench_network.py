"""Flow-level network model throughput: many TCP transfers over one shared star topology.

Run: ``python -m benchmarks.bench_network [--quick]``. Prints a table and writes benchmarks/results/network.json.
Sites on lossy, queued access links behind one backhaul send model updates at random times, so flows
overlap, share links max-min and go through slow start, losses and retransmission timeouts.
"""
from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path

import simpy

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # also runnable as a plain script

from simdt.network import Network, star_topology  # noqa: E402
from simdt.rng import Streams  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results" / "network.json"


def _case(n_sites: int, n_flows: int, loss: float) -> dict:
    sites = [f"s{i}" for i in range(n_sites)]
    access = {s: dict(up_bps=10e6, down_bps=50e6, delay_s=0.02, loss=loss, queue_packets=100) for s in sites}
    links = star_topology(sites, access, dict(up_bps=200e6, down_bps=1e9, delay_s=0.005, queue_packets=1000))
    env = simpy.Environment()
    records = []
    net = Network(env, links, Streams(0).numpy, on_record=records.append)
    rng = Streams(1).numpy("bench/starts")
    starts = sorted(rng.uniform(0, n_flows * 0.1, n_flows))  # ~10 new flows per simulated second

    def launch():
        for i, t in enumerate(starts):
            yield env.timeout(t - env.now)
            net.transfer(sites[i % n_sites], "server", 400_000, "update")

    env.process(launch())
    t0 = time.perf_counter()
    env.run()
    wall = time.perf_counter() - t0
    assert len(records) == n_flows and all(r.outcome == "delivered" for r in records)
    return dict(sites=n_sites, flows=n_flows, loss=loss, wall_s=round(wall, 3), flows_per_s=round(n_flows / wall),
                sim_s=round(env.now, 1), mean_transfer_s=round(sum(r.t_end - r.t_start for r in records) / n_flows, 3))


def run(quick: bool) -> dict:
    n = 1_000 if quick else 10_000
    cases = [_case(100, n, 0.0), _case(100, n, 0.01)]
    return dict(python=platform.python_version(), machine=platform.machine(), quick=quick, cases=cases)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1,000 flows instead of 10,000")
    result = run(parser.parse_args().quick)
    print(f"{'sites':>5} {'flows':>6} {'loss':>5} {'wall s':>7} {'flows/s':>8} {'sim s':>7} {'mean transfer s':>15}")
    for c in result["cases"]:
        print(f"{c['sites']:5d} {c['flows']:6d} {c['loss']:5g} {c['wall_s']:7.2f} {c['flows_per_s']:8d} "
              f"{c['sim_s']:7.1f} {c['mean_transfer_s']:15.3f}")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
