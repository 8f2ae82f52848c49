"""Capacity planning: for each method, the worst value of one link parameter at which the target is still
reached within a deadline, found by a coarse scan over the range and then bisection.

The varied field has a "better" direction: more bandwidth or a longer MTBF is better ("higher"), more delay,
loss or a longer MTTR is worse ("lower"). The answer is the passing end of the final bracket [pass, fail]:
the smallest passing bandwidth, the largest passing delay. Points with positive ends are split geometrically
(bandwidth spans decades), others arithmetically. A point passes when at least ``pass_fraction`` of the seeds
reach the target within the deadline ("reached" as in the run summary: it holds for ``fl.target.hold``
evaluations). Standard sizes (a list of values) are tried as they are, without bisection; a second varied field
gives a pass/fail map over both fields' scan points. "Never reached" and "reached everywhere" are answers.
Runs are stored and keyed as in a sweep, so a plan resumes too.
"""
from __future__ import annotations

import itertools
import json
import math
import os
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from simdt import scenario as scn
from simdt.atomic import claim_folder
from simdt.callable_module import make_callable
from simdt import stats, sweep, units
from simdt.metrics import METRICS
from simdt.results import reached_index

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
    sizes: tuple[float, ...] = ()  # the only values to try (standard plan sizes), when given

    @property
    def geometric(self) -> bool:
        return self.lo > 0

    def fields(self) -> tuple[str, ...]:
        return ALIASES.get(self.field, (self.field,))

    def between(self, a: float, b: float) -> float:
        return math.sqrt(a * b) if self.geometric else (a + b) / 2

    def scan(self, n: int) -> list[float]:
        """Values to try, ordered from the good end to the bad end."""
        if self.sizes:
            grid = list(self.sizes)
        else:
            grid = np.geomspace(self.lo, self.hi, n) if self.geometric else np.linspace(self.lo, self.hi, n)
        grid = sorted(float(v) for v in grid)
        return grid[::-1] if self.better == "higher" else grid

    def close_enough(self, a: float, b: float, tol: float) -> bool:
        return max(a, b) / min(a, b) <= 1 + tol if self.geometric else abs(a - b) <= tol * (self.hi - self.lo)

    def bisections(self, n: int, tol: float) -> int:
        """Bisection steps that take a bracket between neighbouring scan points down to ``tol`` (for progress)."""
        if self.sizes or n < 2:
            return 0
        width = (self.hi / self.lo) ** (1 / (n - 1)) - 1 if self.geometric else 1 / (n - 1)
        if self.geometric:
            return max(0, math.ceil(math.log2(math.log1p(width) / math.log1p(tol))))
        return max(0, math.ceil(math.log2(width / tol)))


def parse_vary(text: str, better: str | None = None) -> Vary:
    """'sites.uplink.up=100kbps..20Mbps' (a range, bisected) or 'sites.uplink.up=256kbps,512kbps,1Mbps' (standard
    sizes, tried as they are) -> Vary, values in base units (bit/s, seconds)."""
    field, sep, rng = text.partition("=")
    lo_text, dots, hi_text = rng.partition("..")
    listed = [v.strip() for v in rng.split(",")] if not dots and "," in rng else []
    if not sep or not field or not (dots or listed):
        raise scn.ScenarioError(f"--vary expects FIELD=LO..HI or FIELD=V1,V2,..., got {text!r}")
    parse, unit, default_better = KINDS.get(field.rsplit(".", 1)[-1], (float, "", None))
    better = better or default_better
    if better not in ("higher", "lower"):
        raise scn.ScenarioError(f"--vary {field}: say with --better higher|lower which direction is better", field=field)
    try:
        values = [parse(v) for v in (listed or [lo_text, hi_text])]
    except (units.UnitError, ValueError) as exc:
        raise scn.ScenarioError(str(exc), field=field) from None
    if listed:
        if len(set(values)) != len(values):
            raise scn.ScenarioError(f"--vary lists a value twice: {rng}", field=field)
        return Vary(field, min(values), max(values), unit, better, tuple(sorted(values)))
    lo, hi = values
    if not lo < hi:
        raise scn.ScenarioError(f"--vary needs LO < HI, got {lo_text}..{hi_text}", field=field)
    return Vary(field, lo, hi, unit, better)


