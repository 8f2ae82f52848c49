"""Capacity planning: for each method, the worst value of one link parameter at which the target is still
reached within a deadline, found by a coarse scan over the range and then bisection.

The varied field has a "better" direction: more bandwidth or a longer MTBF is better ("higher"), more delay,
loss or a longer MTTR is worse ("lower"). The answer is the passing end of the final bracket [pass, fail]:
the smallest passing bandwidth, the largest passing delay. Points with positive ends are split geometrically
(bandwidth spans decades), others arithmetically. A point passes when at least ``pass_fraction`` of the seeds
reach the target within the deadline. Runs are stored and keyed as in a sweep, so a plan resumes too.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from simdt import scenario as scn
from simdt import sweep, units
from simdt.metrics import METRICS

ALIASES = {"uplink.bandwidth": ("sites.uplink.up", "sites.uplink.down")}  # symmetric access link
ROUND_COLUMNS = (*METRICS, "participants", "selected", "reachable")
KINDS = {  # last key of the field -> (parser, unit, which direction is better)
    "up": (units.bandwidth_bps, "bit/s", "higher"), "down": (units.bandwidth_bps, "bit/s", "higher"),
    "bandwidth": (units.bandwidth_bps, "bit/s", "higher"),
    "delay": (units.duration_s, "s", "lower"), "mttr": (units.duration_s, "s", "lower"),
    "mtbf": (units.duration_s, "s", "higher"), "loss": (float, "probability", "lower"),
}


@dataclass(frozen=True)
class Vary:
    field: str
    lo: float
    hi: float
    unit: str
    better: str

    @property
    def geometric(self) -> bool:
        return self.lo > 0

    def fields(self) -> tuple[str, ...]:
        return ALIASES.get(self.field, (self.field,))

    def between(self, a: float, b: float) -> float:
        return math.sqrt(a * b) if self.geometric else (a + b) / 2

    def scan(self, n: int) -> list[float]:
        grid = np.geomspace(self.lo, self.hi, n) if self.geometric else np.linspace(self.lo, self.hi, n)
        return [float(v) for v in grid]

    def close_enough(self, a: float, b: float, tol: float) -> bool:
        return max(a, b) / min(a, b) <= 1 + tol if self.geometric else abs(a - b) <= tol * (self.hi - self.lo)


def parse_vary(text: str, better: str | None = None) -> Vary:
    """'sites.uplink.up=100kbps..20Mbps' -> Vary (values in base units: bit/s, seconds)."""
    field, sep, rng = text.partition("=")
    lo_text, dots, hi_text = rng.partition("..")
    if not sep or not dots:
        raise scn.ScenarioError(f"--vary expects FIELD=LO..HI, got {text!r}")
    parse, unit, default_better = KINDS.get(field.rsplit(".", 1)[-1], (float, "", None))
    better = better or default_better
    if better not in ("higher", "lower"):
        raise scn.ScenarioError(f"--vary {field}: say with --better higher|lower which direction is better", field=field)
    try:
        lo, hi = parse(lo_text), parse(hi_text)
    except (units.UnitError, ValueError) as exc:
        raise scn.ScenarioError(str(exc), field=field) from None
    if not lo < hi:
        raise scn.ScenarioError(f"--vary needs LO < HI, got {lo:g}..{hi:g} {unit}", field=field)
    return Vary(field, lo, hi, unit, better)


def parse_target(text: str) -> tuple[str, float]:
    metric, sep, value = text.partition("=")
    if not sep or metric not in ROUND_COLUMNS:
        raise scn.ScenarioError(f"--target expects METRIC=VALUE with METRIC one of {', '.join(ROUND_COLUMNS)}, got {text!r}")
    try:
        return metric, float(value)
    except ValueError:
        raise scn.ScenarioError(f"--target value must be a number, got {value!r}") from None


def time_to_target(run_dir: Path, metric: str, value: float, fl_start_s: float) -> float:
    """Simulated seconds from FL start to the end of the first round with ``metric >= value``; inf if none."""
    r = pd.read_parquet(run_dir / "rounds.parquet").sort_values("round")
    hit = r[r[metric] >= value]
    return float(hit["t_end_s"].iloc[0] - fl_start_s) if len(hit) else math.inf


class Planner:
    def __init__(self, scenario, vary: Vary, target: tuple[str, float], deadline_s: float, seeds: list[int],
                 out: Path, base: dict | None = None, pass_fraction: float = 1.0, workers=None, scheduler=None,
                 progress: bool = True):
        self.path = str(scn.find_scenario(scenario).resolve())
        resolved = scn.load(self.path, base)
        sc = resolved.scenario
        self.fl_start = sc.fl.start_after
        # only the rounds that can start before the deadline matter
        rounds = sc.fl.rounds if sc.fl.round_every <= 0 else min(sc.fl.rounds, int(deadline_s // sc.fl.round_every) + 1)
        self.base = {**(base or {}), "fl.rounds": rounds}
        self.methods = {ref.name: {"name": ref.name, **ref.params} for ref in sc.fl.methods}
        self.vary, self.target, self.deadline_s, self.seeds = vary, target, deadline_s, seeds
        self.pass_fraction, self.workers, self.scheduler = pass_fraction, workers, scheduler
        self.bar = tqdm(desc="plan", unit="run", total=0, disable=not progress)
        self.runs = out / "runs"
        self.evaluations: list[dict] = []

    def _point(self, method: str, value: float, seed: int) -> sweep.Point:
        overrides = {**self.base, "fl.methods": [self.methods[method]], "seed": seed, **{f: value for f in self.vary.fields()}}
        return sweep.Point({self.vary.field: value}, seed, overrides, sweep.run_key(scn.load(self.path, overrides)))

    def evaluate(self, asks: list[tuple[str, float]], stage: str) -> dict[tuple[str, float], bool]:
        """Run every (method, value) at every seed (in parallel), record them, say which pass."""
        points = {(m, v, s): self._point(m, v, s) for m, v in asks for s in self.seeds}
        sweep.execute(self.path, list(points.values()), self.runs, self.workers, self.scheduler, self.bar)
        out = {}
        for m, v in asks:
            hours = [time_to_target(self.runs / points[m, v, s].key, *self.target, self.fl_start) / 3600 for s in self.seeds]
            passed = [h * 3600 <= self.deadline_s for h in hours]
            frac = float(np.mean(passed))
            out[m, v] = frac >= self.pass_fraction
            reached = [h for h in hours if math.isfinite(h)]
            self.evaluations.append({"method": m, "value": v, "stage": stage, "pass_fraction": frac, "passed": out[m, v],
                                     "hours_to_target": max(reached) if len(reached) == len(hours) else math.nan})
        return out

    def run(self, scan_points: int, tolerance: float) -> pd.DataFrame:
        # values ordered from the good end to the bad end; the answer is where passing turns into failing
        values = self.vary.scan(scan_points)
        if self.vary.better == "higher":
            values = values[::-1]
        passed = self.evaluate([(m, v) for m in self.methods for v in values], "scan")
        brackets, rows = {}, {}
        for m in self.methods:
            ok = [passed[m, v] for v in values]
            n = next((i for i, p in enumerate(ok) if not p), len(ok))  # passing run from the good end
            if n == 0:
                rows[m] = {"status": "fails over the whole range", "threshold": math.nan, "fail_bound": values[0]}
            elif n == len(ok):
                rows[m] = {"status": "passes over the whole range", "threshold": values[-1], "fail_bound": math.nan}
            else:
                brackets[m] = (values[n - 1], values[n])
        while brackets:
            for m, (good, bad) in brackets.items():
                if self.vary.close_enough(good, bad, tolerance):
                    rows[m] = {"status": "bracketed", "threshold": good, "fail_bound": bad}
            brackets = {m: b for m, b in brackets.items() if m not in rows}
            mids = {m: self.vary.between(*b) for m, b in brackets.items()}
            res = self.evaluate(list(mids.items()), "bisection") if mids else {}
            brackets = {m: (mid, brackets[m][1]) if res[m, mid] else (brackets[m][0], mid) for m, mid in mids.items()}
        return pd.DataFrame([{"method": m, "field": self.vary.field, "unit": self.vary.unit, "better": self.vary.better,
                              **rows[m]} for m in self.methods])


def plan(scenario, vary: Vary, target: tuple[str, float], deadline_s: float, out: str | Path, *, seeds: list[int],
         base: dict | None = None, pass_fraction: float = 1.0, scan_points: int = 5, tolerance: float = 0.05,
         workers: int | None = None, scheduler: str | None = None, progress: bool = True) -> pd.DataFrame:
    """Find each method's threshold; write plan.json, plan.csv (one row per method) and scan.csv (every point
    evaluated, with the worst seed's hours to target) into ``out``. Returns the plan table."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    planner = Planner(scenario, vary, target, deadline_s, seeds, out, base, pass_fraction, workers, scheduler, progress)
    with planner.bar:
        table = planner.run(scan_points, tolerance)
    table["runs"] = [sum(e["method"] == m for e in planner.evaluations) * len(seeds) for m in table["method"]]
    scan = pd.DataFrame(planner.evaluations).sort_values(["method", "value"], kind="stable")
    spec = {"scenario": str(scenario), "field": vary.field, "lo": vary.lo, "hi": vary.hi, "unit": vary.unit,
            "better": vary.better, "target": f"{target[0]} >= {target[1]:g}", "deadline": units.format_duration(deadline_s),
            "deadline_s": deadline_s, "seeds": seeds, "pass_fraction": pass_fraction, "tolerance": tolerance,
            "scan_points": scan_points, "base": base or {}}
    sweep.write_atomic(out / "plan.csv", lambda p: table.to_csv(p, index=False))
    sweep.write_atomic(out / "scan.csv", lambda p: scan.to_csv(p, index=False))
    sweep.write_atomic(out / "plan.json", lambda p: p.write_text(json.dumps(spec, indent=2, default=str) + "\n"))
    return table
