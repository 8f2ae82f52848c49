"""SKAB, the Skoltech Anomaly Benchmark (Katser & Kozitsin, 2020; GPL-3.0): a water-circulation testbed with a
centrifugal pump, 8 sensors at 1 Hz, ``;``-separated CSVs with a per-row ``anomaly`` label, one experiment per
file in ``valve1/``, ``valve2/`` and ``other/``, plus an anomaly-free recording (``anomaly-free/``). Get it from
https://github.com/waico/SKAB (folder ``data/``) and give that folder as ``data.path``.

How simdt uses it:
- real data: each experiment file is one run. ``eval_fraction`` of the runs of each folder (seeded draw) are held
  out for evaluation; the rest are dealt to the sites, so a site holds whole experiments (non-IID: different
  anomaly kinds per site). A site's experiments are recorded one after another from simulated time 0, and a
  client can train on the windows recorded by ``now``.
- features: windows of ``window`` rows (majority label), the twin's 14 pump features (mean and std per sensor).
- D_twin: the centrifugal-pump twin's synthetic faults.

Sensor mapping onto the pump twin (``SENSOR_MAP``) and its honesty limits: SKAB's testbed is a small pump whose
sensors measure different quantities, in different units, at other magnitudes than the twin's 45 kW pump. So
each side is standardised by its own normal operation (SKAB by the anomaly-free recording, the twin by its
fault-free run): what transfers is "how far from normal, in standard deviations", not physics in absolute units.
- discharge_pressure <- Pressure; flow <- Volume Flow RateRMS; bearing_temperature <- Temperature (pump body);
  motor_power <- Current x Voltage (apparent power of one phase, no power factor);
  vibration <- sqrt(Accelerometer1RMS^2 + Accelerometer2RMS^2) (acceleration in g vs the twin's velocity in mm/s).
- suction_pressure and speed have no SKAB counterpart: they are set to 0 (normal) on both sides, so the model
  cannot lean on them. Thermocouple (fluid temperature) has no twin counterpart and is unused.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from pydantic import Field, field_validator

from simdt.data import Arrays, DataSource, SourceParams
from simdt.rng import Streams
from simdt.twins import feature_scaler, load_twin, make_twin_asset

FOLDERS = ("valve1", "valve2", "other")
TWIN_SENSORS = ("suction_pressure", "discharge_pressure", "flow", "speed", "motor_power", "vibration",
                "bearing_temperature")
SENSOR_MAP = {
    "discharge_pressure": lambda d: d["Pressure"],
    "flow": lambda d: d["Volume Flow RateRMS"],
    "motor_power": lambda d: d["Current"] * d["Voltage"],
    "vibration": lambda d: np.hypot(d["Accelerometer1RMS"], d["Accelerometer2RMS"]),
    "bearing_temperature": lambda d: d["Temperature"],
}
UNMAPPED = [i for i, s in enumerate(TWIN_SENSORS) if s not in SENSOR_MAP]


def read_experiment(path: Path) -> pd.DataFrame:
    df = pd.read_csv(path, sep=";", parse_dates=["datetime"])
    return df.sort_values("datetime", kind="stable").reset_index(drop=True)


def readings(df: pd.DataFrame) -> np.ndarray:
    """(rows, 7) readings in the twin's sensor order; unmapped sensors are zero."""
    out = np.zeros((len(df), len(TWIN_SENSORS)))
    for i, s in enumerate(TWIN_SENSORS):
        if s in SENSOR_MAP:
            out[:, i] = SENSOR_MAP[s](df)
    return out


def window_features(r: np.ndarray, labels: np.ndarray, window: int) -> Arrays:
    """Mean and std per sensor over non-overlapping windows of ``window`` rows; label by majority."""
    n = len(r) // window
    w = r[: n * window].reshape(n, window, -1)
    X = np.concatenate([w.mean(axis=1), w.std(axis=1)], axis=1)
    y = (2 * labels[: n * window].reshape(n, window).sum(axis=1) >= window).astype(np.int64)
    return X, y


