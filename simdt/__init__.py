"""simdt: judge federated anomaly-detection methods for industrial IoT in hours of real time and bytes on real links.

``simdt.run`` simulates a scenario, ``simdt.sweep`` runs it over a grid and seeds, ``simdt.plan`` finds the worst
link at which each method still meets a target, ``simdt.report`` writes the HTML report of any of their folders.
"""
import importlib

from simdt.scenario import ScenarioError, load

__all__ = ["run", "sweep", "plan", "report", "load", "ScenarioError"]
__version__ = "0.1.0"


def __getattr__(name: str):
    if name == "run":  # the runner brings torch: only a run pays for it, not `simdt --help` or `validate`
        from simdt.runner import run

        return run
    if name in ("sweep", "plan", "report"):  # callable modules (simdt/callable_module.py), imported when first used
        return importlib.import_module(f"simdt.{name}")
    raise AttributeError(f"module 'simdt' has no attribute {name!r}")