def parse_target(text: str) -> tuple[str, float]:
    """'f1=0.9' -> ('f1', 0.9). A detection metric's target must lie in (0, 1]: it cannot be reached otherwise,
    and 0 is reached by anything; a round count (participants) must be positive."""
    metric, sep, value = text.partition("=")
    if not sep or metric not in ROUND_COLUMNS:
        raise scn.ScenarioError(f"--target expects METRIC=VALUE with METRIC one of {', '.join(ROUND_COLUMNS)}, got {text!r}")
    try:
        number = float(value)
    except ValueError:
        raise scn.ScenarioError(f"--target value must be a number, got {value!r}") from None
    if metric in METRICS and not 0 < number <= 1:
        raise scn.ScenarioError(f"{metric} is a fraction: a target must be in (0, 1], got {value}", field="--target")
    if metric not in METRICS and not (number > 0 and math.isfinite(number)):
        raise scn.ScenarioError(f"{metric} is a count: a target must be positive, got {value}", field="--target")
    return metric, number


def time_to_target(run_dir: Path, metric: str, value: float, fl_start_s: float, hold: int = 1) -> float:
    """Simulated seconds from FL start to the end of the round from which ``metric >= value`` holds for ``hold``
    evaluations (``results.reached_index``); inf if it never does."""
    r = pd.read_parquet(run_dir / "rounds.parquet").sort_values("round")
    at = reached_index(r[metric], value, hold)
    return float(r["t_end_s"].iloc[at] - fl_start_s) if at is not None else math.inf


