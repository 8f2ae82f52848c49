"""The three example jobs (capacity planning, intermittent connectivity, communication cost) stay valid."""
import pytest

from simdt import scenario as scn

JOBS = ["job_oil_rig_vsat", "job_mine_windows", "job_water_lte"]


@pytest.mark.parametrize("name", JOBS)
def test_job_scenario_is_valid(name):
    resolved = scn.load(name)
    assert resolved.scenario.description and len(resolved.methods) >= 3
