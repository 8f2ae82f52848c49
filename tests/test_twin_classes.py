"""Every asset class in the catalog: labels follow the schedule and the twin-vs-site gap grows with mismatch."""
from pathlib import Path

import numpy as np
import pytest

from simdt.twins import ASSET_CLASSES, feature_scaler, load_twin, make_site_asset, make_twin_asset, mmd, \
    sliced_wasserstein

CATALOG = Path(__file__).resolve().parents[1] / "twins"
DAY = 86400.0
TWINS = {"induction_motor": 1 * DAY, "water_network": 2 * DAY}  # the pump's own tests are in test_twin.py


def test_catalog_covers_every_class():
    classes = {load_twin(p.stem, CATALOG).asset_class for p in CATALOG.glob("*.yaml")}
    assert classes == set(ASSET_CLASSES) and len(classes) >= 3


@pytest.mark.parametrize("name", TWINS)
def test_labels_match_the_schedule(name):
    twin = load_twin(name, CATALOG)
    site = make_site_asset(twin, "s", 0.1, np.random.default_rng(2))
    _, labels, t, _ = site.samples(0, 3 * DAY)
    expected = np.zeros(t.size, bool)
    for e in site.schedule.episodes:
        expected |= (t >= e.start) & (t < e.end)
    np.testing.assert_array_equal(labels.astype(bool), expected)
    assert 0 < expected.mean() < 0.5


@pytest.mark.parametrize("name", TWINS)
def test_gap_grows_with_mismatch(name):
    twin, horizon = load_twin(name, CATALOG), TWINS[name]
    mean, std = feature_scaler(twin, np.random.default_rng(0))
    gaps = {m: [] for m in (0.0, 0.2, 0.6)}
    for seed in range(3):
        Xt, yt, _ = make_twin_asset(twin, np.random.default_rng(100 + seed)).generate(0, horizon)
        for m in gaps:
            Xs, ys, _ = make_site_asset(twin, "s", m, np.random.default_rng(seed)).generate(0, horizon)
            a, b = (Xt[yt == 0] - mean) / std, (Xs[ys == 0] - mean) / std  # normal operation: the faults are random
            gaps[m].append((mmd(a, b, max_samples=800), sliced_wasserstein(a, b, 100, seed)))
    g = {m: np.mean(v, axis=0) for m, v in gaps.items()}
    print(name, {m: np.round(v, 3) for m, v in g.items()})
    assert g[0.0][0] < g[0.2][0] < g[0.6][0]
    assert g[0.0][1] < g[0.2][1] < g[0.6][1]
