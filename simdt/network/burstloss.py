"""Gilbert-Elliott bursty loss: a two-state Markov chain per link, stepped once per slot.

LTE traces fit p = P(good -> bad) 0.007-0.046 and r = P(bad -> good) 0.12-0.53 per 100 ms slot (DESIGN.md 5),
so losses come in bursts of a few hundred ms that cut a window's worth of segments at once, where independent
(Bernoulli) loss at the same mean would spread them thinly.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class GilbertElliott:
    p: float                # P(good -> bad) per slot
    r: float                # P(bad -> good) per slot
    slot_s: float = 0.1
    loss_bad: float = 1.0   # per-segment loss probability in each state
    loss_good: float = 0.0

    def __post_init__(self):
        if not (0 < self.p <= 1 and 0 < self.r <= 1):
            raise ValueError("Gilbert-Elliott p and r must be in (0, 1]")
        if not (0 <= self.loss_good <= 1 and 0 <= self.loss_bad <= 1 and self.slot_s > 0):
            raise ValueError("Gilbert-Elliott losses must be in [0, 1] and the slot > 0")

    @property
    def mean_loss(self) -> float:
        """Long-run loss rate: the stationary share of bad slots is p / (p + r)."""
        return (self.p * self.loss_bad + self.r * self.loss_good) / (self.p + self.r)


class Channel:
    """The chain's state over simulated time, advanced lazily: each sojourn is a geometric number of slots."""

    def __init__(self, model: GilbertElliott, rng: np.random.Generator):
        self.model, self.rng = model, rng
        self.bad = bool(rng.random() < model.p / (model.p + model.r))  # start in the stationary distribution
        self.until = self._sojourn(0.0)

    def _sojourn(self, start: float) -> float:
        leave = self.model.r if self.bad else self.model.p
        return start + int(self.rng.geometric(leave)) * self.model.slot_s

    def loss(self, now: float) -> float:
        """Per-segment loss probability at ``now``."""
        while now >= self.until:
            self.bad = not self.bad
            self.until = self._sojourn(self.until)
        return self.model.loss_bad if self.bad else self.model.loss_good
