"""Compare the flow model with ns-3 packet-level TCP completion times (../shared/reference/, see its README).

The ns-3 topology is rebuilt as simdt links (its bottleneck queue is FQ-CoDel, see below): each sender --(1 Gbps, 0.1 ms)-- router --(bottleneck)-- receiver,
all flows starting together; every time is from the flow's start to the last byte received (handshake included).
"""
from __future__ import annotations

import csv
import statistics
from dataclasses import dataclass
from pathlib import Path

import simpy

from simdt.rng import Streams

from .flows import Network
from .link import LinkConfig

NS3_MSS = 1448
NS3_QUEUE_PACKETS = 100  # the bottleneck device's DropTail FIFO
# ns-3 (like Linux) also puts its default root queue disc, FqCoDelQueueDisc, in front of every device it assigns
# an address to, and flow control holds packets there once that FIFO is full: it never drops, CoDel does.
NS3_QUEUE_DISCIPLINE = "fq_codel"
NS3_HEADER_BYTES = 52  # IPv4 20 + TCP 20 + timestamp option 12
ACCESS_BPS, ACCESS_DELAY_S = 1e9, 0.0001


@dataclass(frozen=True)
class Case:
    n_flows: int
    nbytes: int
    rate_mbps: float
    delay_ms: float
    err: float
    ns3_s: float  # single flow: the median over seeds; shared bottleneck: the mean over flows (and seeds)

    @property
    def kind(self) -> str:
        return "shared" if self.n_flows > 1 else ("lossy" if self.err > 0 else "lossless")


def load_cases(csv_path: Path) -> list[Case]:
    """One case per (flows, size, rate, delay, loss), seeds folded into their median."""
    runs: dict[tuple, list[list[float]]] = {}
    with open(csv_path, newline="") as f:
        for row in csv.DictReader(f):
            key = (int(row["n_flows"]), int(row["nbytes"]), float(row["rate_mbps"]), float(row["delay_ms"]),
                   float(row["err"]))
            runs.setdefault(key, []).append([float(t) for t in row["flow_times_s"].split(";")])
    cases = []
    for key, seeds in runs.items():
        if key[0] == 1:
            cases.append(Case(*key, statistics.median(s[0] for s in seeds)))
        else:
            cases.append(Case(*key, statistics.mean(t for s in seeds for t in s)))
    return cases


def simulate(case: Case, seeds: range = range(1, 6)) -> float:
    """simdt's time on the same terms: the median over seeds of the mean time over the flows."""
    per_seed = []
    for seed in seeds:
        env = simpy.Environment()
        links = [LinkConfig("bottleneck", "router", "receiver", case.rate_mbps * 1e6, case.rate_mbps * 1e6,
                            case.delay_ms / 1000, loss=case.err,
                            queue_packets=NS3_QUEUE_PACKETS, queue_discipline=NS3_QUEUE_DISCIPLINE)]
        links += [LinkConfig(f"access{i}", f"sender{i}", "router", ACCESS_BPS, ACCESS_BPS, ACCESS_DELAY_S)
                  for i in range(case.n_flows)]
        net = Network(env, links, Streams(seed).numpy, mss=NS3_MSS, header_bytes=NS3_HEADER_BYTES)
        procs = [net.transfer(f"sender{i}", "receiver", case.nbytes, "calibration") for i in range(case.n_flows)]
        env.run()
        per_seed.append(statistics.mean(p.value.t_end for p in procs))
    return statistics.median(per_seed)
