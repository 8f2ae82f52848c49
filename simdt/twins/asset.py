"""Site assets and the twin: physics + fault schedule + sensors -> labelled feature windows, block by block.

Every random draw of an asset comes from generators spawned once from the rng it is built with: parameters,
sensors and slow operating variation at construction; per-fault-kind generators for the schedule; one
standard-normal (n_samples, n_sensors) draw per block for noise, which numpy fills row by row, so generating
[t0, t1) then [t1, t2) gives the same arrays as [t0, t2) in one call; and, for classes that record a vibration
snapshot per window (``snapshot_features``), one row of draws per snapshot from a fifth generator.
"""
from __future__ import annotations

import numpy as np

from .catalog import TwinDef
from .faults import FaultSchedule, ramp, synthetic_schedule
from .features import feature_names, windows
from .sensors import SensorBank

SCALER_HORIZON_S = 2 * 86400.0


class Asset:
    def __init__(self, twin: TwinDef, name: str, params: dict[str, float], mismatch: float,
                 rng: np.random.Generator, schedule: FaultSchedule | None = None):
        self.twin, self.name, self.params = twin, name, params
        r_physics, r_sensors, r_noise, r_faults, r_snapshots = rng.spawn(5)
        self.physics = twin.physics(params, r_physics, **twin.settings)
        self.sensor_names = [s.name for s in twin.sensors]
        self.sensors = SensorBank(twin.sensors, mismatch, r_sensors, any(f.kind == "replay" for f in twin.faults))
        self.schedule = schedule or FaultSchedule(twin.faults, self.sensor_names, r_faults)
        self._noise = r_noise
        if hasattr(self.physics, "effects_at"):  # classes that simulate ahead of the samples (water: a week at once)
            self.physics.effects_at = lambda t: self._effects(t, self.schedule.until(float(t[-1]) + 1.0))
        snapshot_features = getattr(self.physics, "snapshot_features", ())
        self._snapshots = r_snapshots if snapshot_features else None
        self.feature_names = feature_names(self.sensor_names) + list(snapshot_features)
        self._dt = twin.sample_period_s
        self._per_window = int(round(twin.window_s / self._dt))
        self._k: int | None = None  # index of the next sample to simulate

    def samples(self, t0_s: float, t1_s: float):
        """Raw readings (n, n_sensors), sample labels (n,), sample times (n,), cavitation flags (n,) for [t0, t1)."""
        k0, k1 = self._index(t0_s), self._index(t1_s)
        if self._k is not None and k0 < self._k:
            raise ValueError(f"asset {self.name}: cannot go back to t={t0_s} s (already simulated up to "
                             f"{self._k * self._dt} s)")
        if self._k is not None and k0 > self._k:  # a gap: the plant keeps running while nobody reads it
            self.samples(self._k * self._dt, t0_s)
        t = np.arange(k0, k1) * self._dt
        episodes = [e for e in self.schedule.until(t1_s) if e.end > t0_s]
        labels = np.zeros(len(t), dtype=np.int8)
        for ep in episodes:
            labels |= (t >= ep.start) & (t < ep.end)
        effects = self._effects(t, episodes)
        truth, cavitating = self.physics.step(t, self._dt, effects)
        truth = np.stack([truth[s] for s in self.sensor_names], axis=1)
        readings = self.sensors.read(t, truth, episodes, self._noise.standard_normal(truth.shape))
        self._k = k1
        return readings, labels, t, cavitating

    def _effects(self, t, episodes):
        """Physical fault effects at times t: per effect channel, the sum of the ramped severities."""
        effects = {ch: np.zeros(len(t)) for ch in self.physics.fault_effects.values()}
        for ep in episodes:
            if ep.kind in self.physics.fault_effects:
                effects[self.physics.fault_effects[ep.kind]] += ep.severity * ramp(t, ep)
        return effects

    def generate(self, t0_s: float, t1_s: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Feature windows starting in [t0, t1): X (n, d) float32, y (n,) int64 (1 if at least half the
        window's samples are in a fault episode), t (n,) window start times in seconds. t0 and t1 must be multiples
        of the twin's window."""
        readings, labels, t, _ = self.samples(t0_s, t1_s)
        X, y = windows(readings, labels, self._per_window)
        starts = t[:: self._per_window][: len(y)]
        if self._snapshots is not None:  # classes that record a vibration snapshot per window (motor), mid-window
            mid = starts + self.twin.window_s / 2
            episodes = [e for e in self.schedule.episodes if e.end > t0_s and e.start < t1_s]
            snap = self.physics.window_features(mid, self._effects(mid, episodes), self._snapshots,
                                                self.twin.window_s)
            X = np.concatenate([X, snap.astype(np.float32)], axis=1)
        return X, y, starts

    def synthetic_dataset(self, n_windows: int, anomaly_fraction: float, rng: np.random.Generator):
        """Labelled synthetic data (D_twin): a fresh run of this asset's physics whose fault episodes, drawn from the
        library, cover ``anomaly_fraction`` of the windows (window-aligned, so the fraction is met to one window)."""
        w = self.twin.window_s
        r_start, r_schedule, r_asset = rng.spawn(3)
        t0 = float(r_start.integers(0, int(86400 // w))) * w  # start at a random time of day
        schedule = synthetic_schedule(self.twin.faults, self.sensor_names, t0, n_windows, w, anomaly_fraction,
                                      r_schedule)
        fresh = Asset(self.twin, f"{self.name}/synthetic", self.params, 0.0, r_asset, schedule)
        X, y, _ = fresh.generate(t0, t0 + n_windows * w)
        return X, y

    def _index(self, t_s: float) -> int:
        w = t_s / self.twin.window_s
        if abs(w - round(w)) > 1e-6:
            raise ValueError(f"asset {self.name}: time {t_s} s is not a multiple of the feature window "
                             f"({self.twin.window_s} s)")
        return int(round(w)) * self._per_window


def site_parameters(twin: TwinDef, mismatch: float, rng: np.random.Generator) -> dict[str, float]:
    """Nominal parameters times (1 + mismatch x spread x z), z ~ N(0, 1) clipped to ±2.5 so nothing changes sign."""
    z = np.clip(rng.standard_normal(len(twin.parameters)), -2.5, 2.5)
    return {k: v * max(1.0 + mismatch * twin.mismatch.get(k, 0.0) * zk, 0.05)
            for (k, v), zk in zip(twin.parameters.items(), z)}


def make_site_asset(twin: TwinDef, site: str, mismatch: float, rng: np.random.Generator) -> Asset:
    """The site's real asset: parameters and calibration drawn around nominal (spread ∝ mismatch), own faults."""
    r_params, r_asset = rng.spawn(2)
    return Asset(twin, site, site_parameters(twin, mismatch, r_params), mismatch, r_asset)


def make_twin_asset(twin: TwinDef, rng: np.random.Generator) -> Asset:
    """The digital twin: nominal parameters, no calibration error; its own noise and library faults."""
    return Asset(twin, f"{twin.name}/twin", dict(twin.parameters), 0.0, rng)


def feature_scaler(twin: TwinDef, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Feature mean and std (float32) over two days of fault-free nominal twin operation."""
    quiet = Asset(twin, f"{twin.name}/scaler", dict(twin.parameters), 0.0, rng,
                  FaultSchedule((), [s.name for s in twin.sensors], None))
    X, _, _ = quiet.generate(0.0, SCALER_HORIZON_S)
    return X.mean(axis=0), np.maximum(X.std(axis=0), 1e-6).astype(np.float32)
