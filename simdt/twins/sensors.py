"""Sensor model: true value + per-site calibration offset + slow calibration drift + fault corruption + noise.

Sensor faults and attacks: ``sensor_drift`` adds a ramped offset (``ramp: 0``: an instant offset, i.e. spoofing),
``stuck_sensor`` freezes the last reading (also how an attacker conceals a change), and ``replay`` (BATADAL-style)
plays back the genuine readings of REPLAY_LAG_S earlier, so the sensor shows yesterday's normal day.

Calibration offset and drift rate are drawn once per site with standard deviation ``mismatch x calibration`` and
``mismatch x drift_per_day``, so the nominal twin (mismatch 0) reads true values plus noise.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .faults import Episode, ramp

DAY_S = 86400.0
REPLAY_LAG_S = DAY_S


@dataclass(frozen=True)
class SensorSpec:
    name: str
    unit: str
    noise: float           # gaussian noise std, sensor units
    calibration: float     # offset std per unit of mismatch
    drift_per_day: float   # drift-rate std per unit of mismatch
    span: float            # typical reading; sensor_drift severity is a fraction of it


class SensorBank:
    def __init__(self, specs: tuple[SensorSpec, ...], mismatch: float, rng: np.random.Generator,
                 keep_history: bool = False):
        self.specs = specs
        self.noise = np.array([s.noise for s in specs])
        z = rng.standard_normal((2, len(specs)))
        self.offset = mismatch * np.array([s.calibration for s in specs]) * z[0]
        self.drift = mismatch * np.array([s.drift_per_day for s in specs]) * z[1] / DAY_S
        self.span = np.array([s.span for s in specs])
        self.last = None         # last reading emitted, held by a sensor that sticks at a block boundary
        self.held: dict[Episode, float] = {}
        # genuine readings of the last REPLAY_LAG_S, for replay attacks (kept only if the library has them)
        self._history = (np.zeros(0), np.zeros((0, len(specs)))) if keep_history else None

    def read(self, t, truth: np.ndarray, episodes: list[Episode], eps: np.ndarray) -> np.ndarray:
        """Readings (n, n_sensors) from true values; eps is a standard-normal array of the same shape."""
        r = truth + self.offset + np.outer(t, self.drift) + eps * self.noise
        if self._history is not None:
            ht, hr = np.concatenate([self._history[0], t]), np.concatenate([self._history[1], r])
            keep = ht >= t[-1] - REPLAY_LAG_S
            self._history = (ht[keep], hr[keep])
            genuine = (ht, hr)
        for ep in episodes:
            if ep.kind == "replay":
                inside = (t >= ep.start) & (t < ep.end)
                src = np.searchsorted(genuine[0], t[inside] - REPLAY_LAG_S)
                old = genuine[0][np.minimum(src, len(genuine[0]) - 1)] == t[inside] - REPLAY_LAG_S
                # before REPLAY_LAG_S of history exists there is nothing to replay: the reading stays genuine
                r[np.flatnonzero(inside)[old], ep.sensor] = genuine[1][src[old], ep.sensor]
        for ep in episodes:
            if ep.kind == "sensor_drift":
                r[:, ep.sensor] += ep.severity * self.span[ep.sensor] * ramp(t, ep)
        for ep in episodes:
            if ep.kind == "stuck_sensor":
                inside = (t >= ep.start) & (t < ep.end)
                if not inside.any():
                    continue
                if ep not in self.held:  # freeze at the last reading before the fault starts
                    first = int(np.argmax(inside))
                    before = r[first - 1, ep.sensor] if first > 0 else (
                        self.last[ep.sensor] if self.last is not None else r[0, ep.sensor])
                    self.held[ep] = float(before)
                r[inside, ep.sensor] = self.held[ep]
        self.last = r[-1].copy()
        return r