class Planner:
    """Evaluates (method, values) points over seeds, one value per varied field, and finds thresholds."""

    def __init__(self, scenario, varies: list[Vary], target: tuple[str, float], deadline_s: float, seeds: list[int],
                 out: Path, base: dict | None = None, pass_fraction: float = 1.0, workers=None, scheduler=None,
                 progress: bool = True):
        self.path = str(scn.find_scenario(scenario).resolve())
        resolved = scn.load(self.path, base)
        sc = resolved.scenario
        self.fl_start, self.hold = sc.fl.start_after, sc.fl.target.hold
        # only the rounds that can start before the deadline matter, and those that confirm the last of them holds
        rounds = sc.fl.rounds if sc.fl.round_every <= 0 else min(sc.fl.rounds, int(deadline_s // sc.fl.round_every) + self.hold)
        self.base = {**(base or {}), "fl.rounds": rounds}
        self.methods = {ref.name: {"name": ref.name, **ref.params} for ref in sc.fl.methods}
        self.varies, self.target, self.deadline_s, self.seeds = varies, target, deadline_s, seeds
        self.pass_fraction, self.workers, self.scheduler = pass_fraction, workers, scheduler
        self.bar = tqdm(desc="plan", unit="run", total=0, disable=not progress)
        self.expected = 0
        self.runs = out / "runs"
        self.evaluations: list[dict] = []
        self.pool = None  # one local worker pool for every stage of the plan (see ``plan``)

    def _point(self, method: str, values: tuple[float, ...], seed: int) -> sweep.Point:
        varied = {f: v for vary, v in zip(self.varies, values) for f in vary.fields()}
        overrides = {**self.base, "fl.methods": [self.methods[method]], "seed": seed, **varied}
        labels = {vary.field: v for vary, v in zip(self.varies, values)}
        return sweep.Point(labels, seed, overrides, sweep.run_key(scn.load(self.path, overrides)))

    def evaluate(self, asks: list[tuple[str, tuple[float, ...]]], stage: str) -> dict[tuple, bool]:
        """Run every (method, values) at every seed (in parallel), record them, say which pass."""
        points = {(m, v, s): self._point(m, v, s) for m, v in asks for s in self.seeds}
        # the bar's total is the whole plan's estimate; ``execute`` adds this batch to it
        self.bar.total = max(self.expected, self.bar.n + len(points)) - len({p.key for p in points.values()})
        sweep.execute(self.path, list(points.values()), self.runs, self.workers, self.scheduler, self.bar, self.pool)
        out = {}
        for m, v in asks:
            hours = [time_to_target(self.runs / points[m, v, s].key, *self.target, self.fl_start, self.hold) / 3600
                     for s in self.seeds]
            frac = float(np.mean([h * 3600 <= self.deadline_s for h in hours]))
            out[m, v] = frac >= self.pass_fraction
            finite = [h for h in hours if math.isfinite(h)]
            row = {"method": m, "value": v[0], **({"value_2": v[1]} if len(v) > 1 else {}), "stage": stage,
                   "pass_fraction": frac, "passed": out[m, v], "reached": len(finite),
                   "hours_to_target_mean": float(np.mean(finite)) if finite else math.nan,
                   "hours_to_target_p90": stats.p90(hours), "hours_to_target_worst": max(hours)}
            self.evaluations.append(row)
        return out

    def run(self, scan_points: int, tolerance: float) -> pd.DataFrame:
        """One row per method (and value of a second varied field): status, threshold, failing bound."""
        grids = [vary.scan(scan_points) for vary in self.varies]
        self.expected = len(self.methods) * len(self.seeds) * (
            math.prod(len(g) for g in grids) + (self.varies[0].bisections(scan_points, tolerance) if len(grids) == 1 else 0))
        passed = self.evaluate([(m, v) for m in self.methods for v in itertools.product(*grids)], "scan")
        vary, rest = self.varies[0], grids[1:]
        rows, brackets = {}, {}
        for m in self.methods:
            for other in itertools.product(*rest):
                values = grids[0]  # good end first: the answer is where passing turns into failing
                ok = [passed[m, (v, *other)] for v in values]
                n = next((i for i, p in enumerate(ok) if not p), len(ok))
                if n == 0:
                    rows[m, other] = {"status": "fails over the whole range", "threshold": math.nan, "fail_bound": values[0]}
                elif n == len(ok):
                    rows[m, other] = {"status": "passes over the whole range", "threshold": values[-1], "fail_bound": math.nan}
                elif vary.sizes or rest:
                    rows[m, other] = {"status": "between scan points", "threshold": values[n - 1], "fail_bound": values[n]}
                else:
                    brackets[m, other] = (values[n - 1], values[n])
        while brackets:
            for key, (good, bad) in brackets.items():
                if vary.close_enough(good, bad, tolerance):
                    rows[key] = {"status": "bracketed", "threshold": good, "fail_bound": bad}
            brackets = {k: b for k, b in brackets.items() if k not in rows}
            mids = {k: vary.between(*b) for k, b in brackets.items()}
            res = self.evaluate([(m, (mid, *other)) for (m, other), mid in mids.items()], "bisection") if mids else {}
            brackets = {(m, other): (mid, brackets[m, other][1]) if res[m, (mid, *other)] else (brackets[m, other][0], mid)
                        for (m, other), mid in mids.items()}
        self.bar.total = self.bar.n
        return pd.DataFrame([{"method": m, **({"value_2": other[0]} if other else {}), "field": vary.field,
                              "unit": vary.unit, "better": vary.better, **rows[m, other]}
                             for m in self.methods for other in itertools.product(*rest)])


def plan(scenario, vary: Vary | list[Vary], target: tuple[str, float], deadline_s: float, out: str | Path, *,
         seeds: list[int], base: dict | None = None, pass_fraction: float = 1.0, scan_points: int = 5,
         tolerance: float = 0.05, workers: int | None = None, scheduler: str | None = None,
         progress: bool = True) -> pd.DataFrame:
    """Find each method's threshold of the first varied field (per scan value of a second one, if given: a
    pass/fail map, no bisection); write plan.json, plan.csv (one row per method and second value) and scan.csv
    (every point evaluated: pass fraction, mean / P90 / worst hours to target over seeds) into ``out``."""
    varies = [vary] if isinstance(vary, Vary) else list(vary)
    if not 1 <= len(varies) <= 2 or len({v.field for v in varies}) != len(varies):
        raise scn.ScenarioError("--vary takes one field, or two different fields for a pass/fail map")
    out = claim_folder(out)
    planner = Planner(scenario, varies, target, deadline_s, seeds, out, base, pass_fraction, workers, scheduler, progress)
    local = not scheduler and (workers or os.cpu_count() or 1) > 1
    with planner.bar, sweep.local_pool(workers) if local else nullcontext() as planner.pool:
        table = planner.run(scan_points, tolerance)
    keys = ["method", "value_2"] if len(varies) > 1 else ["method"]
    scan = pd.DataFrame(planner.evaluations).sort_values([*keys, "value"], kind="stable")
    table["runs"] = [len(seeds) * len(scan[scan["method"] == m]) for m in table["method"]]
    spec = {"scenario": str(scenario), "field": varies[0].field, "lo": varies[0].lo, "hi": varies[0].hi,
            "unit": varies[0].unit, "better": varies[0].better, "sizes": list(varies[0].sizes),
            "varies": [{"field": v.field, "lo": v.lo, "hi": v.hi, "unit": v.unit, "better": v.better,
                        "sizes": list(v.sizes)} for v in varies],
            "target": f"{target[0]} >= {target[1]:g}", "hold": planner.hold, "deadline": units.format_duration(deadline_s),
            "deadline_s": deadline_s, "seeds": seeds, "pass_fraction": pass_fraction, "tolerance": tolerance,
            "scan_points": scan_points, "base": base or {}}
    sweep.write_atomic(out / "plan.csv", lambda p: table.to_csv(p, index=False))
    sweep.write_atomic(out / "scan.csv", lambda p: scan.to_csv(p, index=False))
    sweep.write_atomic(out / "plan.json", lambda p: p.write_text(json.dumps(spec, indent=2, default=str) + "\n"))
    return table


make_callable(__name__, plan)
