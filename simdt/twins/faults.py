"""Fault library, per-site fault schedules and their effects on a block of samples.

A fault kind is either *physical* (the asset class maps it to an effect channel, e.g. impeller wear -> head loss)
or a *sensor* fault (``sensor_drift``, ``stuck_sensor``, ``replay``) that corrupts one sensor's readings; with
``ramp: 0`` a drift is an instant offset, i.e. a spoofed reading. Episodes of each kind
form an alternating renewal process: gaps ~ Exponential(1/rate), durations ~ Uniform(duration range). Each kind
draws from its own generator and a fixed number of draws per episode, so the schedule does not depend on how far
ahead it was extended; this keeps split and whole-range generation identical.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

DAY_S = 86400.0
SENSOR_FAULTS = ("sensor_drift", "stuck_sensor", "replay")


@dataclass(frozen=True)
class FaultSpec:
    kind: str
    rate_per_day: float
    duration_s: tuple[float, float]
    severity: tuple[float, float]
    sensors: tuple[str, ...] = ()  # candidates for sensor faults; empty means every sensor
    ramp: float = 1.0              # fraction of an episode over which its effect rises to full severity


@dataclass(frozen=True)
class Episode:
    kind: str
    start: float
    end: float
    severity: float
    sensor: int  # index into the asset's sensor list, -1 for physical faults
    ramp: float = 1.0


class FaultSchedule:
    """Episodes drawn lazily in time, or a fixed list (``episodes=`` with no library)."""

    def __init__(self, library: tuple[FaultSpec, ...], sensor_names: list[str], rng: np.random.Generator | None,
                 episodes: list[Episode] | None = None):
        self.episodes = list(episodes or [])
        self._specs = [s for s in library if s.rate_per_day > 0] if rng is not None else []
        self._candidates = [[sensor_names.index(n) for n in (s.sensors or sensor_names)] for s in self._specs]
        self._rngs = rng.spawn(len(self._specs)) if self._specs else []
        self._next = [r.exponential(DAY_S / s.rate_per_day) for r, s in zip(self._rngs, self._specs)]

    def until(self, t1: float) -> list[Episode]:
        """All episodes starting before t1 (extending the draw as needed)."""
        for i, (spec, rng) in enumerate(zip(self._specs, self._rngs)):
            while self._next[i] < t1:
                duration = rng.uniform(*spec.duration_s)
                severity = rng.uniform(*spec.severity)
                sensor = self._candidates[i][rng.integers(len(self._candidates[i]))]
                start = self._next[i]
                self.episodes.append(Episode(spec.kind, start, start + duration, severity,
                                             sensor if spec.kind in SENSOR_FAULTS else -1, spec.ramp))
                self._next[i] = start + duration + rng.exponential(DAY_S / spec.rate_per_day)
        return self.episodes


def ramp(t: np.ndarray, ep: Episode) -> np.ndarray:
    """0 outside the episode; inside, rises linearly to 1 over the first ``ep.ramp`` of it, then holds."""
    inside = (t >= ep.start) & (t < ep.end)
    rise = np.clip((t - ep.start) / max(ep.ramp * (ep.end - ep.start), 1e-9), 0.0, 1.0)
    return np.where(inside, rise, 0.0)


def synthetic_schedule(library: tuple[FaultSpec, ...], sensor_names: list[str], t0: float, n_windows: int,
                       window_s: float, fraction: float, rng: np.random.Generator) -> FaultSchedule:
    """Non-overlapping, window-aligned episodes covering ``fraction`` of [t0, t0 + n_windows*window_s).

    Kinds are drawn in proportion to their expected occupancy in the library (rate x mean duration); durations are
    capped at a third of the anomalous budget so that a short data set still mixes several kinds.
    """
    specs = [s for s in library if s.rate_per_day > 0]
    budget = int(round(fraction * n_windows))
    if not specs or budget == 0:
        return FaultSchedule((), sensor_names, None)
    weight = np.array([s.rate_per_day * np.mean(s.duration_s) for s in specs])
    cap = max(1, budget // 3)
    picks, lengths = [], []
    while sum(lengths) < budget:
        spec = specs[rng.choice(len(specs), p=weight / weight.sum())]
        n = int(np.clip(round(rng.uniform(*spec.duration_s) / window_s), 1, cap))
        picks.append(spec)
        lengths.append(min(n, budget - sum(lengths)))
    gaps = np.diff(np.sort(rng.integers(0, n_windows - budget + 1, len(picks))), prepend=0)
    episodes, w = [], 0
    for spec, n, gap in zip(picks, lengths, gaps):
        w += int(gap)
        candidates = [sensor_names.index(x) for x in (spec.sensors or sensor_names)]
        sensor = candidates[rng.integers(len(candidates))] if spec.kind in SENSOR_FAULTS else -1
        episodes.append(Episode(spec.kind, t0 + w * window_s, t0 + (w + n) * window_s,
                                rng.uniform(*spec.severity), sensor, spec.ramp))
        w += n
    return FaultSchedule((), sensor_names, None, episodes)
