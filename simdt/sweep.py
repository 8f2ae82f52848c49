"""Parameter sweeps: every combination of grid values x seeds, run on a local process pool or a Dask cluster.

Each run is stored under ``SWEEP_DIR/runs/<key>/``, where the key is a hash of the run's fully resolved
configuration (scenario fields, resolved link profiles, method parameters, seed). A run folder appears
atomically (``Results.save``: temp folder + rename), so a sweep that is killed and started again skips
what is already there and runs only the rest: nothing is lost or run twice. The combined tables are
rebuilt from the run folders at the end.
"""
from __future__ import annotations

import hashlib
import itertools
import json
import os
import shutil
from contextlib import nullcontext
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import pandas as pd
import yaml
from tqdm.auto import tqdm

from simdt import scenario as scn
from simdt.atomic import claim_folder
from simdt.callable_module import make_callable
from simdt import stats


@dataclass(frozen=True)
class Point:
    values: dict[str, Any]   # grid field -> value, as given
    seed: int
    overrides: dict[str, Any]
    key: str


def split_values(text: str) -> list[str]:
    """Split 'a,b,[c,d]' on commas outside brackets and braces."""
    out, depth, cur = [], 0, ""
    for ch in text:
        depth += (ch in "[{") - (ch in "]}")
        if ch == "," and depth == 0:
            out.append(cur)
            cur = ""
        else:
            cur += ch
    return out + [cur]


def parse_grid(items: list[str]) -> dict[str, list]:
    """``["sites.uplink.up=1Mbps,5Mbps", ...]`` -> {field: [values]}, each value read with ``yaml.safe_load``."""
    grid = {}
    for item in items:
        field, sep, values = item.partition("=")
        if not sep or not field or not values:
            raise scn.ScenarioError(f"--grid expects FIELD=V1,V2,..., got {item!r}")
        if field in grid:
            raise scn.ScenarioError(f"--grid gives {field!r} twice")
        grid[field] = [yaml.safe_load(v) for v in split_values(values)]
    return grid


