"""The C-Town physics twin against the replay twin, on BATADAL: generation cost, twin-vs-real gap, transfer.

Run: ``python -m benchmarks.bench_ctown [--quick] [--hours N]`` from the repository root (reads
../shared/datasets/batadal; quick: 2 seeds). For each seed, D_twin as the BATADAL scenario builds it
(``twin_data.windows`` = 2,000 hours unless ``--hours``, ``anomaly_fraction`` = 0.12): the physics twin
(``simdt/datasets/ctown.py``) simulated cold into a fresh cache folder, then read again from it; the replay twin
(dataset03 with ``inject_attacks``, as many hours sampled).
- gap: squared MMD and sliced Wasserstein (``simdt/twins/gap.py``) between D_twin and all 4,177 hours of the fully
  labelled dataset04, both standardised with the pooled mean and std of the two sets (so a signal constant in
  one set, e.g. a backup pump, does not blow up);
- transfer: detectors fitted on D_twin alone, scored on every dataset04 hour (ROC-AUC against its full labels):
  a logistic regression on D_twin's labels (class-balanced) and a PCA reconstruction error (a linear autoencoder,
  95 % of the variance) fitted on D_twin's normal hours; on the 43 hourly signals and on temporal features
  (the signals, their hourly change, their departure from the trailing 24 h mean). Fixed settings: nothing
  was searched against dataset04's attack hours.
Reported as mean and 95 % confidence interval over the seeds (Student t). Writes benchmarks/results/ctown.json.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats
from sklearn.decomposition import PCA
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # also runnable as a plain script

from benchmarks import write_result  # noqa: E402
from simdt.datasets import ctown  # noqa: E402
from simdt.datasets.batadal import REAL, inject_attacks, read_csv  # noqa: E402
from simdt.twins.gap import mmd, sliced_wasserstein  # noqa: E402

DATA = Path(__file__).resolve().parents[2] / "shared" / "datasets" / "batadal"
RESULTS = Path(__file__).resolve().parent / "results" / "ctown.json"
FRACTION = 0.12
COLUMNS = list(ctown.COLUMNS)


def temporal(frame: pd.DataFrame) -> pd.DataFrame:
    x = frame[COLUMNS]
    return pd.concat([x, x.diff().fillna(0).add_suffix("_d"),
                      (x - x.rolling(24, min_periods=1).mean()).add_suffix("_r")], axis=1)


def standardise(*sets):
    pooled = np.concatenate(sets)
    mean, std = pooled.mean(0), pooled.std(0)
    std[std == 0] = 1
    return [(s - mean) / std for s in sets]


def transfer(X, y, X_real, y_real) -> dict:
    mean, std = X.mean(0), X.std(0)
    std[std == 0] = 1
    Z, Z_real = (X - mean) / std, (X_real - mean) / std
    logistic = LogisticRegression(C=0.1, class_weight="balanced", max_iter=5000).fit(Z, y)
    pca = PCA(0.95, svd_solver="full").fit(Z[y == 0])
    error = ((Z_real - pca.inverse_transform(pca.transform(Z_real))) ** 2).sum(1)
    return {"logistic_auc": roc_auc_score(y_real, logistic.decision_function(Z_real)),
            "pca_auc": roc_auc_score(y_real, error)}


def twins(seed: int, hours: int, cache: Path) -> tuple[dict, dict]:
    """(physics, replay): each a dict with the raw frame, labels, temporal features, and the physics costs."""
    params = ctown.CtownParams(cache_dir=cache)
    start = time.perf_counter()
    twin = ctown.generate(params, DATA / "CTOWN.INP", hours, FRACTION, seed)
    cold = time.perf_counter() - start
    start = time.perf_counter()
    ctown.generate(params, DATA / "CTOWN.INP", hours, FRACTION, seed)
    cached = time.perf_counter() - start
    physics = {"frame": twin.frame, "y": twin.frame["ATT_FLAG"].to_numpy(), "temporal": temporal(twin.frame),
               "cold_s": cold, "cached_s": cached, "episodes": len(twin.episodes), "rejected": twin.rejected,
               "kinds": twin.episodes["kind"].value_counts().to_dict()}
    year = read_csv(DATA / "BATADAL_dataset03.csv")[COLUMNS]
    y = inject_attacks(year, FRACTION, np.random.default_rng(seed))
    keep = np.sort(np.random.default_rng(10_000 + seed).choice(len(year), min(hours, len(year)), replace=False))
    replay = {"frame": year.iloc[keep], "y": y[keep], "temporal": temporal(year).iloc[keep]}
    return physics, replay


def ci(values) -> dict:
    v = np.asarray(values, float)
    half = stats.t.ppf(0.975, len(v) - 1) * v.std(ddof=1) / np.sqrt(len(v)) if len(v) > 1 else float("nan")
    return {"mean": float(v.mean()), "ci95": float(half), "values": [float(x) for x in v]}


def run(quick: bool = False, hours: int = 2000) -> dict:
    if not (DATA / REAL).is_file() or not (DATA / "CTOWN.INP").is_file():
        print("skipped: no BATADAL data at ../shared/datasets/batadal")
        return {"skipped": "no BATADAL data"}
    real = read_csv(DATA / REAL)
    y_real = real["ATT_FLAG"].to_numpy()
    real_temporal = temporal(real)
    seeds = range(2 if quick else 5)
    rows = {"physics": [], "replay": []}
    with tempfile.TemporaryDirectory() as tmp:
        for seed in seeds:
            for name, twin in zip(rows, twins(seed, hours, Path(tmp) / f"seed{seed}")):
                X, X_real = standardise(twin["frame"][COLUMNS].to_numpy(), real[COLUMNS].to_numpy())
                row = {"mmd2": mmd(X, X_real), "swd": sliced_wasserstein(X, X_real)}
                hourly = transfer(twin["frame"][COLUMNS].to_numpy(), twin["y"], real[COLUMNS].to_numpy(), y_real)
                windows = transfer(twin["temporal"].to_numpy(), twin["y"], real_temporal.to_numpy(), y_real)
                row |= {f"hourly_{k}": v for k, v in hourly.items()} | {f"temporal_{k}": v for k, v in windows.items()}
                row |= {k: twin[k] for k in ("cold_s", "cached_s", "episodes", "rejected", "kinds") if k in twin}
                rows[name].append(row)
    metrics = ["mmd2", "swd", "hourly_logistic_auc", "hourly_pca_auc", "temporal_logistic_auc", "temporal_pca_auc"]
    result = {"setup": {"hours": hours, "anomaly_fraction": FRACTION, "seeds": list(seeds)},
              "twins": {name: {m: ci([r[m] for r in rs]) for m in metrics} for name, rs in rows.items()},
              "physics_cost": {m: ci([r[m] for r in rows["physics"]]) for m in ("cold_s", "cached_s", "episodes",
                                                                                 "rejected")},
              "physics_kinds": [r["kinds"] for r in rows["physics"]]}
    print(f"{'twin':<9}" + "".join(f"{m:>24}" for m in metrics))
    for name, summary in result["twins"].items():
        print(f"{name:<9}" + "".join(f"{summary[m]['mean']:>15.4f} ± {summary[m]['ci95']:<6.4f}" for m in metrics))
    cost = result["physics_cost"]
    print(f"physics twin, {hours} h: cold {cost['cold_s']['mean']:.2f} s, cached {cost['cached_s']['mean']:.3f} s, "
          f"{cost['episodes']['mean']:.1f} episodes, {cost['rejected']['mean']:.1f} draws rejected per twin")
    write_result(RESULTS if hours == 2000 else RESULTS.with_name(f"ctown-{hours}h.json"), result)
    return result


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true", help="2 seeds")
    ap.add_argument("--hours", type=int, default=2000, help="hours of D_twin (default: the scenario's 2,000)")
    args = ap.parse_args()
    run(args.quick, args.hours)
