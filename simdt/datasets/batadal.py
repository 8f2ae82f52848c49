"""BATADAL (Taormina et al., J. Water Resour. Plann. Manage. 144(8), 2018; CC BY 4.0): hourly SCADA readings of
the C-Town water network, 43 signals (tank levels L_T*, pump and valve flows F_* and states S_*, pressures P_*).

Download the CSVs from the official site, https://www.batadal.net/data.html (training dataset 1 =
``BATADAL_dataset03.csv``, training dataset 2 = ``BATADAL_dataset04.csv``, and the fully labelled
``BATADAL_dataset04_full_labels.csv`` the organisers released with the results, and the C-Town network
``CTOWN.INP`` for the physics twin) into one folder and give it as
``data.path`` (or put it in the cache folder, ``~/.cache/simdt/batadal`` by default). The files are checked
against the SHA-256 sums below; ``verify: false`` accepts other versions.

How simdt uses it (choices, all parameters):
- real data: the fully labelled training set 2 (4,177 hours, 492 under attack). The last ``eval_fraction``
  (25 %) of the hours is held out for evaluation (time-based: neighbouring hours of one attack never end up on
  both sides); ``eval_split: stratified`` draws it at random per class instead. The rest is split across the
  sites in contiguous time blocks (each site holds its own stretch of history) or, with ``partition:
  dirichlet``, by label proportions drawn from Dir(``dirichlet_alpha``) per class (non-IID).
- D_twin (``twin``): ``physics`` (default) simulates ``twin_data.windows`` hours of C-Town with EPANET on
  ``CTOWN.INP``, BATADAL's attack kinds acting through the PLC control logic and at the SCADA, on about
  ``twin_data.anomaly_fraction`` of the hours (``simdt/datasets/ctown.py``; parameters under ``ctown``, cached);
  ``replay`` takes the attack-free year (training set 1) as the twin's normal operation and overwrites episodes of
  24-110 h with synthetic attacks of BATADAL's kinds (``inject_attacks``: no junction pressure moves), then samples
  ``twin_data.windows`` hours.
- Features are standardised with D_twin's statistics (what the twin host knows).
A site's data does not grow with simulated time: BATADAL is a fixed record, so every site holds its block.
"""
from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
from pydantic import Field, model_validator

from simdt.data import Arrays, DataSource, SourceParams
from simdt.datasets.ctown import CtownParams, generate
from simdt.rng import Streams

SHA256 = {
    "BATADAL_dataset01.csv": "758a3938b64f34bdf8ffc28f05165a84fde8597247488db9a9bd111b591962c0",
    "BATADAL_dataset03.csv": "8ca6cb851242254d2605b5a53ba3ba5009e2213a545d65396615f1ce0b426e1b",
    "BATADAL_dataset04.csv": "4746beab2cfcdb5e68c7fa197a7522aecb70189d61dcc3eb1f870d2ce387068b",
    "BATADAL_dataset04_full_labels.csv": "4c2356f5b4475407d78d053d1d9456a791951676ac7c0c7ebbcc665c04bd5c90",
    "CTOWN.INP": "9198b0bb43f551b29bfb550e206ff95f1df220118fc0068c7f130cec78d58d9e",
}
REAL = "BATADAL_dataset04_full_labels.csv"
TWIN_RUNS = {"dataset03": "BATADAL_dataset03.csv", "dataset01": "BATADAL_dataset01.csv"}
DOWNLOAD = "https://www.batadal.net/data.html"
# Pumps and the tank they fill (C-Town, Taormina et al. 2018, Fig. 1); valve V2 fills T2.
PUMPS_OF_TANK = {"T1": ["PU1", "PU2", "PU3"], "T3": ["PU4", "PU5"], "T4": ["PU6", "PU7"], "T5": ["PU8", "PU9"],
                 "T7": ["PU10", "PU11"]}
ATTACK_HOURS = (24, 110)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def read_csv(path: Path) -> pd.DataFrame:
    """One BATADAL file as a frame indexed by time, with its quirks smoothed: header names with leading spaces
    (dataset04), the time column named TIME or DATETIME in ``dd/mm/yy HH``, ATT_FLAG −999 (unknown) as NaN."""
    df = pd.read_csv(path, skipinitialspace=True)
    df.columns = [c.strip() for c in df.columns]
    time = df.columns[0]
    df.index = pd.to_datetime(df.pop(time), format="%d/%m/%y %H")
    df["ATT_FLAG"] = df["ATT_FLAG"].where(df["ATT_FLAG"] != -999).astype(float)
    return df


