"""Pump physics: affinity laws, operating point, cavitation (noise irrelevant: these are the noiseless functions)."""
from pathlib import Path

import numpy as np
import pytest

from simdt.twins import load_twin, make_twin_asset
from simdt.twins.pump import G, efficiency, head, npsh, operating_point, shaft_power

CATALOG = Path(__file__).resolve().parents[1] / "twins"


@pytest.fixture(scope="module")
def p():
    return dict(load_twin("centrifugal_pump", CATALOG).parameters)


def test_affinity_laws_at_corresponding_points(p):
    N1, Q1 = p["N0"], np.linspace(0.02, 0.15, 9)
    H1, P1 = head(Q1, N1, p), shaft_power(Q1, head(Q1, N1, p), N1, p)
    for s in (0.6, 0.85, 1.1):
        Q2 = Q1 * s
        H2 = head(Q2, N1 * s, p)
        np.testing.assert_allclose(H2, H1 * s**2, rtol=1e-12)
        np.testing.assert_allclose(efficiency(Q2, N1 * s, p), efficiency(Q1, N1, p), rtol=1e-12)
        np.testing.assert_allclose(shaft_power(Q2, H2, N1 * s, p), P1 * s**3, rtol=1e-12)


def test_operating_point_moves_along_affinity_parabola_without_static_head(p):
    p = {**p, "H_static": 0.0}
    N = p["N0"] * np.array([0.5, 0.8, 1.0, 1.2])
    Q, H = operating_point(N, p)
    np.testing.assert_allclose(Q / N, Q[2] / N[2], rtol=1e-12)
    np.testing.assert_allclose(H / N**2, H[2] / N[2] ** 2, rtol=1e-12)
    P = shaft_power(Q, H, N, p)
    np.testing.assert_allclose(P / N**3, P[2] / N[2] ** 3, rtol=1e-12)


def test_operating_point_is_on_both_curves(p):
    N = p["N0"] * np.linspace(0.7, 1.1, 20)
    for w in (1.0, 0.9):
        Q, H = operating_point(N, p, w)
        assert (Q > 0).all()
        np.testing.assert_allclose(head(Q, N, p, w), H, rtol=1e-12)
        np.testing.assert_allclose(p["H_static"] + p["k_system"] * Q**2, H, rtol=1e-12)


def test_cavitation_flag_exactly_when_npsh_available_below_required(p):
    twin = load_twin("centrifugal_pump", CATALOG)
    pump = make_twin_asset(twin, np.random.default_rng(0)).physics
    t = np.arange(0, 86400, 60.0)
    drop = np.linspace(0, 110, t.size)  # sweep the suction pressure down through the cavitation limit
    zero = np.zeros(t.size)
    out, flag = pump.step(t, 60.0, {"suction_drop": drop, "head_loss": zero, "bearing_wear": zero})
    N, p_s, _ = pump.drivers(t)
    Q, _ = operating_point(N, p)
    available, required = npsh(Q, p_s - drop, p)
    np.testing.assert_array_equal(flag, available < required)
    assert 0 < flag.sum() < t.size
    # cavitation lowers the delivered head and raises vibration
    healthy, _ = pump.step(t, 60.0, {"suction_drop": zero, "head_loss": zero, "bearing_wear": zero})
    dp = out["discharge_pressure"] - out["suction_pressure"]
    dp0 = healthy["discharge_pressure"] - healthy["suction_pressure"]
    assert (dp[flag] < dp0[flag]).all()
    np.testing.assert_allclose(dp[~flag], dp0[~flag], rtol=1e-12)
    assert (out["vibration"][flag] > healthy["vibration"][flag]).all()
    np.testing.assert_allclose(dp0 * 1e3 / (p["rho"] * G), operating_point(N, p)[1], rtol=1e-12)
