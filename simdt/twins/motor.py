"""Induction motor driving a load through a rolling-element bearing, vectorised over a block of samples.

Slow channels (sampled like any sensor): shaft speed, stator current, winding temperature.
- Load fraction L(t): diurnal duty profile plus slow random sinusoids. Slip s = s_rated L, so the shaft rate is
  f_r = (1 - s) 2 f_line / poles. Current I = I_0 + (I_rated - I_0) L (magnetising + load current).
- Winding temperature: first-order thermal RC (time constant tau_thermal, 20-60 min for motors of this size) towards
  T_ambient + dT_rated (I / I_rated)^2 (copper losses) + dT_bearing x bearing fault severity (friction heat).

Vibration (what a condition-monitoring system records: one short accelerometer snapshot per feature window, here
``snapshot_s`` at ``fs`` Hz, simulated for all windows of a block at once):
- 1x imbalance a_imb (f_r / f_rated)^2 (1 + imbalance fault) (force ∝ speed^2), 2x misalignment a_mis x fault.
- Bearing defects (Randall & Antoni, MSSP 25(2), 2011; Harris, *Rolling Bearing Analysis*): each defect strike is an
  impulse exciting a structural resonance f_n with damping ratio zeta, repeating at the defect frequency
      BPFO = (n/2) f_r (1 - (d/D) cos phi),   BPFI = (n/2) f_r (1 + (d/D) cos phi),
      BSF  = (D/2d) f_r (1 - ((d/D) cos phi)^2),   FTF = (f_r/2) (1 - (d/D) cos phi);
  inner-race and ball strikes are amplitude-modulated as the defect passes through the load zone (at f_r and FTF),
  and every strike time jitters by ``slip_jitter`` of a period (rolling elements slip), so the spectrum is not a
  pure line comb. The raw spectrum is dominated by the resonance; the defect rate shows in the envelope spectrum.
- Gaussian background a_noise.
Features per snapshot: the logs of RMS, kurtosis, crest factor, 1x and 2x amplitudes (levels, as a CMS shows them
in dB: a fault multiplies them, and logs keep a severe fault from standing 100s of standard deviations out), and the
log of the envelope-spectrum peak in ±2 % bands around BPFO, BPFI and 2 x BSF (a ball defect strikes both races
once per spin) relative to the median envelope level (so they measure peaks, not overall level).
"""
from __future__ import annotations

import numpy as np
import scipy.fft as sfft
from scipy.signal import lfilter
from scipy.special import ndtr

from .pump import DAY_S, _sinusoids, slow_variation

PARAMETERS = (
    "f_line", "poles", "s_rated", "I_0", "I_rated",
    "n_balls", "d_ball", "D_pitch", "phi",
    "f_resonance", "zeta", "slip_jitter", "fs", "snapshot_s", "snapshot_every",
    "a_imbalance", "a_misalignment", "a_noise",
    "T_ambient", "T_ambient_diurnal", "dT_rated", "dT_bearing", "tau_thermal",
    "load_base", "load_diurnal", "load_jitter",
)
SENSORS = ("speed", "current", "winding_temperature")
FAULT_EFFECTS = {"outer_race": "bpfo", "inner_race": "bpfi", "ball": "bsf", "imbalance": "imbalance",
                 "misalignment": "misalignment"}
VIBRATION_FEATURES = ("log_vib_rms", "log_vib_kurtosis", "log_vib_crest", "log_vib_1x", "log_vib_2x", "env_bpfo",
                      "env_bpfi", "env_bsf")
CHUNK = 256  # windows per FFT batch: bounds memory at ~CHUNK x fs x snapshot_s floats


def defect_frequencies(f_r, p):
    """BPFO, BPFI, BSF, FTF [Hz] at shaft rate f_r [Hz] for bearing geometry in p."""
    r = p["d_ball"] / p["D_pitch"] * np.cos(p["phi"])
    f_r = np.asarray(f_r, dtype=float)
    return (p["n_balls"] / 2 * f_r * (1 - r), p["n_balls"] / 2 * f_r * (1 + r),
            p["D_pitch"] / (2 * p["d_ball"]) * f_r * (1 - r**2), f_r / 2 * (1 - r))


