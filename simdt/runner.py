"""``simdt.run``: a scenario in, result tables out. Each method runs in its own world with the same seed."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from tqdm.auto import tqdm

from simdt import scenario as scn
from simdt.eventlog import EventLog
from simdt.results import Results, package_versions
from simdt.world import World


def run(scenario: str | Path | dict | scn.Resolved = scn.DEFAULT_SCENARIO, *, seed: int | None = None,
        overrides: dict[str, Any] | None = None, progress: bool = False) -> Results:
    """Simulate every method of a scenario (a file, a name in ``scenarios/``, a mapping or a resolved one)."""
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
    log = EventLog()
    total = sc.fl.rounds * len(resolved.methods)
    with tqdm(total=total, desc=sc.name, unit="round", disable=not progress, leave=False) as bar:
        for method, _ in resolved.methods:
            bar.set_postfix_str(method)
            World(resolved, method, log, on_round=lambda: bar.update(1)).run()
    manifest = {
        "scenario": sc.model_dump(mode="json"),
        "source": resolved.source,
        "links": {"uplink": resolved.uplink.model_dump(), "backhaul": resolved.backhaul.model_dump(),
                  "twin_link": resolved.twin_link.model_dump() if resolved.twin_link else None},
        "seed": sc.seed,
        "versions": package_versions(),
    }
    return Results.from_log(log, manifest, sc.fl.target.metric, sc.fl.target.value, sc.fl.start_after)
