"""A physics twin of C-Town: BATADAL's 43 SCADA signals simulated with EPANET (WNTR's toolkit binding) on the
C-Town network (``CTOWN.INP``, shipped with BATADAL), under BATADAL's kinds of cyber-physical attack.

It mirrors how BATADAL itself was made (Taormina et al., J. Water Resour. Plann. Manage. 144(8), 2018, with the
epanetCPA toolbox: Taormina et al., J. Water Resour. Plann. Manage. 143(5), 2017):
- **Control logic as PLCs.** The INP's tank-level controls are taken out of EPANET and run in Python before
  every hydraulic solve (every hydraulic step of the INP, 15 min, and at EPANET's intermediate events), on the
  levels the PLCs *receive*. That is where actuator and control attacks act, as in the real system.
- **Demand varies per week**: each DMA pattern of the INP (one week, hourly) is scaled per week by
  ``1 + N(0, demand_weekly)`` and per hour by ``1 + e_t``, e an AR(1) process (lag-1 correlation 0.5, std
  ``demand_noise``), so no two weeks repeat. The first ``warmup_hours`` from the INP's initial levels are dropped.
- **Readings** are EPANET's state at every whole hour, in BATADAL's units: levels [m], flows [L/s], pump and valve
  status (0/1), pressures [m] at the 12 junctions the SCADA reads.

Attack kinds (one per episode of ``episode_hours``, labelled ATT_FLAG = 1 for every hour of the episode):
- ``pump``: a pump is toggled at the episode's start (a running one stopped, an idle one, often a backup pump,
  started) and held so, whatever the PLC commands; ``valve``: likewise valve V2;
- ``speed``: the working speed of a tank's main pump lowered to 75-90 % (BATADAL's attack on PU7);
- ``thresholds``: the PLC's ON/OFF levels for a tank shifted by 0.5-1.5 m up or down;
- ``plc_spoof``: the level a PLC receives for its tank replaced by a constant below its lowest ON level (the
  pumps keep filling) or above its highest OFF level (the tank drains);
- ``scada_spoof``: a tank-level reading offset by 0.5-1.5 m at the SCADA only (physics unchanged);
- ``replay``: a station's readings (tank level, its pumps' or valve's flows and states, its pressures) replaced by
  the 24 h recorded just before the episode, looped; with probability ``conceal`` a physical attack is concealed
  the same way (BATADAL's concealment).
After an episode the PLCs resume their logic from whatever state the attack left.

Non-physical results are rejected: an EPANET warning (negative pressure at a junction with demand, unbalanced or
disconnected system, pumps or valves that cannot deliver) or error, or a tank outside its bounds. Each physical
attack starts a new EPANET session from the state reached (tank levels, commanded statuses), so a rejected draw
costs only the segment from its start to the next physical episode, simulated again with a new draw of that
episode's attack, up to ``max_tries`` draws, then without attack; ``Twin.rejected`` counts the rejected draws.
(A restarted session's solution differs from an uninterrupted one within EPANET's convergence tolerance,
~1e-3 m or L/s, which can shift a later pump switch by a hydraulic step.)

Results are cached on disk (``cache_dir``), keyed by the SHA-256 of the INP's bytes and every generation
parameter, as Parquet (signals, episodes) plus a JSON note, written atomically: a cached twin costs no EPANET run
and no WNTR import.
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import tempfile
import time
import warnings
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path
from typing import Literal, Sequence

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, model_validator
from scipy.signal import lfilter

from simdt.atomic import atomic_folder

FORMAT = 1  # bump when the generated data changes for the same parameters: old cache entries are then ignored
TANKS = tuple(f"T{i}" for i in range(1, 8))
PUMPS = tuple(f"PU{i}" for i in range(1, 12))
JUNCTIONS = ("J280", "J269", "J300", "J256", "J289", "J415", "J302", "J306", "J307", "J317", "J14", "J422")
COLUMNS = (*(f"L_{t}" for t in TANKS), *(f"{k}_{a}" for a in (*PUMPS, "V2") for k in ("F", "S")),
           *(f"P_{j}" for j in JUNCTIONS))
# What each station's SCADA reads, by the tank it fills (BATADAL's sensors; epanetCPA's C-Town PLC layout).
STATIONS = {"T1": (("PU1", "PU2", "PU3"), ("J280", "J269")), "T2": (("V2",), ("J14", "J422")),
            "T3": (("PU4", "PU5"), ("J300", "J256")), "T4": (("PU6", "PU7"), ("J289", "J415")),
            "T5": (("PU8", "PU9"), ("J302", "J306")), "T7": (("PU10", "PU11"), ("J307", "J317"))}
KINDS = ("pump", "valve", "speed", "thresholds", "plc_spoof", "scada_spoof", "replay")
PHYSICAL = ("pump", "valve", "speed", "thresholds", "plc_spoof")
REPLAY_HOURS = 24
DEMAND_AR = 0.5  # lag-1 (hourly) correlation of the demand noise; BATADAL dataset03 departs from the INP's
# weekly pattern with a lag-1 correlation of ~0.55
START = pd.Timestamp("2014-01-06")  # a Monday, hour 0 of the INP's weekly patterns (BATADAL dataset03 starts there)


class CtownParams(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    inp: Path | None = Field(None, description="the C-Town INP (default: CTOWN.INP in the BATADAL folder)")
    cache_dir: Path = Field(Path("~/.cache/simdt/ctown"), description="where simulated twins are kept")
    kinds: list[Literal[KINDS]] = Field(list(KINDS), min_length=1, description="attack kinds drawn")
    episode_hours: tuple[int, int] = Field((24, 110), description="episode lengths drawn (BATADAL's: 24-110 h)")
    conceal: float = Field(0.5, ge=0, le=1, description="chance that a physical attack is concealed by replay")
    demand_noise: float = Field(0.12, ge=0, le=0.5, description="std of the hourly AR(1) demand factor per DMA")
    demand_weekly: float = Field(0.03, ge=0, le=0.3, description="std of the weekly demand level per DMA")
    warmup_hours: int = Field(24, ge=0, description="hours simulated from the INP's initial state, then dropped")
    max_tries: int = Field(8, ge=1, description="attack draws per episode before it is simulated without attack")

    @model_validator(mode="after")
    def _episode_hours_ordered(self):
        lo, hi = self.episode_hours
        if not 1 <= lo <= hi:
            raise ValueError(f"episode_hours must be two lengths 1 <= min <= max, got {list(self.episode_hours)}")
        return self


@dataclass(frozen=True)
class Episode:
    """One attack: hours [start, start + hours) of the twin's record. ``value``: the forced status (pump, valve;
    resolved at the start when None), the speed factor (speed), the level shift [m] (thresholds, scada_spoof),
    the level the PLC receives [m] (plc_spoof); unused for replay."""

    start: int
    hours: int
    kind: str
    target: str
    value: float | None = None
    conceal: bool = False

    @property
    def stop(self) -> int:
        return self.start + self.hours

    @property
    def tank(self) -> str:
        return next((t for t, (links, _) in STATIONS.items() if self.target in links), self.target)


@dataclass(frozen=True)
class Twin:
    frame: pd.DataFrame      # hourly, COLUMNS + ATT_FLAG (0/1)
    episodes: pd.DataFrame   # one row per simulated attack (Episode's fields)
    rejected: int            # attack draws rejected as non-physical


class NonPhysical(RuntimeError):
    def __init__(self, hour: int, reason: str):
        super().__init__(f"hour {hour}: {reason}")
        self.hour, self.reason = hour, reason


# ---------------------------------------------------------------------------------------------- public entry points

def generate(params: CtownParams, inp: Path, hours: int, anomaly_fraction: float, seed: int) -> Twin:
    """``hours`` of C-Town with attack episodes on about ``anomaly_fraction`` of them; from the cache if there."""
    inp = Path(inp)
    if not inp.is_file():
        raise FileNotFoundError(f"C-Town network: no INP file {inp}")
    spec = {"format": FORMAT, "hours": int(hours), "anomaly_fraction": float(anomaly_fraction), "seed": int(seed),
            **params.model_dump(mode="json", exclude={"inp", "cache_dir"})}
    key = hashlib.sha256(inp.read_bytes() + json.dumps(spec, sort_keys=True).encode()).hexdigest()[:32]
    folder = params.cache_dir.expanduser() / key
    if (folder / "meta.json").is_file():
        return _load(folder)
    timing_rng, demand_rng, attack_rng = (np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(3))
    timings = _draw_timings(hours, anomaly_fraction, params, timing_rng)
    start = time.perf_counter()
    with _Hydraulics(inp, hours, params, demand_rng) as hyd:
        twin = hyd.run(timings, attack_rng)
    _store(folder, twin, {**spec, "inp": inp.name, "seconds": time.perf_counter() - start})
    return twin


def simulate(inp: Path, hours: int, episodes: Sequence[Episode], params: CtownParams = CtownParams(),
             seed: int = 0) -> Twin:
    """``hours`` of C-Town with exactly these episodes (not cached); raises NonPhysical where the result is not."""
    demand_rng = np.random.default_rng(np.random.SeedSequence(seed).spawn(3)[1])  # the demands generate() draws
    with _Hydraulics(Path(inp), hours, params, demand_rng) as hyd:
        return hyd.run_fixed(list(episodes))


# --------------------------------------------------------------------------------------------------- episode draws

def _draw_timings(hours: int, fraction: float, params: CtownParams, rng) -> list[tuple[int, int]]:
    """Non-overlapping (start, length) pairs covering about ``fraction`` of the hours, a day of history before
    each (replays loop it) and a day after (recovery belongs to the episode's segment)."""
    lo, hi = params.episode_hours
    taken = np.zeros(hours, bool)
    out = []
    for _ in range(10_000):
        if taken.mean() >= fraction:
            break
        length = int(rng.integers(lo, hi + 1))
        if hours - length - REPLAY_HOURS <= REPLAY_HOURS:
            continue
        start = int(rng.integers(REPLAY_HOURS, hours - length - REPLAY_HOURS))
        if taken[start - REPLAY_HOURS: start + length + REPLAY_HOURS].any():
            continue
        taken[start: start + length] = True
        out.append((start, length))
    return sorted(out)


def _draw_attack(start: int, length: int, params: CtownParams, controls, rng) -> Episode:
    kind = str(rng.choice(params.kinds))
    conceal = kind in PHYSICAL and bool(rng.random() < params.conceal)
    if kind == "pump":
        return Episode(start, length, kind, str(rng.choice(PUMPS)), conceal=conceal)
    if kind == "valve":
        return Episode(start, length, kind, "V2", conceal=conceal)
    if kind == "speed":
        return Episode(start, length, kind, str(rng.choice(controls.main_pumps)), float(rng.uniform(0.75, 0.9)),
                       conceal=conceal)
    if kind in ("thresholds", "scada_spoof"):
        tank = str(rng.choice(sorted(controls.by_tank) if kind == "thresholds" else TANKS))
        return Episode(start, length, kind, tank, float(rng.choice([-1, 1]) * rng.uniform(0.5, 1.5)),
                       conceal=conceal)
    if kind == "plc_spoof":
        tank = str(rng.choice(sorted(controls.by_tank)))
        levels = [c[3] for c in controls.by_tank[tank]]
        if rng.random() < 0.5:
            value = max(min(levels) - rng.uniform(0.1, 0.5), 0.05)
        else:
            value = min(max(levels) + rng.uniform(0.1, 0.3), controls.max_level[tank])
        return Episode(start, length, kind, tank, float(value), conceal=conceal)
    return Episode(start, length, "replay", str(rng.choice(sorted(STATIONS))))


# ------------------------------------------------------------------------------------------------------ simulation

class _Controls:
    """The INP's tank-level controls, as the PLCs run them: rules (link, status, tank, level, below?)."""

    def __init__(self, en, EN, tank_of_node: dict[int, str], link_of_index: dict[int, str], max_level):
        self.rules = []
        for i in range(1, en.ENgetcount(EN.CONTROLCOUNT) + 1):
            c = en.ENgetcontrol(i)
            if c["type"] not in (EN.LOWLEVEL, EN.HILEVEL) or c["nodeindex"] not in tank_of_node \
                    or c["linkindex"] not in link_of_index:
                raise ValueError(f"control {i}: only tank-level controls of the pumps and V2 (LINK x OPEN/CLOSED "
                                 f"IF NODE tank BELOW/ABOVE level) are supported")
            self.rules.append((link_of_index[c["linkindex"]], float(c["setting"] > 0), tank_of_node[c["nodeindex"]],
                               float(c["level"]), c["type"] == EN.LOWLEVEL))
        self.by_tank: dict[str, list] = {}
        for rule in self.rules:
            self.by_tank.setdefault(rule[2], []).append(rule)
        self.max_level = max_level
        # a tank's main pump: the one its PLC starts first (highest ON level)
        self.main_pumps = sorted({max((r for r in rules if r[4] and r[1]), key=lambda r: r[3])[0]
                                  for rules in self.by_tank.values()} & set(PUMPS))


class _Hydraulics:
    """One prepared C-Town: the INP rewritten with this run's demand patterns, stepped segment by segment."""

    def __init__(self, inp: Path, hours: int, params: CtownParams, demand_rng):
        if not inp.is_file():
            raise FileNotFoundError(f"C-Town network: no INP file {inp}")
        if hours < 1:
            raise ValueError(f"C-Town twin: hours must be >= 1, got {hours}")
        self.hours, self.params, self.warmup = int(hours), params, params.warmup_hours
        self._tmp = tempfile.TemporaryDirectory(prefix="simdt-ctown-")
        self.inp = Path(self._tmp.name) / "ctown.inp"
        try:
            self._write_inp(inp, demand_rng)
            with self._session(0, 1):
                pass  # indexes the network and reads its controls
        except BaseException:
            self._tmp.cleanup()
            raise

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self._tmp.cleanup()

    def _write_inp(self, inp: Path, rng) -> None:
        import wntr  # slow to import (~1-2 s): only when a twin is simulated

        total = self.warmup + self.hours
        try:
            with _quiet("wntr.epanet.io"):  # C-Town's spare pump curves 1-7 are unused: WNTR says so, twice
                wn = wntr.network.WaterNetworkModel(str(inp))
        except Exception as exc:
            raise ValueError(f"C-Town network {inp}: not a readable EPANET INP file ({exc})") from None
        missing = [n for n in (*TANKS, *JUNCTIONS) if n not in wn.node_name_list] + \
                  [n for n in (*PUMPS, "V2") if n not in wn.link_name_list]
        if missing:
            raise ValueError(f"C-Town network {inp}: no {', '.join(missing)} (BATADAL's SCADA reads them)")
        if wn.options.time.pattern_timestep != 3600:
            raise ValueError(f"C-Town network {inp}: the demand pattern step must be 1 h")
        weeks = total // 168 + 1
        for name in wn.pattern_name_list:
            base = np.resize(np.asarray(wn.get_pattern(name).multipliers, float), total)
            weekly = np.repeat(1 + self.params.demand_weekly * rng.standard_normal(weeks), 168)[:total]
            hourly = 1 + _ar1(total, rng, self.params.demand_noise)
            wn.get_pattern(name).multipliers = base * np.maximum(weekly * hourly, 0.1)
        with _quiet("wntr.epanet.io"):
            wntr.network.write_inpfile(wn, str(self.inp))

    @contextlib.contextmanager
    def _session(self, first: int, last: int, levels=None, status=None):
        """An EPANET session over internal hours [first, last], its controls removed (the PLCs run them)."""
        from wntr.epanet.toolkit import ENepanet
        from wntr.epanet.util import EN

        en = ENepanet()
        try:
            en.ENopen(str(self.inp), str(self.inp.with_suffix(".rpt")), "")
            if not hasattr(self, "controls"):
                self._index(en, EN)
            for i in range(en.ENgetcount(EN.CONTROLCOUNT), 0, -1):
                en.ENdeletecontrol(i)
            en.ENsettimeparam(EN.DURATION, (last - first) * 3600)
            en.ENsettimeparam(EN.PATTERNSTART, first * 3600)
            en.ENsettimeparam(EN.REPORTSTEP, 3600)
            for name, value in (levels or {}).items():
                en.ENsetnodevalue(self.node[name], EN.TANKLEVEL, value)
            for name, value in (status or {}).items():
                en.ENsetlinkvalue(self.link[name], EN.INITSTATUS, value)
            yield en, EN
        finally:
            with contextlib.suppress(Exception):
                en.ENclose()

    def _index(self, en, EN) -> None:
        self.node = {n: en.ENgetnodeindex(n) for n in (*TANKS, *JUNCTIONS)}
        self.link = {n: en.ENgetlinkindex(n) for n in (*PUMPS, "V2")}
        self.bounds = {t: (en.ENgetnodevalue(self.node[t], EN.MINLEVEL), en.ENgetnodevalue(self.node[t], EN.MAXLEVEL))
                       for t in TANKS}
        self.initial = ({t: en.ENgetnodevalue(self.node[t], EN.TANKLEVEL) for t in TANKS},
                        {a: en.ENgetlinkvalue(self.link[a], EN.INITSTATUS) for a in self.link})
        self.controls = _Controls(en, EN, {i: t for t, i in self.node.items() if t in TANKS},
                                  {i: a for a, i in self.link.items()}, {t: b[1] for t, b in self.bounds.items()})

    # -- whole runs

    def run(self, timings: list[tuple[int, int]], rng) -> Twin:
        """Episodes at these times with drawn attacks; a rejected draw is drawn again (see the module doc)."""
        draws = [[_draw_attack(*timing, self.params, self.controls, rng) for _ in range(self.params.max_tries)]
                 for timing in timings]
        # a sensor attack cannot be rejected: only a physical one starts a segment (a new EPANET session)
        episodes = [d[0] for d in draws if d[0].kind not in PHYSICAL]
        physical = [d for d in draws if d[0].kind in PHYSICAL]
        truth, state, rejected = [], self.initial, 0
        bounds = [0, *(d[0].start for d in physical), self.hours]
        for i in range(len(bounds) - 1):
            for episode in [*(physical[i - 1] if i else []), None]:
                try:
                    rows, state, resolved = self._segment(bounds[i], bounds[i + 1], state, episode)
                    break
                except NonPhysical as exc:
                    if episode is None:
                        raise NonPhysical(exc.hour, f"C-Town without attack is not physical: {exc.reason}") from None
                    rejected += 1
            truth.append(rows)
            episodes += [resolved] if resolved else []
        return self._observe(np.concatenate(truth), sorted(episodes, key=lambda e: e.start), rejected)

    def run_fixed(self, episodes: list[Episode]) -> Twin:
        episodes = sorted(episodes, key=lambda e: e.start)
        targets = {"pump": PUMPS, "valve": ("V2",), "speed": PUMPS, "thresholds": self.controls.by_tank,
                   "plc_spoof": self.controls.by_tank, "scada_spoof": TANKS, "replay": STATIONS}
        for e in episodes:
            if e.kind not in KINDS:
                raise ValueError(f"unknown attack kind {e.kind!r} (known: {', '.join(KINDS)})")
            if e.target not in targets[e.kind]:
                raise ValueError(f"a {e.kind} attack targets one of {', '.join(targets[e.kind])}: {e}")
            if e.value is None and e.kind not in ("pump", "valve", "replay"):
                raise ValueError(f"a {e.kind} episode needs a value: {e}")
            if (e.kind == "replay" or e.conceal) and e.start < REPLAY_HOURS:
                raise ValueError(f"a replay needs {REPLAY_HOURS} h of record before it: {e}")
            if not 0 <= e.start < e.stop <= self.hours:
                raise ValueError(f"episode outside the {self.hours} h simulated: {e}")
        for a, b in zip(episodes, episodes[1:]):
            if b.start < a.stop:
                raise ValueError(f"episodes overlap: {a} and {b}")
        physical = [e for e in episodes if e.kind in PHYSICAL]
        truth, state, resolved = [], self.initial, [e for e in episodes if e.kind not in PHYSICAL]
        bounds = [0, *(e.start for e in physical), self.hours]
        for i in range(len(bounds) - 1):
            rows, state, e = self._segment(bounds[i], bounds[i + 1], state, physical[i - 1] if i else None)
            truth.append(rows)
            resolved += [e] if e else []
        return self._observe(np.concatenate(truth), sorted(resolved, key=lambda e: e.start), 0)

    # -- one segment: hours [a, b) of the record, at most one physical episode (starting at a)

    def _segment(self, a: int, b: int, state, episode: Episode | None):
        first, last = (a + self.warmup if a else 0), b + self.warmup  # the warm-up runs with the first segment
        levels, status = state
        rows = []
        with _quiet("wntr.epanet.toolkit"), self._session(first, last, levels, status) as (en, EN):
            # EPANET's warnings become rejections here, not log lines
            en.ENopenH()
            en.ENinitH(0)
            commanded, applied, speeds = dict(status), dict(status), {}
            if episode is not None and episode.kind in ("pump", "valve") and episode.value is None:
                episode = replace(episode, value=1.0 - commanded[episode.target])  # toggled at its start
            t = first * 3600  # time of the next solve [s of the internal clock]
            while True:
                hour = t / 3600 - self.warmup
                live = episode is not None and episode.start <= hour < episode.stop
                self._plc(en, EN, commanded, applied, speeds, episode if live else None)
                try:
                    t = first * 3600 + en.ENrunH()
                except Exception as exc:  # EPANET errors (>= 100) raise; a failed solve is a rejected draw
                    raise NonPhysical(int(hour), f"EPANET error: {exc}") from None
                self._check_warning(en, t)
                if t % 3600 == 0 and t < last * 3600:
                    rows.append(self._read(en, EN, t))
                if t == last * 3600:
                    end_levels = {n: en.ENgetnodevalue(self.node[n], EN.PRESSURE) for n in TANKS}
                step = en.ENnextH()
                self._check_warning(en, t)
                if step == 0:
                    break
                t += step
            en.ENcloseH()
        return np.asarray(rows)[-(b - a):], (end_levels, commanded), episode

    def _plc(self, en, EN, commanded: dict, applied: dict, speeds: dict, episode: Episode | None) -> None:
        """The PLCs' decision before a solve: level controls on the levels they receive, then the attack."""
        kind = episode.kind if episode else None
        received = {t: en.ENgetnodevalue(self.node[t], EN.PRESSURE) for t in self.controls.by_tank}
        if kind == "plc_spoof":
            received[episode.target] = episode.value
        for link, setting, tank, level, below in self.controls.rules:
            if kind == "thresholds" and tank == episode.target:
                level = float(np.clip(level + episode.value, 0.05, self.controls.max_level[tank] - 0.05))
            if (received[tank] < level) if below else (received[tank] > level):
                commanded[link] = setting
        if kind in ("pump", "valve"):
            commanded[episode.target] = episode.value
        slow = {episode.target: episode.value} if kind == "speed" else {}
        for link, value in commanded.items():
            changed = applied[link] != value
            if changed:
                en.ENsetlinkvalue(self.link[link], EN.STATUS, value)
                applied[link] = value
            # a pump's speed is its setting; setting one starts a stopped pump, so only a running one gets it
            if link in PUMPS and value and (changed or speeds.get(link, 1.0) != slow.get(link, 1.0)):
                en.ENsetlinkvalue(self.link[link], EN.SETTING, slow.get(link, 1.0))
                speeds[link] = slow.get(link, 1.0)

    def _check_warning(self, en, t: int) -> None:
        if 0 < en.errcode < 100:
            from wntr.epanet.exceptions import EN_ERROR_CODES

            raise NonPhysical(int(t // 3600) - self.warmup,
                              "EPANET warning: " + EN_ERROR_CODES.get(en.errcode, "%s").split(", ", 1)[-1])

    def _read(self, en, EN, t: int) -> list[float]:
        row = [en.ENgetnodevalue(self.node[n], EN.PRESSURE) for n in TANKS]
        for n, level in zip(TANKS, row):
            lo, hi = self.bounds[n]
            if not lo - 1e-6 <= level <= hi + 1e-6:
                raise NonPhysical(int(t // 3600) - self.warmup, f"tank {n} at {level:.3f} m, outside [{lo}, {hi}]")
        for a in (*PUMPS, "V2"):
            row += [en.ENgetlinkvalue(self.link[a], EN.FLOW), en.ENgetlinkvalue(self.link[a], EN.STATUS)]
        return row + [en.ENgetnodevalue(self.node[n], EN.PRESSURE) for n in JUNCTIONS]

    # -- the SCADA's view

    def _observe(self, truth: np.ndarray, episodes: list[Episode], rejected: int) -> Twin:
        observed = truth.copy()
        y = np.zeros(len(truth))
        col = {c: i for i, c in enumerate(COLUMNS)}
        for e in episodes:
            y[e.start: e.stop] = 1
            if e.kind == "scada_spoof":
                i = col[f"L_{e.target}"]
                observed[e.start: e.stop, i] = np.clip(truth[e.start: e.stop, i] + e.value, 0,
                                                       self.controls.max_level[e.target])
            if e.kind == "replay" or e.conceal:
                links, junctions = STATIONS[e.tank]
                cols = [col[f"L_{e.tank}"], *(col[f"{k}_{a}"] for a in links for k in "FS"),
                        *(col[f"P_{j}"] for j in junctions)]
                loop = e.start - REPLAY_HOURS + np.arange(e.hours) % REPLAY_HOURS
                observed[e.start: e.stop, cols] = truth[np.ix_(loop, cols)]
        frame = pd.DataFrame(observed, columns=list(COLUMNS),
                             index=pd.date_range(START, periods=len(truth), freq="h", name="DATETIME"))
        frame["ATT_FLAG"] = y
        table = pd.DataFrame([asdict(e) for e in episodes], columns=[f.name for f in fields(Episode)])
        return Twin(frame, table, rejected)


@contextlib.contextmanager
def _quiet(logger: str):
    """WNTR's log lines and warnings off for a moment (what they report is handled here)."""
    log = logging.getLogger(logger)
    was, log.disabled = log.disabled, True
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            yield
    finally:
        log.disabled = was


def _ar1(n: int, rng, std: float) -> np.ndarray:
    """Stationary AR(1) with lag-1 correlation DEMAND_AR and standard deviation ``std``."""
    shocks = rng.standard_normal(n) * std * np.sqrt(1 - DEMAND_AR**2)
    shocks[0] /= np.sqrt(1 - DEMAND_AR**2)  # the first value from the stationary distribution
    return lfilter([1.0], [1.0, -DEMAND_AR], shocks)


# ----------------------------------------------------------------------------------------------------------- cache

def _store(folder: Path, twin: Twin, meta: dict) -> None:
    with atomic_folder(folder, "meta.json") as tmp:
        twin.frame.to_parquet(tmp / "signals.parquet")
        twin.episodes.to_parquet(tmp / "episodes.parquet")
        (tmp / "meta.json").write_text(json.dumps({**meta, "rejected": twin.rejected}, indent=1))


def _load(folder: Path) -> Twin:
    meta = json.loads((folder / "meta.json").read_text())
    frame = pd.read_parquet(folder / "signals.parquet")
    frame.index.freq = "h"  # Parquet keeps the times, not their frequency
    return Twin(frame, pd.read_parquet(folder / "episodes.parquet"), int(meta["rejected"]))