class InductionMotor:
    parameters = PARAMETERS
    sensors = SENSORS
    fault_effects = FAULT_EFFECTS
    snapshot_features = VIBRATION_FEATURES

    def __init__(self, params: dict[str, float], rng: np.random.Generator):
        self.p = dict(params)
        self._load_var = slow_variation(rng)
        self.temperature: float | None = None
        self._held: np.ndarray | None = None  # last snapshot's features, held into the next block

    def shaft_rate(self, load):
        p = self.p
        return (1 - p["s_rated"] * load) * 2 * p["f_line"] / p["poles"]

    def load(self, t):
        p, hour = self.p, (t % DAY_S) / 3600.0
        duty = np.clip((hour - 6) / 2, 0, 1) * np.clip((22 - hour) / 2, 0, 1)  # day shift 06-22 h, 2 h ramps
        return np.clip(p["load_base"] + p["load_diurnal"] * (duty - 0.5) + p["load_jitter"]
                       * _sinusoids(t, self._load_var), 0.05, 1.2)

    def step(self, t, dt, effects):
        p = self.p
        L = self.load(t)
        current = p["I_0"] + (p["I_rated"] - p["I_0"]) * L
        bearing = effects["bpfo"] + effects["bpfi"] + effects["bsf"]
        ambient = p["T_ambient"] + p["T_ambient_diurnal"] * np.cos(2 * np.pi * ((t % DAY_S) / 3600.0 - 15) / 24)
        target = ambient + p["dT_rated"] * (current / p["I_rated"]) ** 2 + p["dT_bearing"] * bearing
        alpha = np.exp(-dt / p["tau_thermal"])
        start = target[0] if self.temperature is None else self.temperature
        temperature, _ = lfilter([1 - alpha], [1, -alpha], target, zi=[alpha * start])
        self.temperature = float(temperature[-1])
        truth = {"speed": 60 * self.shaft_rate(L), "current": current, "winding_temperature": temperature}
        return truth, bearing > 0

    def snapshot(self, t, effects, rng: np.random.Generator, seconds: float | None = None):
        """Vibration snapshots (len(t), fs x seconds) in m/s^2 starting at times t, with effects at those times."""
        p = self.p
        fs, n = p["fs"], int(round(p["fs"] * (seconds or p["snapshot_s"])))
        tau = (np.arange(n) / fs).astype(np.float32)
        f_r = self.shaft_rate(self.load(t)).astype(np.float32)
        bpfo, bpfi, bsf, ftf = defect_frequencies(f_r, p)
        _, bpfi_max, bsf_max, _ = defect_frequencies(2 * p["f_line"] / p["poles"], p)  # at zero slip
        m = int(np.ceil(n / fs * max(bpfi_max, 2 * bsf_max))) + 2  # strikes per snapshot at the fastest rate
        # one draw per snapshot row, so a block's draws do not depend on how windows are chunked or split
        z = rng.standard_normal((len(t), n + 3 * m + 2), dtype=np.float32)
        noise, u = z[:, :n], ndtr(z[:, n:])  # uniforms by the normal CDF
        jitter_u = u[:, : 3 * m].reshape(len(t), 3, m) - 0.5
        phases = 2 * np.pi * u[:, 3 * m:]
        x = p["a_noise"] * noise
        x += (p["a_imbalance"] * (f_r / self.shaft_rate(1.0)) ** 2 * (1 + effects["imbalance"]))[:, None] \
            * np.sin(2 * np.pi * f_r[:, None] * tau + phases[:, :1])
        x += (p["a_misalignment"] * effects["misalignment"])[:, None] * np.sin(4 * np.pi * f_r[:, None] * tau
                                                                             + phases[:, 1:])
        strikes = np.zeros((len(t), n), dtype=np.float32)
        for k, (rate, amp, mod) in enumerate(((bpfo, effects["bpfo"], None), (bpfi, effects["bpfi"], f_r),
                                              (2 * bsf, effects["bsf"], ftf))):
            active = amp > 0
            if not active.any():
                continue
            j = np.arange(jitter_u.shape[2])
            times = (j + p["slip_jitter"] * jitter_u[active, k]) / rate[active, None]  # strike times, s
            idx = np.rint(times * fs).astype(np.int64)
            weight = np.broadcast_to(amp[active, None], idx.shape).copy()
            if mod is not None:  # load-zone modulation as the defect rotates
                weight *= 0.5 * (1 + np.cos(2 * np.pi * mod[active, None] * times))
            rows = np.broadcast_to(np.flatnonzero(active)[:, None], idx.shape)
            keep = idx < n
            np.add.at(strikes, (rows[keep], idx[keep]), weight[keep])
        # each strike rings the structural resonance: convolve with h(tau) = e^{-zeta w_n tau} sin(w_d tau)
        wn = 2 * np.pi * p["f_resonance"]
        h = np.exp(-p["zeta"] * wn * tau) * np.sin(wn * np.sqrt(1 - p["zeta"] ** 2) * tau)
        x += sfft.irfft(sfft.rfft(strikes, 2 * n, workers=-1) * sfft.rfft(h, 2 * n), 2 * n, workers=-1)[:, :n]
        return x

    def snapshot_features_of(self, x, t):
        """Features (len(t), 8) of snapshots x (see module docstring)."""
        p = self.p
        fs, n = p["fs"], x.shape[1]
        f_r = self.shaft_rate(self.load(t))
        bpfo, bpfi, bsf, _ = defect_frequencies(f_r, p)
        mean = x.mean(axis=1, keepdims=True)
        xc2 = np.square(x - mean)
        m2 = xc2.mean(axis=1)
        rms = np.sqrt(m2 + mean[:, 0] ** 2)
        kurt = np.mean(np.square(xc2), axis=1) / m2**2
        crest = np.abs(x).max(axis=1) / rms
        X = sfft.rfft(x, axis=1, workers=-1)
        freqs = np.arange(X.shape[1]) * fs / n
        amp = 2 * np.abs(X) / n

        def line(f):  # amplitude of the largest bin within ±2 % of f
            band = np.abs(freqs[None, :] - f[:, None]) <= 0.02 * f[:, None] + fs / n
            return np.where(band, amp, 0).max(axis=1)

        env = envelope_spectrum(X, n, fs, p["f_resonance"])
        floor = np.median(env, axis=1) + 1e-12

        def band_energy(f):
            band = np.abs(freqs[None, : env.shape[1]] - f[:, None]) <= 0.02 * f[:, None] + fs / n
            return np.log(np.where(band, env, 0).max(axis=1) / floor)

        levels = np.log(np.stack([rms, kurt, crest, line(f_r), line(2 * f_r)], axis=1) + 1e-6)
        return np.concatenate([levels, np.stack([band_energy(bpfo), band_energy(bpfi), band_energy(2 * bsf)],
                                                axis=1)], axis=1)

    def window_features(self, t, effects, rng: np.random.Generator, window_s: float):
        """Vibration features for windows centred at t: a snapshot is recorded in every ``snapshot_every``-th window
        (counted from time 0) and its features are held until the next one, as a condition-monitoring system does.
        Snapshots are simulated in chunks to bound memory."""
        every = max(int(self.p["snapshot_every"]), 1)
        take = np.flatnonzero(np.floor(t / window_s).astype(np.int64) % every == 0)
        if self._held is None and (len(take) == 0 or take[0] > 0):  # nothing earlier to hold: record one now
            take = np.concatenate([[0], take])
        feats = [self.snapshot_features_of(self.snapshot(t[c], {k: v[c] for k, v in effects.items()}, rng), t[c])
                 for c in np.array_split(take, max(1, int(np.ceil(len(take) / CHUNK))))]
        feats = np.concatenate([self._held[None] if self._held is not None else np.zeros((1, len(VIBRATION_FEATURES))),
                                *feats])
        out = feats[np.searchsorted(take, np.arange(len(t)), side="right")]  # latest snapshot at or before each
        if len(t):
            self._held = out[-1]
        return out


def envelope_spectrum(X, n, fs, f_resonance):
    """Amplitude spectrum of the envelope of the band around the resonance (±40 %), from the signal's rfft X
    (rows = snapshots): band-pass in the frequency domain, analytic signal by zeroing negative frequencies,
    magnitude, then its spectrum. Returns (rows, n//2 + 1)."""
    freqs = np.arange(X.shape[1]) * fs / n
    band = (np.abs(freqs - f_resonance) <= 0.4 * f_resonance)
    analytic = np.zeros((X.shape[0], n), dtype=np.complex64)
    analytic[:, : X.shape[1]] = X * band * 2
    e = np.abs(sfft.ifft(analytic, axis=1, workers=-1))
    return 2 * np.abs(sfft.rfft(e - e.mean(axis=1, keepdims=True), axis=1, workers=-1)) / n
