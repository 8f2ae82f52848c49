"""Feature windows: per sensor the window mean (operating point) and standard deviation (noise, fluctuation, and the
tell-tale zero of a stuck sensor). A window is labelled anomalous if at least half of its samples are inside a fault
episode (majority): a window whose last few seconds see a fault start looks healthy, and asking a detector to flag it
only teaches it noise."""
from __future__ import annotations

import numpy as np


def feature_names(sensors: list[str]) -> list[str]:
    return [f"{s}_mean" for s in sensors] + [f"{s}_std" for s in sensors]


def windows(readings: np.ndarray, labels: np.ndarray, per_window: int) -> tuple[np.ndarray, np.ndarray]:
    """(n_samples, n_sensors) readings -> (n_windows, 2*n_sensors) float32 features and (n_windows,) labels."""
    n = readings.shape[0] // per_window
    w = readings[: n * per_window].reshape(n, per_window, -1)
    X = np.concatenate([w.mean(axis=1), w.std(axis=1)], axis=1).astype(np.float32)
    return X, (2 * labels[: n * per_window].reshape(n, per_window).sum(axis=1) >= per_window).astype(np.int64)
