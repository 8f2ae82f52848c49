"""The job scenarios for compression, gating and asynchronous aggregation: valid, and their sweep commands
(in each file's comments) resolve at every grid point."""
import shlex

import pytest

from simdt import scenario as scn
from simdt.sweep import make_points, parse_grid

JOBS = {"job_rig_compressed": "fl.compression", "job_gated_pumps": "fl.gating", "job_async_fleet": "fl.aggregation"}


@pytest.mark.parametrize("name", JOBS)
def test_job_and_its_sweep_command(name):
    path = scn.find_scenario(name)
    resolved = scn.load(path)
    assert resolved.scenario.description
    command = next(line.lstrip("# ").strip() for line in path.read_text().splitlines() if "simdt sweep" in line)
    args = shlex.split(command)
    grid = parse_grid([args[i + 1] for i, a in enumerate(args) if a == "--grid"])
    assert list(grid) == [JOBS[name]] and len(grid[JOBS[name]]) >= 2
    points = make_points(path, grid, [0])
    assert len({p.key for p in points}) == len(points)   # every grid point is a distinct, valid configuration
