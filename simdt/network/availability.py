"""When a link can carry traffic: periodic availability windows and trace-driven capacity.

Random outages (MTBF/MTTR) live in link.py beside the link; these two drive the same Network hooks.
"""
from __future__ import annotations

import csv
import math
from pathlib import Path
from typing import Callable

import simpy

from .link import link_clock

MAHIMAHI_PACKET_BYTES = 1500
MIN_TRACE_BPS = 1e3  # a second with no delivery opportunity still trickles, so flows stall but never divide by 0


def windows(env: simpy.Environment, name: str, period_s: float, open_s: float, offset_s: float,
            set_state: Callable[[str, bool], None]):
    """Up for ``open_s`` from ``offset_s`` into every ``period_s`` (a satellite pass, a scheduled slot), down between.

    Edges are computed from the period's integer index, never from the clock plus a float remainder: a
    remainder such as 12.2 % 10 = 2.1999999999999993 would schedule an edge 1e-15 s ahead, which the clock
    cannot represent, and time would stop advancing. Each pass of the loop moves to the next period."""
    if open_s >= period_s:  # a window as long as its period never closes
        set_state(name, True)
        return
    k = math.floor((env.now - offset_s) / period_s)  # the period the clock is in
    while True:
        close = offset_s + k * period_s + open_s
        k += 1
        if env.now < close:
            set_state(name, True)
            yield link_clock(env, close - env.now)
        set_state(name, False)
        yield link_clock(env, max(offset_s + k * period_s - env.now, 0.0))


def replay(env: simpy.Environment, resource: str, bps: tuple[float, ...], step_s: float,
           set_capacity: Callable[[str, float], None]):
    """Set the capacity of a link direction from a trace, one value per ``step_s``, looping like Mahimahi."""
    for i in range(10**12):
        set_capacity(resource, max(bps[i % len(bps)], MIN_TRACE_BPS))
        yield link_clock(env, step_s)


def find_trace(path: str | Path) -> Path:
    """A trace path as written in a scenario: absolute, or relative to the current directory or else the project
    root (so ``../shared/traces/...`` works from the repo root and from anywhere once installed in place)."""
    path = Path(path)
    for candidate in (path, Path(__file__).resolve().parents[2] / path):
        if candidate.is_file():
            return candidate
    raise ValueError(f"no trace file {str(path)!r} (relative paths are looked up from the current directory, "
                     f"then the project root)")


def load_trace(path: str | Path) -> tuple[float, ...]:
    """Per-second capacity (bit/s) from a Mahimahi packet-delivery trace or a per-second throughput CSV.

    Mahimahi (``*.up``/``*.down``): each line a millisecond at which one 1500-byte packet may be delivered.
    CSV: a ``throughput_mbps`` column; only the first run is used (rows until ``seq_num`` starts again).
    """
    path = find_trace(path)
    if path.suffix == ".csv":
        out: list[float] = []
        with open(path, newline="") as f:
            for row in csv.DictReader(f):
                if out and row.get("seq_num") == "0":
                    break
                out.append(float(row["throughput_mbps"]) * 1e6)
        return tuple(out)
    stamps = [int(line) for line in path.read_text().split()]
    seconds = [0] * max(math.ceil(stamps[-1] / 1000), 1)
    for ms in stamps:
        seconds[min(ms // 1000, len(seconds) - 1)] += 1
    return tuple(n * MAHIMAHI_PACKET_BYTES * 8.0 for n in seconds)