class BatadalParams(SourceParams):
    path: Path | None = Field(None, description="folder with the BATADAL CSVs (relative to the current directory)")
    cache_dir: Path = Field(Path("~/.cache/simdt/batadal"), description="where to look when path is not given")
    verify: bool = Field(True, description="check the files' SHA-256 sums")
    eval_fraction: float = Field(0.25, ge=0.05, le=0.5, description="share of the real hours held out")
    eval_split: Literal["stratified", "time"] = "stratified"
    partition: Literal["time_blocks", "dirichlet"] = "time_blocks"
    dirichlet_alpha: float = Field(0.5, gt=0, description="concentration of the per-class Dirichlet split")
    twin: Literal["physics", "replay"] = Field("physics", description="D_twin: C-Town simulated, or dataset03 "
                                               "with attacks written over it")
    ctown: CtownParams = CtownParams()
    twin_runs: list[Literal["dataset03", "dataset01"]] = Field(["dataset03"], min_length=1,
                                                                description="attack-free runs the replay twin uses")

    @property
    def folder(self) -> Path:
        return (self.path or self.cache_dir).expanduser()

    @property
    def inp(self) -> Path:
        return (self.ctown.inp or self.folder / "CTOWN.INP").expanduser()

    @model_validator(mode="after")
    def _files_present_and_intact(self):
        twin = [self.inp] if self.twin == "physics" else [self.folder / TWIN_RUNS[r] for r in self.twin_runs]
        needed = [self.folder / REAL, *twin]
        missing = [f for f in needed if not f.is_file()]
        if missing:
            inside = [f.name for f in missing if f.parent == self.folder]
            where = [f"{', '.join(inside)} in {self.folder}"] if inside else []
            where += [f"{f} (data.ctown.inp)" for f in missing if f.parent != self.folder]
            raise ValueError(f"no {'; no '.join(where)}: download BATADAL from {DOWNLOAD} "
                             f"and give its folder as data.path (e.g. --set data.path=DIR)")
        bad = [f.name for f in needed if self.verify and f.name in SHA256 and sha256(f) != SHA256[f.name]]
        if bad:
            raise ValueError(f"{', '.join(bad)} in {self.folder}: SHA-256 differs from the official file "
                             f"(re-download from {DOWNLOAD}, or set verify: false)")
        return self


def inject_attacks(df: pd.DataFrame, fraction: float, rng: np.random.Generator) -> np.ndarray:
    """Overwrite episodes of ``df`` (in place) with synthetic attacks; returns the 0/1 labels per hour.

    Kinds, after BATADAL's: a tank-level sensor spoofed by an offset; a tank and its pumps replayed from an
    earlier day (concealment); a pump group forced on or off with the tank drifting accordingly; valve V2 closed
    and T2 draining."""
    n = len(df)
    y = np.zeros(n)
    levels = {t: (df[f"L_{t}"].min(), df[f"L_{t}"].max()) for t in [f"T{i}" for i in range(1, 8)]}
    for _ in range(10_000):
        if y.mean() >= fraction:
            break
        length = int(rng.integers(ATTACK_HOURS[0], ATTACK_HOURS[1] + 1))
        start = int(rng.integers(24 * 7, n - length))  # a week of history before it, for replays
        rows = slice(start, start + length)
        if y[start - 1 : start + length + 1].any():
            continue
        y[rows] = 1
        kind = rng.choice(["spoof", "replay", "pumps", "valve"])
        tank = str(rng.choice(list(PUMPS_OF_TANK)))
        lo, hi = levels[tank]
        ramp = np.linspace(0, 1, length)
        if kind == "spoof":
            col = f"L_{str(rng.choice(list(levels)))}"
            df.iloc[rows, df.columns.get_loc(col)] += rng.choice([-1, 1]) * rng.uniform(0.5, 1.5)
        elif kind == "replay":
            cols = [f"L_{tank}", *(f"{k}_{p}" for p in PUMPS_OF_TANK[tank] for k in ("F", "S"))]
            lag = 24 * int(rng.integers(1, 7))
            df.iloc[rows, [df.columns.get_loc(c) for c in cols]] = df[cols].iloc[start - lag : start - lag + length].to_numpy()
        elif kind == "pumps":
            on = bool(rng.integers(2))
            for p in PUMPS_OF_TANK[tank]:
                running = df.loc[df[f"S_{p}"] == 1, f"F_{p}"]
                df.iloc[rows, df.columns.get_loc(f"S_{p}")] = float(on)
                df.iloc[rows, df.columns.get_loc(f"F_{p}")] = running.mean() if on and len(running) else 0.0
            col = df.columns.get_loc(f"L_{tank}")
            target = hi if on else lo
            df.iloc[rows, col] = df.iloc[rows, col] + (target - df.iloc[rows, col]) * ramp
        else:
            df.iloc[rows, df.columns.get_loc("S_V2")] = 0.0
            df.iloc[rows, df.columns.get_loc("F_V2")] = 0.0
            col = df.columns.get_loc("L_T2")
            df.iloc[rows, col] = df.iloc[rows, col] + (levels["T2"][0] - df.iloc[rows, col]) * ramp
    return y


