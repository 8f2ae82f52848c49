"""``simdt.run``: a scenario in, result tables out. Each method runs in its own world with the same seed."""
from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import torch
from tqdm.auto import tqdm

from simdt import scenario as scn
from simdt.eventlog import EventLog
from simdt.results import Results, package_versions
from simdt.data import DATA_SOURCES, DataSource
from simdt.rng import Streams
from simdt.twins.gap import mmd, sliced_wasserstein
from simdt.world import World, site_names


@contextmanager
def torch_threads(n: int):
    previous = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


def run(scenario: str | Path | dict | scn.Resolved = scn.DEFAULT_SCENARIO, *, seed: int | None = None,
        overrides: dict[str, Any] | None = None, progress: bool = False, threads: int = 1) -> Results:
    """Simulate every method of a scenario (a file, a name in ``scenarios/``, a mapping or a resolved one).

    Torch runs on ``threads`` threads (restored afterwards): the kernels of these tiny models are
    dominated by per-call overhead, which extra threads only add to (measured: the seven-method
    BATADAL comparison runs ~18x faster on one thread than on two with the other core busy), and
    sweeps run one simulation per core.
    """
    with torch_threads(threads):
        return _run(scenario, seed, overrides, progress)


def _run(scenario, seed, overrides, progress) -> Results:
    overrides = dict(overrides or {})
    if seed is not None:
        overrides["seed"] = seed
    if isinstance(scenario, scn.Resolved):
        if overrides:
            raise ValueError("pass overrides with a scenario file or mapping, not with a resolved scenario")
        resolved = scenario
    elif isinstance(scenario, dict):
        resolved = scn.resolve(scn.apply_overrides(scenario, overrides))
    else:
        resolved = scn.load(scenario, overrides)
    sc = resolved.scenario
    streams = Streams(sc.seed)
    source, source_params = resolved.data
    data = DATA_SOURCES[source](source_params, sc, site_names(sc), streams, resolved.catalog)
    gap = twin_gap(data, streams)
    log = EventLog()
    total = sc.fl.rounds * len(resolved.methods)
    with tqdm(total=total, desc=sc.name, unit="round", disable=not progress, leave=False) as bar:
        for method, _ in resolved.methods:
            bar.set_postfix_str(method)
            world = World(resolved, method, data, log, on_round=lambda: bar.update(1))
            world.run()
    links = {"uplink": resolved.uplink.model_dump(), "backhaul": resolved.backhaul.model_dump(),
             "twin_link": resolved.twin_link.model_dump() if resolved.twin_link else None}
    if sc.sites.fleet or sc.sites.overrides:  # a mixed fleet: every site's own
        links["sites"] = {s: p.uplink.model_dump() for s, p in world.profiles.items()}
    manifest = {
        "scenario": sc.model_dump(mode="json"),
        "source": resolved.source,
        "links": links,
        "seed": sc.seed,
        "twin_gap": gap,
        "versions": package_versions(),
    }
    results = Results.from_log(log, manifest, sc.fl.target.metric, sc.fl.target.value, sc.fl.start_after,
                               sc.fl.target.hold, sc.evaluation.final_rounds, sc.sites.count)
    results.summary["twin_mmd"] = gap["mmd"]
    results.summary["twin_swd"] = gap["swd"]
    return results


GAP_MAX_ROWS = 5000  # both estimators converge well before this; sorting 1e5-row projections does not pay


def twin_gap(data: DataSource, streams: Streams) -> dict[str, float]:
    """Sim-to-real gap between D_twin and the real (held-out) features: squared MMD and sliced Wasserstein."""
    rng = streams.numpy("gap/subsample")
    twin_X, real_X = (X if len(X) <= GAP_MAX_ROWS else X[np.sort(rng.choice(len(X), GAP_MAX_ROWS, replace=False))]
                      for X in (data.twin_set[0], data.eval_set[0]))
    seed = streams.int_seed("gap") % 2**31
    return {"mmd": float(mmd(twin_X, real_X, seed=seed)),
            "swd": float(sliced_wasserstein(twin_X, real_X, n_projections=200, seed=seed)),
            "twin_windows": int(len(twin_X)), "real_windows": int(len(real_X))}
