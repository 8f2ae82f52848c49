"""A link between two network nodes, and the random outage process that takes it down."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
import simpy
from simpy.events import URGENT

from .burstloss import GilbertElliott

QUEUE_DISCIPLINES = ("droptail", "fq_codel")


@dataclass(frozen=True)
class LinkConfig:
    """A full-duplex link; ``a`` is the downstream end, so "up" means a -> b (bit/s, seconds)."""

    name: str
    a: str
    b: str
    up_bps: float
    down_bps: float
    delay_s: float
    loss: float = 0.0
    mtbf_s: float | None = None
    mttr_s: float | None = None
    queue_packets: int | None = None  # bottleneck buffer; None: unmodelled (no queueing delay)
    # "droptail": the device's FIFO of queue_packets drops arrivals when full. "fq_codel": a queue disc in front
    # of that FIFO (Linux's and ns-3's default) holds what the FIFO cannot, in a queue per flow served
    # round-robin and kept short by CoDel, up to 10240 packets
    queue_discipline: str = "droptail"
    window_period_s: float | None = None  # up only for window_open_s of every period (from window_offset_s)
    window_open_s: float | None = None
    window_offset_s: float = 0.0
    trace_up_bps: tuple[float, ...] | None = None  # capacity per trace_step_s, replayed in a loop
    trace_down_bps: tuple[float, ...] | None = None
    trace_step_s: float = 1.0
    bursty_loss: GilbertElliott | None = None  # on top of ``loss``
    jitter_s: float = 0.0  # mean extra one-way delay per transfer (exponential, so never negative)

    def __post_init__(self):
        if self.a == self.b:
            raise ValueError(f"link {self.name!r}: both ends are {self.a!r}")
        if not (self.up_bps > 0 and self.down_bps > 0):
            raise ValueError(f"link {self.name!r}: up_bps and down_bps must be > 0")
        if self.delay_s < 0:
            raise ValueError(f"link {self.name!r}: delay_s must be >= 0")
        if not 0.0 <= self.loss < 1.0:
            raise ValueError(f"link {self.name!r}: loss must be in [0, 1)")
        if (self.mtbf_s is None) != (self.mttr_s is None):
            raise ValueError(f"link {self.name!r}: give both mtbf_s and mttr_s, or neither")
        if self.mtbf_s is not None and not (self.mtbf_s > 0 and self.mttr_s > 0):
            raise ValueError(f"link {self.name!r}: mtbf_s and mttr_s must be > 0")

        if (self.window_period_s is None) != (self.window_open_s is None):
            raise ValueError(f"link {self.name!r}: give both window_period_s and window_open_s, or neither")
        if self.window_period_s is not None and not 0 < self.window_open_s <= self.window_period_s:
            raise ValueError(f"link {self.name!r}: need 0 < window_open_s <= window_period_s")
        if self.jitter_s < 0:
            raise ValueError(f"link {self.name!r}: jitter_s must be >= 0")
        if self.queue_discipline not in QUEUE_DISCIPLINES:
            raise ValueError(f"link {self.name!r}: queue_discipline must be one of {list(QUEUE_DISCIPLINES)}")
        if self.queue_packets is not None and self.queue_packets < 1:
            raise ValueError(f"link {self.name!r}: queue_packets must be >= 1")

    def direction(self, frm: str) -> str:
        """'up' when traversed from ``a``, 'down' when from ``b``."""
        return "up" if frm == self.a else "down"

    def capacity_bps(self, direction: str) -> float:
        """Nominal capacity; a trace, when given, replaces it as the simulation runs."""
        return self.up_bps if direction == "up" else self.down_bps


def link_clock(env: simpy.Environment, delay: float) -> simpy.Event:
    """A timeout that fires ahead of ordinary events due at the same instant: a link changes state or capacity
    first, so a round or a transfer starting at that very instant already sees the change."""
    event = simpy.Event(env)
    event._ok, event._value = True, None  # triggered, as simpy's own Timeout is, but scheduled as urgent
    env.schedule(event, URGENT, delay)
    return event


def outages(env: simpy.Environment, link: LinkConfig, rng: np.random.Generator,
            set_state: Callable[[str, bool], None]):
    """Alternate exponential up-times (mean MTBF) and outages (mean MTTR) forever."""
    while True:
        yield link_clock(env, rng.exponential(link.mtbf_s))
        set_state(link.name, False)
        yield link_clock(env, rng.exponential(link.mttr_s))
        set_state(link.name, True)