class SkabParams(SourceParams):
    path: Path = Field(..., description="SKAB data folder (relative to the current directory)")
    window: int = Field(20, ge=2, le=600, description="rows (seconds) per feature window")
    eval_fraction: float = Field(0.25, ge=0.05, le=0.5, description="share of each folder's experiments held out")

    @field_validator("path")
    @classmethod
    def _exists(cls, v: Path) -> Path:
        missing = [f for f in (*FOLDERS, "anomaly-free") if not (v / f).is_dir()]
        if missing:
            raise ValueError(f"{v} is not a SKAB data folder (missing {', '.join(missing)}/); download it from "
                             "https://github.com/waico/SKAB (folder data/)")
        return v


class SkabData(DataSource):
    Params = SkabParams

    def __init__(self, params: SkabParams, scenario, sites: list[str], streams: Streams, catalog: Path):
        w = params.window
        free = readings(read_experiment(next((params.path / "anomaly-free").glob("*.csv"))))
        Xf, _ = window_features(free, np.zeros(len(free)), w)
        real_mean, real_std = Xf.mean(axis=0), np.maximum(Xf.std(axis=0), 1e-9)
        self._scale = lambda X: self._blank((X - real_mean) / real_std)

        rng = streams.numpy("skab/split")
        held, dealt = [], []
        for folder in FOLDERS:
            files = sorted((params.path / folder).glob("*.csv"), key=lambda p: (len(p.stem), p.stem))
            k = max(1, int(round(params.eval_fraction * len(files))))
            order = rng.permutation(len(files))
            held += [files[i] for i in order[:k]]
            dealt += [files[i] for i in order[k:]]
        dealt = [dealt[i] for i in rng.permutation(len(dealt))]

        def features(path):
            df = read_experiment(path)
            return window_features(readings(df), df["anomaly"].to_numpy(), w)

        ev = [features(p) for p in held]
        self.eval_set = (self._scale(np.concatenate([e[0] for e in ev])), np.concatenate([e[1] for e in ev]))
        # site i gets experiments i, i + n, ...; recorded back to back at 1 Hz from time 0
        self._sites = {}
        for i, s in enumerate(sites):
            runs = [features(p) for p in dealt[i::len(sites)]]
            X = np.concatenate([r[0] for r in runs]) if runs else np.zeros((0, 2 * len(TWIN_SENSORS)))
            y = np.concatenate([r[1] for r in runs]) if runs else np.zeros(0, np.int64)
            self._sites[s] = (self._scale(X), y, (np.arange(len(y)) + 1) * float(w))  # window end times

        twin_def = load_twin(scenario.sites.twin, catalog / "twins")
        if twin_def.asset_class != "centrifugal_pump":
            raise ValueError(f"data source skab needs a centrifugal_pump twin, got {twin_def.asset_class!r}")
        mean, std = feature_scaler(twin_def, streams.numpy("twin/scaler"))
        twin = make_twin_asset(twin_def, streams.numpy("twin/asset"))
        tX, ty = twin.synthetic_dataset(scenario.twin_data.windows, scenario.twin_data.anomaly_fraction,
                                        streams.numpy("twin/data"))
        self.twin_set = (self._blank((tX - mean) / std), ty)
        self.feature_names = list(twin.feature_names)

    @staticmethod
    def _blank(Z: np.ndarray) -> np.ndarray:
        """float32 z-scores with the sensors SKAB lacks held at 0 (normal) on both sides."""
        Z = np.asarray(Z, dtype=np.float32).copy()
        Z[:, UNMAPPED] = 0.0
        Z[:, [len(TWIN_SENSORS) + i for i in UNMAPPED]] = 0.0
        return Z

    def client_dataset(self, site: str, now: float) -> Arrays:
        X, y, t_end = self._sites[site]
        done = t_end <= now
        return X[done], y[done]
