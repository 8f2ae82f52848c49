"""SKAB loader and data source on the real files in ../shared (skipped where they are absent)."""
from pathlib import Path

import numpy as np
import pytest

from simdt import scenario as scn
from simdt.datasets.skab import SENSOR_MAP, TWIN_SENSORS, UNMAPPED, SkabData, read_experiment, readings, \
    window_features
from simdt.rng import Streams

SKAB = Path(__file__).resolve().parents[1].parent / "shared" / "datasets" / "skab"
pytestmark = pytest.mark.skipif(not (SKAB / "valve1").is_dir(), reason=f"SKAB not found in {SKAB}")
SITES = [f"site{i:02d}" for i in range(6)]


@pytest.fixture(scope="module")
def data():
    res = scn.resolve({"name": "t", "twin_data": {"windows": 500, "anomaly_fraction": 0.3},
                       "data": {"source": "skab", "path": str(SKAB), "window": 20}})
    return SkabData(res.data[1], res.scenario, SITES, Streams(0), res.catalog)


def test_reader_and_mapping():
    df = read_experiment(SKAB / "valve1" / "0.csv")
    assert {"Accelerometer1RMS", "Volume Flow RateRMS", "anomaly"} <= set(df.columns)
    assert df["datetime"].is_monotonic_increasing
    r = readings(df)
    assert r.shape == (len(df), 7) and (r[:, UNMAPPED] == 0).all()
    np.testing.assert_allclose(r[:, TWIN_SENSORS.index("motor_power")], df["Current"] * df["Voltage"])
    assert set(SENSOR_MAP) | {TWIN_SENSORS[i] for i in UNMAPPED} == set(TWIN_SENSORS)
    X, y = window_features(r, df["anomaly"].to_numpy(), 20)
    labels = df["anomaly"].to_numpy()[: len(y) * 20].reshape(-1, 20)
    np.testing.assert_array_equal(y, labels.mean(axis=1) >= 0.5)
    assert X.shape == (len(df) // 20, 14)


def test_data_source_shapes_split_and_standardisation(data):
    Xe, ye = data.eval_set
    Xt, yt = data.twin_set
    assert Xe.dtype == Xt.dtype == np.float32 and Xe.shape[1] == Xt.shape[1] == len(data.feature_names) == 14
    assert 0.1 < ye.mean() < 0.6 and abs(yt.mean() - 0.3) < 0.01
    for Z in (Xe, Xt):  # sensors SKAB lacks carry nothing on either side
        assert (Z[:, UNMAPPED] == 0).all() and (Z[:, [7 + i for i in UNMAPPED]] == 0).all()
    sizes = [len(data.client_dataset(s, 1e9)[1]) for s in SITES]
    assert min(sizes) > 0 and sum(sizes) + len(ye) > 1500
    X0, _ = data.client_dataset(SITES[0], 0.0)
    X1, _ = data.client_dataset(SITES[0], 600.0)
    assert len(X0) == 0 and len(X1) == 30  # recorded at 1 Hz: 600 s = 30 windows of 20 rows


def test_missing_folder_is_a_one_line_error(tmp_path):
    with pytest.raises(scn.ScenarioError, match="not a SKAB data folder"):
        scn.resolve({"name": "t", "data": {"source": "skab", "path": str(tmp_path)}})
