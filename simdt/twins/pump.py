"""Centrifugal pump on a pipe system, vectorised over a block of samples.

Formulas (Gülich, *Centrifugal Pumps*, 3rd ed., Springer 2014, ch. 3, 6, 11; Karassik, *Pump Handbook*, 4th ed.):

- Pump head curve  H(Q, N) = w H0 (N/N0)^2 - a Q^2   (w = 1 new impeller; impeller wear lowers w).
  Affinity laws: at corresponding points Q ∝ N, H ∝ N^2, P ∝ N^3.
- System curve  H_sys(Q) = H_static + k Q^2.  The operating point solves H = H_sys in closed form:
  Q* = sqrt(max(w H0 r^2 - H_static, 0) / (a + k)),  r = N/N0.  With H_static = 0 it moves along the affinity parabola.
- Hydraulic efficiency  eta(Q, N) = eta_max (1 - (Q/Q_bep - 1)^2),  Q_bep = Q_bep0 r  (a function of Q/N only,
  hence equal at corresponding points).  Shaft power P = rho g Q H / eta, electrical power P / eta_motor.
- NPSH available  NPSH_a = (p_s - p_v)/(rho g) + v^2/(2g) - k_s Q^2,  v = Q / A_s.
  NPSH required   NPSH_r = NPSH_r0 (Q/Q_bep0)^2  (= NPSH_r0 r^2 (Q/Q_bep)^2, so ∝ N^2 at corresponding points).
  Cavitation when NPSH_a < NPSH_r: the deficit d = (NPSH_r - NPSH_a)/NPSH_r in (0, 1] lowers w by cav_head_loss*d
  (head breakdown; the operating point is solved again) and adds broadband vibration.
- Vibration RMS = sqrt((v_imbalance r^2)^2 + (v_hydraulic (Q/Q_bep - 1))^2 + (v_bearing c)^2 + (v_cavitation d)^2):
  independent components add in power; imbalance force ∝ N^2; off-BEP recirculation; bearing condition c (0 = new).
- Bearing temperature: first-order lag (time constant tau_thermal) towards
  T_ambient + dT_load P/P_bep + dT_wear c, integrated exactly for a piecewise-constant input (scipy lfilter).

Operating variation: the speed set-point follows a diurnal demand profile (peaks around demand_peak_h and 12 h later)
plus slow random sinusoids; suction pressure follows the reservoir level (diurnal) plus slow random sinusoids.
"""
from __future__ import annotations

import numpy as np
from scipy.signal import lfilter

G = 9.81
DAY_S = 86400.0

PARAMETERS = (
    "rho", "N0", "H0", "a", "H_static", "k_system", "Q_bep0", "eta_max", "eta_motor",
    "p_vapour", "suction_area", "k_suction", "NPSHr0", "cav_head_loss",
    "v_imbalance", "v_hydraulic", "v_bearing", "v_cavitation",
    "T_ambient", "T_ambient_diurnal", "dT_load", "dT_wear", "tau_thermal",
    "speed_base", "speed_diurnal", "speed_jitter", "demand_peak_h",
    "p_suction", "p_suction_diurnal", "p_suction_jitter",
)
SENSORS = ("suction_pressure", "discharge_pressure", "flow", "speed", "motor_power", "vibration", "bearing_temperature")
# fault kind -> effect channel (the severity, ramped in over the episode as the YAML's ``ramp`` says, adds to it)
FAULT_EFFECTS = {"impeller_wear": "head_loss", "cavitation": "suction_drop", "bearing_wear": "bearing_wear"}


def head(Q, N, p, w=1.0):
    """Pump head [m] at flow Q [m3/s] and speed N [rpm]."""
    return w * p["H0"] * (N / p["N0"]) ** 2 - p["a"] * Q**2


def operating_point(N, p, w=1.0):
    """Flow [m3/s] and head [m] where the pump curve meets the system curve."""
    Q = np.sqrt(np.maximum(w * p["H0"] * (N / p["N0"]) ** 2 - p["H_static"], 0.0) / (p["a"] + p["k_system"]))
    return Q, p["H_static"] + p["k_system"] * Q**2


def efficiency(Q, N, p):
    q = Q / (p["Q_bep0"] * N / p["N0"])
    return np.maximum(p["eta_max"] * (1.0 - (q - 1.0) ** 2), 0.05)


def shaft_power(Q, H, N, p):
    """Shaft power [W] = rho g Q H / eta."""
    return p["rho"] * G * Q * H / efficiency(Q, N, p)