def twin_frame(params: BatadalParams, twin_data, streams: Streams) -> tuple[pd.DataFrame, np.ndarray]:
    """D_twin's raw signals (BATADAL's 43 columns, hourly) and 0/1 labels, before any scaling."""
    if params.twin == "physics":
        twin = generate(params.ctown, params.inp, twin_data.windows, twin_data.anomaly_fraction,
                        streams.int_seed("twin/ctown"))
        return twin.frame.drop(columns="ATT_FLAG"), twin.frame["ATT_FLAG"].to_numpy()
    base = pd.concat([read_csv(params.folder / TWIN_RUNS[r]) for r in params.twin_runs]).drop(columns="ATT_FLAG")
    return base, inject_attacks(base, twin_data.anomaly_fraction, streams.numpy("twin/batadal/attacks"))


def _eval_mask(y: np.ndarray, params: BatadalParams, rng: np.random.Generator) -> np.ndarray:
    held = np.zeros(len(y), bool)
    if params.eval_split == "time":
        held[int(round(len(y) * (1 - params.eval_fraction))):] = True
    else:
        for c in (0, 1):
            idx = np.flatnonzero(y == c)
            held[rng.choice(idx, int(round(len(idx) * params.eval_fraction)), replace=False)] = True
    return held


def _partition(y: np.ndarray, k: int, params: BatadalParams, rng: np.random.Generator) -> list[np.ndarray]:
    """Row indices (into the training part, in time order) per site."""
    if params.partition == "time_blocks":
        return np.array_split(np.arange(len(y)), k)
    parts = [[] for _ in range(k)]
    for c in (0, 1):
        idx = rng.permutation(np.flatnonzero(y == c))
        cuts = (np.cumsum(rng.dirichlet(np.full(k, params.dirichlet_alpha)))[:-1] * len(idx)).astype(int)
        for site, chunk in enumerate(np.split(idx, cuts)):
            parts[site].extend(chunk)
    return [np.sort(np.asarray(p, dtype=int)) for p in parts]


class BatadalData(DataSource):
    Params = BatadalParams

    def __init__(self, params: BatadalParams, scenario, sites: list[str], streams: Streams, catalog: Path):
        real = read_csv(params.folder / REAL)
        self.feature_names = [c for c in real.columns if c != "ATT_FLAG"]
        base, ty = twin_frame(params, scenario.twin_data, streams)
        tX = base[self.feature_names].to_numpy(np.float64)
        mean, std = tX.mean(0), tX.std(0)
        std[std == 0] = 1.0  # signals the twin never sees vary (e.g. pumps that never run) stay in raw units
        scale = lambda X: ((np.asarray(X, np.float64) - mean) / std).astype(np.float32)  # noqa: E731
        keep = streams.numpy("twin/batadal/sample").choice(len(tX), min(scenario.twin_data.windows, len(tX)), replace=False)
        keep.sort()
        self.twin_set = (scale(tX[keep]), ty[keep].astype(np.float32))

        X, y = scale(real[self.feature_names].to_numpy()), real["ATT_FLAG"].to_numpy(np.float32)
        held = _eval_mask(y, params, streams.numpy("data/batadal/eval"))
        self.eval_set = (X[held], y[held])
        train = np.flatnonzero(~held)
        parts = _partition(y[train], len(sites), params, streams.numpy("data/batadal/partition"))
        self._clients = {s: (X[train[p]], y[train[p]]) for s, p in zip(sites, parts)}

    def client_dataset(self, site: str, now: float) -> Arrays:
        return self._clients[site]
