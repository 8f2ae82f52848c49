"""Water distribution network: EPANET hydraulics (WNTR's EpanetSimulator) run one site-week at a time, cached.

EPANET solves an extended-period simulation: a steady-state network solve every hydraulic step h, with tank levels
integrated between steps (dV/dt = net inflow, V = A x level for cylindrical tanks). So between steps flows,
pressures and pump status are constant and tank levels change linearly; the sensor samples are read off exactly
that way (held, respectively interpolated), which is why one EPANET run per week serves every sample of the week.

Sites differ from the twin by demand level (``demand_scale``), pipe roughness (``roughness_scale``, Hazen-Williams C
of every pipe) and pump speed (``pump_speed``); each week's demand also varies by ``demand_jitter`` (one draw per
week). Tank levels carry over from one week to the next.

Attacks and faults as in BATADAL (Taormina et al., J. Water Resour. Plann. Manage. 144(8), 2018):
- ``leak``: extra demand of ``severity`` L/s at the ``leak_node`` junction;
- ``pump_off``: actuator manipulation, the ``attacked_pump`` is forced off while severity > 0 (a week with such an
  attack is simulated twice: normally, then with the pump following its normal status except while attacked; after
  the attack it follows that recorded schedule rather than its level controls, until the week ends);
- sensor attacks come from the generic sensor model (spoofing = ``sensor_drift`` with ``ramp: 0``, ``replay``,
  ``stuck_sensor`` as concealment).

Sensors are named after network elements: ``level_<tank>`` [m], ``flow_<link>`` [L/s], ``status_<pump>`` (0/1),
``pressure_<junction>`` [m].
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np
import wntr

WEEK_S = 7 * 86400.0
KINDS = {"level": "tank", "flow": "link", "status": "pump", "pressure": "junction"}


def network_path(network: str) -> Path:
    """A WNTR-bundled network by name (``Net3``), or an INP file path (relative paths against the working dir)."""
    if network.lower().endswith(".inp"):
        path = Path(network)
    else:
        path = Path(wntr.__file__).parent / "library" / "networks" / f"{network}.inp"
    if not path.is_file():
        raise ValueError(f"water network {network!r}: no file {path}")
    return path


class WaterNetwork:
    parameters = ("demand_scale", "demand_jitter", "roughness_scale", "pump_speed", "hydraulic_step")
    sensors = None  # depend on the network
    settings = ("network", "leak_node", "attacked_pump")
    fault_effects = {"leak": "leak", "pump_off": "pump_off"}

    def __init__(self, params: dict[str, float], rng: np.random.Generator, network: str = "Net3",
                 leak_node: str | None = None, attacked_pump: str | None = None):
        self.p = dict(params)
        self.wn = wntr.network.WaterNetworkModel(str(network_path(network)))
        wn, h = self.wn, int(self.p["hydraulic_step"])
        self.leak_node = leak_node or wn.junction_name_list[len(wn.junction_name_list) // 2]
        self.attacked_pump = attacked_pump or wn.pump_name_list[0]
        for name, kind in ((self.leak_node, "junction"), (self.attacked_pump, "pump")):
            if name not in getattr(wn, f"{kind}_name_list"):
                raise ValueError(f"water network {network!r}: no {kind} {name!r}")
        # patterns at the hydraulic step, so attacks can switch on and off within an hour
        step = int(wn.options.time.pattern_timestep)
        for name in wn.pattern_name_list:
            pat = wn.get_pattern(name)
            pat.multipliers = np.repeat(np.asarray(pat.multipliers), max(step // h, 1))
        wn.options.time.pattern_timestep = h
        wn.options.time.hydraulic_timestep = wn.options.time.report_timestep = h
        wn.options.time.duration = WEEK_S
        wn.options.time.report_start = 0
        for _, pipe in wn.pipes():
            pipe.roughness *= self.p["roughness_scale"]
        for _, pump in wn.pumps():
            pump.base_speed = self.p["pump_speed"]
        n = int(WEEK_S // h) + 1
        wn.add_pattern("leak", np.zeros(n))
        wn.get_node(self.leak_node).demand_timeseries_list.append((1e-3, wn.get_pattern("leak"), "leak"))
        wn.add_pattern("attack", np.ones(n))
        self._rng = rng
        self._weeks: dict[int, dict] = {}
        self.effects_at = None  # set by the asset: fault effects at any times (the week is simulated at once)

    def week(self, k: int) -> dict:
        """Hydraulic results of week k (simulated in order; the last two weeks are kept)."""
        while k not in self._weeks:
            done = max(self._weeks, default=-1)
            if k < done:
                raise ValueError(f"week {k} of a water network was already dropped from the cache")
            self._weeks[done + 1] = self._simulate(done + 1)
            self._weeks.pop(done - 1, None)
        return self._weeks[k]

    def _simulate(self, k: int) -> dict:
        wn, h = self.wn, self.p["hydraulic_step"]
        times = k * WEEK_S + np.arange(int(WEEK_S // h) + 1) * h
        effects = self.effects_at(times)
        wn.get_pattern("leak").multipliers = effects["leak"]
        wn.options.hydraulic.demand_multiplier = self.p["demand_scale"] * max(
            1 + self.p["demand_jitter"] * self._rng.standard_normal(), 0.2)
        if k > 0:
            last = self._weeks[k - 1]
            for i, name in enumerate(wn.tank_name_list):
                tank = wn.get_node(name)
                tank.init_level = float(np.clip(last["level"][-1, i], tank.min_level, tank.max_level))
        pump = wn.get_link(self.attacked_pump)
        pump.speed_pattern_name = None
        r = _run(wn)
        attacked = effects["pump_off"] > 0
        if attacked.any():
            # A speed pattern sets the pump's status at every step (EPANET opens a pump whose speed is > 0), so it
            # replays the week's normal schedule, switched off while attacked; the week is run again with it.
            normal = r.link["status"][self.attacked_pump].to_numpy(float)
            wn.get_pattern("attack").multipliers = normal * ~attacked
            pump.speed_pattern_name = "attack"
            r = _run(wn)
        t_rep = r.node["head"].index.to_numpy(float)
        if len(t_rep) != len(times):
            raise RuntimeError(f"EPANET stopped early at {t_rep[-1]} s of the week")
        elev = np.array([wn.get_node(n).elevation for n in wn.tank_name_list])
        return {"t": times, "tanks": list(wn.tank_name_list),
                "level": r.node["head"][wn.tank_name_list].to_numpy() - elev,
                "flow": r.link["flowrate"],
                "status": r.link["status"][wn.pump_name_list],
                "pressure": r.node["pressure"]}

    def step(self, t, dt, effects):
        """True sensor values for samples at t: levels interpolated, the rest held over each hydraulic step."""
        h = self.p["hydraulic_step"]
        week = np.floor(t / WEEK_S).astype(np.int64)
        parts = []
        for k in np.unique(week):
            tk = t[week == k]
            res = self.week(int(k))
            x = (tk - k * WEEK_S) / h
            i = np.minimum(np.floor(x).astype(np.int64), len(res["t"]) - 2)
            parts.append((res, i, (x - i)[:, None]))
        return _Truth(parts), (effects["leak"] > 0) | (effects["pump_off"] > 0)


def _run(wn) -> wntr.sim.SimulationResults:
    with tempfile.TemporaryDirectory() as tmp:  # EPANET's scratch files stay out of the working directory
        return wntr.sim.EpanetSimulator(wn).run_sim(file_prefix=os.path.join(tmp, "week"))


class _Truth(dict):
    """Sensor name -> true values, computed on first use (a network has far more elements than sensors)."""

    def __init__(self, parts):
        super().__init__()
        self._parts = parts

    def __missing__(self, name: str) -> np.ndarray:
        kind, _, element = name.partition("_")
        if kind not in KINDS:
            raise KeyError(f"water sensor {name!r}: expected level_/flow_/status_/pressure_<element>")
        out = []
        for res, i, frac in self._parts:
            if kind == "level":
                col = res["level"][:, self._column(res, name, element)]
                out.append(col[i] + (col[i + 1] - col[i]) * frac[:, 0])
            else:
                table = res[kind]
                if element not in table.columns:
                    raise KeyError(f"water sensor {name!r}: no {KINDS[kind]} {element!r} in the network")
                col = table[element].to_numpy(float)
                out.append(col[i] * (1e3 if kind == "flow" else 1.0))
        self[name] = value = np.concatenate(out)
        return value

    @staticmethod
    def _column(res, name, element):
        tanks = res["tanks"]
        if element not in tanks:
            raise KeyError(f"water sensor {name!r}: no tank {element!r} in the network")
        return tanks.index(element)
