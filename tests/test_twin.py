"""Twin catalog, site assets, fault labels, determinism, block continuity, twin-vs-site gap."""
import time
from pathlib import Path

import numpy as np
import pytest
import yaml

from simdt.twins import feature_scaler, load_twin, make_site_asset, make_twin_asset, mmd, sliced_wasserstein

CATALOG = Path(__file__).resolve().parents[1] / "twins"
DAY = 86400.0


@pytest.fixture(scope="module")
def twin():
    return load_twin("centrifugal_pump", CATALOG)


def test_catalog_definition(twin):
    assert twin.asset_class == "centrifugal_pump" and twin.window_s == 60 and twin.sample_period_s == 2
    assert {f.kind for f in twin.faults} == {"impeller_wear", "cavitation", "bearing_wear", "sensor_drift",
                                             "stuck_sensor"}
    assert load_twin(str(CATALOG / "centrifugal_pump.yaml"), CATALOG) == twin


@pytest.mark.parametrize("edit, message", [
    (lambda d: d.update({"class": "steam_turbine"}), "unknown asset class 'steam_turbine'"),
    (lambda d: d["parameters"].update(H0="high"), "parameters.H0"),
    (lambda d: d["parameters"].pop("a"), "missing a"),
    (lambda d: d["sensors"].update(pH={}), "sensors.pH"),
    (lambda d: d["faults"].update(meteor={}), "faults.meteor"),
    (lambda d: d["faults"]["cavitation"].update(duration=["1h", "5min"]), "faults.cavitation.duration"),
    (lambda d: d.update(window="3s"), "window"),
    (lambda d: d["faults"]["cavitation"].update(ramp=1.5), "faults.cavitation.ramp"),
    (lambda d: d.update(settings={"network": "Net3"}), "settings.network"),
])
def test_bad_definitions_are_rejected_with_the_field(tmp_path, edit, message):
    doc = yaml.safe_load((CATALOG / "centrifugal_pump.yaml").read_text())
    edit(doc)
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(doc))
    with pytest.raises(ValueError, match=message.replace("(", r"\(")):
        load_twin(str(bad), CATALOG)
    with pytest.raises(ValueError, match="known twins: centrifugal_pump"):
        load_twin("no_such_twin", CATALOG)


def test_labels_match_the_schedule_exactly(twin):
    site = make_site_asset(twin, "s", 0.1, np.random.default_rng(5))
    readings, labels, t, _ = site.samples(0, 4 * DAY)
    episodes = site.schedule.episodes
    assert {e.kind for e in episodes} >= {"cavitation", "stuck_sensor"}
    expected = np.zeros(t.size, bool)
    for e in episodes:
        expected |= (t >= e.start) & (t < e.end)
    np.testing.assert_array_equal(labels.astype(bool), expected)
    site2 = make_site_asset(twin, "s", 0.1, np.random.default_rng(5))
    X, y, tw = site2.generate(0, 4 * DAY)
    np.testing.assert_array_equal(y, expected.reshape(len(tw), -1).mean(axis=1) >= 0.5)  # majority of the window
    stuck = [e for e in episodes if e.kind == "stuck_sensor"]
    e = stuck[0]
    inside = (t >= e.start) & (t < e.end)
    assert np.unique(readings[inside, e.sensor]).size == 1


def test_same_seed_same_arrays_and_blocks_continue_the_state(twin):
    whole = make_site_asset(twin, "s", 0.3, np.random.default_rng(7)).generate(0, 2 * DAY)
    again = make_site_asset(twin, "s", 0.3, np.random.default_rng(7)).generate(0, 2 * DAY)
    split_asset = make_site_asset(twin, "s", 0.3, np.random.default_rng(7))
    blocks = [split_asset.generate(h * 3600.0, (h + 1) * 3600.0) for h in range(48)]
    for i in range(3):
        np.testing.assert_array_equal(whole[i], again[i])
        np.testing.assert_array_equal(whole[i], np.concatenate([b[i] for b in blocks]))
    assert whole[0].dtype == np.float32 and whole[0].shape == (2880, 14) and whole[1].dtype.kind == "i"
    other = make_site_asset(twin, "s", 0.3, np.random.default_rng(8)).generate(0, 2 * DAY)
    assert not np.array_equal(whole[0], other[0])


def test_twenty_site_weeks_and_anomaly_fraction(twin):
    start = time.perf_counter()
    ys = [make_site_asset(twin, f"site{i}", 0.1, np.random.default_rng(i)).generate(0, 7 * DAY)[1]
          for i in range(20)]
    elapsed = time.perf_counter() - start
    fraction = np.mean(np.concatenate(ys))
    print(f"\n20 sites x 1 week of 1-min windows: {elapsed:.2f} s; anomalous windows {fraction:.3f}")
    assert 0.04 < fraction < 0.2


def test_synthetic_dataset_meets_the_anomaly_fraction(twin):
    X, y = make_twin_asset(twin, np.random.default_rng(0)).synthetic_dataset(3000, 0.1, np.random.default_rng(1))
    assert X.shape == (3000, 14) and abs(y.mean() - 0.1) < 0.002


def test_gap_grows_with_mismatch(twin):
    mean, std = feature_scaler(twin, np.random.default_rng(0))
    gaps = {m: [] for m in (0.0, 0.1, 0.3)}
    for seed in range(3):
        Xt, _, _ = make_twin_asset(twin, np.random.default_rng(100 + seed)).generate(0, 2 * DAY)
        for m in gaps:
            Xs, _, _ = make_site_asset(twin, "s", m, np.random.default_rng(seed)).generate(0, 2 * DAY)
            a, b = (Xt - mean) / std, (Xs - mean) / std
            gaps[m].append((mmd(a, b, max_samples=1000), sliced_wasserstein(a, b, 100, seed)))
    g = {m: np.mean(v, axis=0) for m, v in gaps.items()}
    print({m: np.round(v, 3) for m, v in g.items()})
    assert g[0.0][0] < g[0.1][0] < g[0.3][0]
    assert g[0.0][1] < g[0.1][1] < g[0.3][1]


def test_mmd_of_identical_distributions_is_near_zero():
    rng = np.random.default_rng(0)
    X, Y = rng.standard_normal((500, 4)), rng.standard_normal((500, 4))
    assert abs(mmd(X, Y)) < 0.01 < mmd(X, Y + 1.0)
    assert sliced_wasserstein(X, Y, 50, 0) < sliced_wasserstein(X, Y + 1.0, 50, 0)