def run_key(resolved: scn.Resolved) -> str:
    """sha256 (16 hex digits) of the canonical JSON of the resolved scenario: catalog references replaced by
    what they resolve to, so two spellings of the same configuration share a key."""
    config = resolved.scenario.model_dump(mode="json")
    config["sites"]["uplink"] = resolved.uplink.model_dump(mode="json")
    config["network"]["backhaul"] = resolved.backhaul.model_dump(mode="json")
    config["twin_host"]["link"] = resolved.twin_link.model_dump(mode="json") if resolved.twin_link else None
    config["fl"]["methods"] = [[name, params.model_dump(mode="json")] for name, params in resolved.methods]
    config["data"] = [resolved.data[0], resolved.data[1].model_dump(mode="json")]
    text = json.dumps(config, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def make_points(scenario: str | Path, grid: dict[str, list], seeds: list[int], base: dict | None = None) -> list[Point]:
    """Resolve every grid point now, so a bad value fails before anything runs (with the field named)."""
    points = []
    for combo in itertools.product(*grid.values()):
        values = dict(zip(grid, combo))
        for seed in seeds:
            overrides = {**(base or {}), **values, "seed": seed}
            points.append(Point(values, seed, overrides, run_key(scn.load(scenario, overrides))))
    return points


def run_point(scenario_path: str, overrides: dict, run_dir: str) -> str:
    """Simulate one point and save it to ``run_dir`` (a worker task: plain arguments, importable)."""
    from simdt.runner import run

    if (Path(run_dir) / "manifest.json").is_file():
        return run_dir
    results = run(scn.load(scenario_path, overrides), threads=1)  # one torch thread: same floats on every worker
    results.manifest["sweep_point"] = overrides
    results.save(run_dir)
    return run_dir


def clean_partial(runs_dir: Path) -> None:
    """Remove temp folders left by runs killed while saving (``Results.save`` names them '.<key>.*')."""
    for tmp in runs_dir.glob(".*"):
        shutil.rmtree(tmp, ignore_errors=True)


def local_pool(workers: int | None, tasks: int | None = None) -> ProcessPoolExecutor:
    # spawn: a fresh interpreter per worker (forking a process that has started torch threads can hang)
    n = workers or os.cpu_count() or 1
    return ProcessPoolExecutor(min(n, tasks) if tasks else n, mp_context=get_context("spawn"))


def execute(scenario_path: str, points: list[Point], runs_dir: Path, workers: int | None = None,
            scheduler: str | None = None, bar: tqdm | None = None, pool: ProcessPoolExecutor | None = None) -> None:
    """Run the points whose folder is missing: in this process (one worker), a local process pool, or Dask.
    ``bar`` (a tqdm bar or None) counts the points, done or skipped. ``pool``: a ``local_pool`` to reuse (a
    plan calls this once per bisection step; starting workers costs more than a small run)."""
    runs_dir.mkdir(parents=True, exist_ok=True)
    clean_partial(runs_dir)
    todo = {p.key: p for p in points if not (runs_dir / p.key / "manifest.json").is_file()}
    bar = bar if bar is not None else tqdm(disable=True)
    bar.total = (bar.total or 0) + len({p.key for p in points})
    bar.update(len({p.key for p in points}) - len(todo))
    args = [(scenario_path, p.overrides, str(runs_dir / p.key)) for p in todo.values()]
    if scheduler:
        from distributed import Client
        from distributed import as_completed as dask_completed

        with Client(scheduler) as client:
            futures = [client.submit(run_point, *a, key=f"simdt-run-{k}", pure=False) for k, a in zip(todo, args)]
            for future in dask_completed(futures):
                future.result()
                bar.update()
    elif (workers or os.cpu_count() or 1) == 1 or len(args) <= 1:
        for a in args:
            run_point(*a)
            bar.update()
    else:
        with nullcontext(pool) if pool else local_pool(workers, len(args)) as running:
            for future in as_completed([running.submit(run_point, *a) for a in args]):
                future.result()
                bar.update()


def combine(points: list[Point], runs_dir: Path) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """One row per point and method (grid values, seed, run key, summary columns); statistics over seeds per point
    and method; paired differences against FedAvg on the same seeds (``simdt.stats``)."""
    frames = []
    for p in points:
        s = pd.read_parquet(runs_dir / p.key / "summary.parquet")
        frames.append(s.assign(**{f: [v] * len(s) for f, v in p.values.items()}, seed=p.seed, run=p.key))
    table = pd.concat(frames, ignore_index=True)
    fields = list(points[0].values) if points else []
    for f in fields:  # one type per column, so it can go to Parquet; a YAML null is the point "null"
        if table[f].isna().any() or not pd.api.types.is_numeric_dtype(table[f]):
            table[f] = table[f].map(lambda v: "null" if v is None or v != v else str(v))
    table = table[[*fields, "seed", "run", *[c for c in table if c not in (*fields, "seed", "run")]]]
    return table, stats.over_seeds(table, fields), stats.paired(table, fields)


def write_atomic(path: Path, write) -> None:
    """``write(temp_path)`` then rename over ``path``: readers see the old file or the new one, never half of it."""
    tmp = path.with_name(f".{path.name}.tmp")
    write(tmp)
    os.replace(tmp, path)


def sweep(scenario: str | Path, grid: dict[str, list], seeds: list[int], out: str | Path, *, base: dict | None = None,
          workers: int | None = None, scheduler: str | None = None, progress: bool = True) -> pd.DataFrame:
    """Run (or resume) a sweep into ``out``; writes sweep.json, runs/, sweep.csv/.parquet, sweep_summary.csv."""
    out = Path(out)
    path = str(scn.find_scenario(scenario).resolve())
    points = make_points(path, grid, seeds, base)
    claim_folder(out)
    spec = {"scenario": str(scenario), "grid": grid, "seeds": seeds, "base": base or {}, "points": len(points)}
    write_atomic(out / "sweep.json", lambda p: p.write_text(json.dumps(spec, indent=2, default=str) + "\n"))
    with tqdm(desc="sweep", unit="run", total=0, disable=not progress) as bar:
        execute(path, points, out / "runs", workers, scheduler, bar)
    table, summary, diffs = combine(points, out / "runs")
    write_atomic(out / "sweep.parquet", lambda p: table.to_parquet(p, index=False))
    write_atomic(out / "sweep.csv", lambda p: table.to_csv(p, index=False))
    write_atomic(out / "sweep_summary.csv", lambda p: summary.to_csv(p, index=False))
    write_atomic(out / "sweep_paired.csv", lambda p: diffs.to_csv(p, index=False))
    return table


make_callable(__name__, sweep)
