"""A site's local store: the feature windows its asset has recorded, with bounded retention.

The asset is advanced lazily, when the store is read: its generator continues the same physical
state across calls, so catching up at read time gives exactly the recording an hourly process
would have made, at a cost proportional to the sites actually used. The recording is kept and
sliced by time, so every method's world (each starting its clock at zero) reads the same data.
"""
from __future__ import annotations

import math

import numpy as np


class SiteStore:
    def __init__(self, asset, t_offset: float, retention_s: float):
        self.asset = asset
        self.t_offset = t_offset        # asset time at simulation time 0 (after the held-out period)
        self.retention_s = retention_s
        self.recorded_until = 0.0       # simulation time
        self._X = np.zeros((0, len(asset.feature_names)), dtype=np.float32)
        self._y = np.zeros(0, dtype=np.int64)
        self._t = np.zeros(0)

    def dataset(self, now: float) -> tuple[np.ndarray, np.ndarray]:
        """Windows that started in [now - retention, now): what the client can train on at ``now``."""
        # only whole windows are recorded: a round may start at any instant (e.g. back to back)
        w = self.asset.twin.window_s
        complete = math.floor((self.t_offset + now) / w + 1e-9) * w - self.t_offset
        if complete > self.recorded_until:
            X, y, t = self.asset.generate(self.t_offset + self.recorded_until, self.t_offset + complete)
            self._X = np.concatenate([self._X, X])
            self._y = np.concatenate([self._y, y])
            self._t = np.concatenate([self._t, np.asarray(t, dtype=float) - self.t_offset])
            self.recorded_until = complete
        lo, hi = np.searchsorted(self._t, [now - self.retention_s, now])
        return self._X[lo:hi], self._y[lo:hi]