def npsh(Q, p_suction_kpa, p):
    """(NPSH available, NPSH required) in metres."""
    v = Q / p["suction_area"]
    available = (p_suction_kpa - p["p_vapour"]) * 1e3 / (p["rho"] * G) + v**2 / (2 * G) - p["k_suction"] * Q**2
    return available, p["NPSHr0"] * (Q / p["Q_bep0"]) ** 2


def slow_variation(rng: np.random.Generator, n: int = 4) -> np.ndarray:
    """Random sinusoids (period 20 min..6 h, random phase) with unit total standard deviation."""
    period = np.exp(rng.uniform(np.log(1200.0), np.log(21600.0), n))
    phase = rng.uniform(0, 2 * np.pi, n)
    return np.stack([2 * np.pi / period, phase, np.full(n, np.sqrt(2.0 / n))])


def _sinusoids(t, table):
    omega, phase, amp = table
    return (amp * np.sin(np.outer(t, omega) + phase)).sum(axis=1)


class CentrifugalPump:
    """Physics of one pump; ``state`` carries the bearing temperature from block to block."""

    parameters = PARAMETERS
    sensors = SENSORS
    fault_effects = FAULT_EFFECTS

    def __init__(self, params: dict[str, float], rng: np.random.Generator):
        self.p = dict(params)
        self._speed_var, self._suction_var = slow_variation(rng), slow_variation(rng)
        Qb = self.p["Q_bep0"]
        self._p_bep = shaft_power(Qb, head(Qb, self.p["N0"], self.p), self.p["N0"], self.p)
        self.temperature: float | None = None

    def drivers(self, t):
        """Speed [rpm], suction pressure [kPa abs] and ambient temperature [°C] at times t [s]."""
        p, hour = self.p, (t % DAY_S) / 3600.0
        demand = 0.6 * np.cos(2 * np.pi * (hour - p["demand_peak_h"]) / 24) \
            + 0.4 * np.cos(4 * np.pi * (hour - p["demand_peak_h"]) / 24)
        speed = p["N0"] * (p["speed_base"] + p["speed_diurnal"] * demand
                           + p["speed_jitter"] * _sinusoids(t, self._speed_var))
        # reservoir level is lowest after the demand peak
        suction = p["p_suction"] - p["p_suction_diurnal"] * np.cos(2 * np.pi * (hour - p["demand_peak_h"] - 3) / 24) \
            + p["p_suction_jitter"] * _sinusoids(t, self._suction_var)
        ambient = p["T_ambient"] + p["T_ambient_diurnal"] * np.cos(2 * np.pi * (hour - 15) / 24)
        return speed, suction, ambient

    def step(self, t, dt, effects):
        """True sensor values (dict of arrays) for samples at t, advancing the thermal state."""
        p = self.p
        N, p_s, ambient = self.drivers(t)
        p_s = p_s - effects["suction_drop"]
        w = 1.0 - effects["head_loss"]
        Q, _ = operating_point(N, p, w)
        available, required = npsh(Q, p_s, p)
        cavitating = available < required
        deficit = np.where(cavitating, np.clip((required - available) / np.maximum(required, 1e-9), 0, 1), 0.0)
        Q, H = operating_point(N, p, w * (1.0 - p["cav_head_loss"] * deficit))
        P = shaft_power(Q, H, N, p)
        c = effects["bearing_wear"]
        q_rel = Q / (p["Q_bep0"] * N / p["N0"])
        vibration = np.sqrt((p["v_imbalance"] * (N / p["N0"]) ** 2) ** 2 + (p["v_hydraulic"] * (q_rel - 1)) ** 2
                            + (p["v_bearing"] * c) ** 2 + (p["v_cavitation"] * deficit) ** 2)
        target = ambient + p["dT_load"] * P / self._p_bep + p["dT_wear"] * c
        alpha = np.exp(-dt / p["tau_thermal"])
        start = target[0] if self.temperature is None else self.temperature
        temperature, _ = lfilter([1 - alpha], [1, -alpha], target, zi=[alpha * start])
        self.temperature = float(temperature[-1])
        return {
            "suction_pressure": p_s,
            "discharge_pressure": p_s + p["rho"] * G * H / 1e3,
            "flow": Q * 3600.0,
            "speed": N,
            "motor_power": P / p["eta_motor"] / 1e3,
            "vibration": vibration,
            "bearing_temperature": temperature,
        }, cavitating
