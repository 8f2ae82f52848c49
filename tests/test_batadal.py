"""The BATADAL loader on the real files in ../shared (skipped where they are absent)."""
from pathlib import Path

import numpy as np
import pytest

from simdt import scenario as scn
from simdt.datasets.batadal import REAL, SHA256, BatadalData, inject_attacks, read_csv, sha256, twin_frame
from simdt.rng import Streams

BATADAL = Path(__file__).resolve().parents[1].parent / "shared" / "datasets" / "batadal"
pytestmark = pytest.mark.skipif(not (BATADAL / REAL).is_file(), reason=f"BATADAL not found in {BATADAL}")
SITES = [f"site{i:02d}" for i in range(20)]


def _data(cache, **params):
    res = scn.resolve({"name": "t", "twin_data": {"windows": 1000, "anomaly_fraction": 0.12},
                       "data": {"source": "batadal", "path": str(BATADAL), "ctown": {"cache_dir": str(cache)},
                                **params}})
    return BatadalData(res.data[1], res.scenario, SITES, Streams(0), res.catalog)


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    return tmp_path_factory.mktemp("ctown")


@pytest.fixture(scope="module")
def data(cache):
    return _data(cache)


def test_files_match_the_recorded_checksums():
    for name, digest in SHA256.items():
        assert sha256(BATADAL / name) == digest


def test_official_quirks():
    partial = read_csv(BATADAL / "BATADAL_dataset04.csv")  # leading spaces in the header, −999 = unknown
    assert "L_T1" in partial.columns and partial.index[0] == np.datetime64("2016-07-04T00")
    assert partial["ATT_FLAG"].isna().sum() == 3958 and (partial["ATT_FLAG"] == 1).sum() == 219
    full = read_csv(BATADAL / REAL)
    assert len(full) == 4177 and full["ATT_FLAG"].sum() == 492 and full.shape[1] == 44


def test_bad_or_missing_files_are_one_line_errors(tmp_path):
    def resolve(path):
        scn.resolve({"name": "t", "data": {"source": "batadal", "path": str(path)}})

    with pytest.raises(scn.ScenarioError, match=r"data: no BATADAL_dataset04_full_labels.csv.*batadal\.net"):
        resolve(tmp_path)
    (tmp_path / REAL).write_text("DATETIME,ATT_FLAG\n")
    with pytest.raises(scn.ScenarioError, match=r"data: no CTOWN.INP in"):   # the physics twin's network
        resolve(tmp_path)
    for name in ("BATADAL_dataset03.csv", "CTOWN.INP"):
        (tmp_path / name).write_text("DATETIME,ATT_FLAG\n")
    with pytest.raises(scn.ScenarioError, match="SHA-256 differs"):
        resolve(tmp_path)
    with pytest.raises(scn.ScenarioError, match=r"data: no .*elsewhere.INP \(data.ctown.inp\)"):
        scn.resolve({"name": "t", "data": {"source": "batadal", "path": str(tmp_path), "verify": False,
                                           "ctown": {"inp": str(tmp_path / "nets" / "elsewhere.INP")}}})


def test_splits(data):
    X_eval, y_eval = data.eval_set
    clients = [data.client_dataset(s, 0.0) for s in SITES]
    assert len(data.feature_names) == 43 and X_eval.dtype == np.float32
    assert len(y_eval) + sum(len(y) for _, y in clients) == 4177
    assert len(y_eval) == pytest.approx(0.25 * 4177, abs=2) and y_eval.mean() == pytest.approx(492 / 4177, abs=0.002)
    # no evaluation hour is on a client (rows are distinct real hours, so compare them as bytes)
    held = {r.tobytes() for r in X_eval}
    assert not any(r.tobytes() in held for X, _ in clients for r in X)


def test_dirichlet_partition_is_non_iid(cache):
    d = _data(cache, partition="dirichlet", dirichlet_alpha=0.3)
    shares = [d.client_dataset(s, 0.0)[1].mean() if len(d.client_dataset(s, 0.0)[1]) else 0 for s in SITES]
    assert sum(len(d.client_dataset(s, 0.0)[1]) for s in SITES) + len(d.eval_set[1]) == 4177
    assert np.std(shares) > 0.1


def test_twin_set_standardised_and_labelled(data):
    X, y = data.twin_set
    assert X.shape == (1000, 43) and y.mean() == pytest.approx(0.12, abs=0.05)
    varying = X.std(0) > 0
    assert np.abs(X[:, varying].mean(0)).max() < 0.2


def test_physics_twin_is_the_simulation_and_replay_stays_available(data, cache):
    """D_twin is the C-Town simulation, standardised by its own statistics; with ``twin: replay`` it is
    dataset03 with attacks written over it (no junction pressure moves)."""
    res = scn.resolve({"name": "t", "twin_data": {"windows": 1000, "anomaly_fraction": 0.12},
                       "data": {"source": "batadal", "path": str(BATADAL), "ctown": {"cache_dir": str(cache)}}})
    frame, y = twin_frame(res.data[1], res.scenario.twin_data, Streams(0))
    assert list(frame.columns) == data.feature_names and len(frame) == 1000 and set(np.unique(y)) == {0, 1}
    raw = frame.to_numpy()
    std = raw.std(0)
    std[std == 0] = 1
    assert np.allclose((raw - raw.mean(0)) / std, data.twin_set[0], atol=1e-4) and (data.twin_set[1] == y).all()
    replay = scn.resolve({"name": "t", "twin_data": {"anomaly_fraction": 0.12},
                          "data": {"source": "batadal", "path": str(BATADAL), "twin": "replay"}})
    base, ry = twin_frame(replay.data[1], replay.scenario.twin_data, Streams(0))
    clean = read_csv(BATADAL / "BATADAL_dataset03.csv").drop(columns="ATT_FLAG")
    pressures = [c for c in clean.columns if c.startswith("P_")]
    assert len(base) == 8761 and ry.mean() >= 0.12 and (base[pressures] == clean[pressures]).all().all()


def test_attack_episodes():
    df = read_csv(BATADAL / "BATADAL_dataset03.csv").drop(columns="ATT_FLAG")
    before = df.copy()
    y = inject_attacks(df, 0.12, np.random.default_rng(1))
    assert 0.12 <= y.mean() < 0.16
    edges = np.flatnonzero(np.diff(np.r_[0, y, 0]))
    lengths = edges[1::2] - edges[::2]
    assert lengths.min() >= 24 and lengths.max() <= 110
    changed = (df.to_numpy() != before.to_numpy()).any(1)
    assert not changed[y == 0].any() and changed[y == 1].mean() > 0.9
