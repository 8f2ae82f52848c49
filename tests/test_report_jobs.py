"""The three example jobs (capacity planning, intermittent connectivity, communication cost) stay valid."""
import pytest

from simdt import scenario as scn

JOBS = ["job_oil_rig_vsat", "job_mine_windows", "job_water_lte"]


@pytest.mark.parametrize("name", JOBS)
def test_job_scenario_is_valid(name):
    resolved = scn.load(name)
    assert resolved.scenario.description and len(resolved.methods) >= 3


@pytest.mark.slow
def test_readme_plan_command_gives_a_threshold_per_method(tmp_path):
    import re
    import shlex
    from pathlib import Path

    import pandas as pd

    from simdt.cli import main

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    command = re.search(r"^simdt (plan job_oil_rig_vsat .*)$", readme, re.M).group(1)
    assert main([*shlex.split(command), "--out", str(tmp_path / "plan"), "--quiet"]) == 0
    plan = pd.read_csv(tmp_path / "plan" / "plan.csv")
    assert len(plan) == 3 and (plan["status"] == "bracketed").all()  # a real threshold for every method
    assert (plan["fail_bound"] < plan["threshold"]).all() and (plan["threshold"] <= plan["fail_bound"] * 1.1).all()
