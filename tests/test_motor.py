"""Motor + rolling bearing physics against the formulas: defect frequencies, envelope spectrum, kurtosis, 1x/2x,
thermal RC."""
from pathlib import Path

import numpy as np
import pytest

from simdt.twins import load_twin, make_site_asset, make_twin_asset
from simdt.twins.motor import InductionMotor, defect_frequencies, envelope_spectrum

CATALOG = Path(__file__).resolve().parents[1] / "twins"
NO_FAULT = {k: np.zeros(1) for k in ("bpfo", "bpfi", "bsf", "imbalance", "misalignment")}


@pytest.fixture(scope="module")
def motor():
    return InductionMotor(dict(load_twin("induction_motor", CATALOG).parameters), np.random.default_rng(0))


def test_skf_6205_defect_frequencies():
    p = {"n_balls": 9, "d_ball": 7.94, "D_pitch": 39.04, "phi": 0.0}
    bpfo, bpfi, bsf, ftf = defect_frequencies(1.0, p)  # multiples of shaft speed, as in SKF's tables
    np.testing.assert_allclose([bpfo, bpfi, bsf, ftf], [3.5848, 5.4152, 2.3568, 0.3983], atol=5e-4)
    np.testing.assert_allclose(bpfo + bpfi, 9.0, rtol=1e-12)  # n f_r: outer + inner passes per revolution


@pytest.mark.parametrize("channel, which", [("bpfo", 0), ("bpfi", 1)])
def test_envelope_spectrum_peaks_at_the_defect_frequency(motor, channel, which):
    t = np.array([3600.0 * 10])  # one load, so one shaft rate
    x = motor.snapshot(t, {**NO_FAULT, channel: np.array([30.0])}, np.random.default_rng(1), seconds=4.0)
    n, fs = x.shape[1], motor.p["fs"]
    env = envelope_spectrum(np.fft.rfft(x, axis=1), n, fs, motor.p["f_resonance"])[0]
    freqs = np.arange(env.size) * fs / n
    band = (freqs > 20) & (freqs < 300)
    peak = freqs[band][np.argmax(env[band])]
    expected = defect_frequencies(motor.shaft_rate(motor.load(t)), motor.p)[which][0]
    assert abs(peak / expected - 1) < 0.01, (peak, expected)


def test_kurtosis_crest_and_band_energy_rise_with_the_fault(motor):
    t = np.full(64, 3600.0 * 10)
    feats = []
    for severity in (0.0, 10.0, 30.0):
        x = motor.snapshot(t, {**NO_FAULT, "bpfo": np.full(64, severity)}, np.random.default_rng(2))
        feats.append(motor.snapshot_features_of(x, t).mean(axis=0))
    kurt, crest, env_bpfo = (np.array([f[i] for f in feats]) for i in (1, 2, 5))
    kurt, crest = np.exp(kurt), np.exp(crest)
    assert np.all(np.diff(kurt) > 0) and np.all(np.diff(env_bpfo) > 0) and crest[0] < min(crest[1:])
    assert kurt[0] < 3.2 < kurt[2]  # healthy: Gaussian noise + a sinusoid (kurtosis <= 3); impulsive when faulty


def test_imbalance_raises_1x_and_misalignment_raises_2x(motor):
    t = np.full(32, 3600.0 * 10)
    rng = np.random.default_rng(3)
    base = motor.snapshot_features_of(motor.snapshot(t, {**NO_FAULT, "imbalance": np.zeros(32)}, rng), t).mean(0)
    imb = motor.snapshot_features_of(motor.snapshot(t, {**NO_FAULT, "imbalance": np.ones(32)}, rng), t).mean(0)
    mis = motor.snapshot_features_of(motor.snapshot(t, {**NO_FAULT, "misalignment": np.full(32, 2.0)}, rng), t).mean(0)
    base, imb, mis = np.exp(base), np.exp(imb), np.exp(mis)  # features are log levels
    assert imb[3] == pytest.approx(2 * base[3], rel=0.1)  # 1x amplitude doubles with severity 1
    assert mis[4] == pytest.approx(2 * motor.p["a_misalignment"], rel=0.1) and base[4] < 0.2 * mis[4]


def test_thermal_first_order_step_response(motor):
    m = InductionMotor({**motor.p, "T_ambient_diurnal": 0.0, "load_jitter": 0.0, "load_diurnal": 0.0},
                       np.random.default_rng(0))
    dt, tau = 5.0, m.p["tau_thermal"]
    t = np.arange(0, 6 * tau, dt)
    zeros = {k: np.zeros(t.size) for k in NO_FAULT}
    m.temperature = m.p["T_ambient"]  # start cold: T(t) = T_inf + (T0 - T_inf) e^{-t/tau}
    out, _ = m.step(t + dt, dt, zeros)
    T_inf = out["winding_temperature"][-1]
    frac = (out["winding_temperature"] - m.p["T_ambient"]) / (T_inf - m.p["T_ambient"])
    np.testing.assert_allclose(frac, 1 - np.exp(-(t + dt) / tau), atol=3e-3)


def test_motor_site_features_and_split_invariance():
    twin = load_twin("induction_motor", CATALOG)
    whole = make_site_asset(twin, "s", 0.2, np.random.default_rng(7)).generate(0, 6 * 3600.0)
    asset = make_site_asset(twin, "s", 0.2, np.random.default_rng(7))
    parts = [asset.generate(h * 3600.0, (h + 1) * 3600.0) for h in range(6)]
    for i in range(3):
        np.testing.assert_array_equal(whole[i], np.concatenate([p[i] for p in parts]))
    assert whole[0].shape == (360, 14) and asset.feature_names[-8:] == [
        "log_vib_rms", "log_vib_kurtosis", "log_vib_crest", "log_vib_1x", "log_vib_2x", "env_bpfo", "env_bpfi",
        "env_bsf"]
    X, y = make_twin_asset(twin, np.random.default_rng(0)).synthetic_dataset(600, 0.2, np.random.default_rng(1))
    assert X.shape == (600, 14) and abs(y.mean() - 0.2) < 0.01
