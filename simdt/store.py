"""A site's local store: the feature windows its asset has recorded, with bounded retention.

The asset is advanced lazily, when the store is read: its generator continues the same physical
state across calls, so catching up at read time gives exactly the recording an hourly process
would have made, at a cost proportional to the sites actually used.
"""
from __future__ import annotations

import numpy as np


class SiteStore:
    def __init__(self, asset, t_offset: float, retention_s: float):
        self.asset = asset
        self.t_offset = t_offset        # asset time at simulation time 0 (after the held-out period)
        self.retention_s = retention_s
        self.recorded_until = 0.0       # simulation time
        self._X: list[np.ndarray] = []
        self._y: list[np.ndarray] = []
        self._t: list[np.ndarray] = []

    def dataset(self, now: float) -> tuple[np.ndarray, np.ndarray]:
        """Windows recorded in (now - retention, now]: what the client can train on at ``now``."""
        if now > self.recorded_until:
            X, y, t = self.asset.generate(self.t_offset + self.recorded_until, self.t_offset + now)
            self._X.append(X)
            self._y.append(y)
            self._t.append(np.asarray(t) - self.t_offset)
            self.recorded_until = now
        X, y, t = np.concatenate(self._X), np.concatenate(self._y), np.concatenate(self._t)
        keep = t >= now - self.retention_s
        self._X, self._y, self._t = [X[keep]], [y[keep]], [t[keep]]
        return self._X[0], self._y[0]
