"""Sweeps: grid parsing, run keys, identical tables on a local pool and on Dask, resume after SIGKILL."""
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
import yaml

from simdt import scenario as scn
from simdt.cli import main
from simdt.sweep import parse_grid, run_key, split_values, sweep

TINY = {"name": "tiny-sweep", "seed": 1, "sites": {"count": 2, "uplink": "rural_lte"},
        "fl": {"methods": ["fedavg"], "rounds": 2, "start_after": "1d"}, "evaluation": {"period": "1d"}}


@pytest.fixture
def tiny(tmp_path) -> Path:
    path = tmp_path / "tiny.yaml"
    path.write_text(yaml.safe_dump(TINY))
    return path


def test_parse_grid_reads_each_value_as_yaml():
    grid = parse_grid(["sites.uplink.up=1Mbps,5Mbps", "fl.client_fraction=0.3,0.5", "fl.methods=[fedavg],[fedavg,fedprox]"])
    assert grid == {"sites.uplink.up": ["1Mbps", "5Mbps"], "fl.client_fraction": [0.3, 0.5],
                    "fl.methods": [["fedavg"], ["fedavg", "fedprox"]]}
    assert split_values("a,{b: 1, c: 2}") == ["a", "{b: 1, c: 2}"]
    for bad in (["fl.rounds"], ["=1,2"], ["fl.rounds=1", "fl.rounds=2"]):
        with pytest.raises(scn.ScenarioError):
            parse_grid(bad)


def test_run_key_depends_on_resolved_config_only(tiny):
    key = run_key(scn.load(tiny))
    assert key == run_key(scn.load(tiny, {"sites.uplink.up": 5e6}))  # rural_lte's own value, written differently
    assert key != run_key(scn.load(tiny, {"seed": 2}))
    assert key != run_key(scn.load(tiny, {"sites.uplink.up": "1Mbps"}))


def test_bad_grid_value_fails_before_running(tiny, tmp_path, capsys):
    assert main(["sweep", str(tiny), "--grid", "fl.client_fraction=0.5,7", "--out", str(tmp_path / "s"), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "fl.client_fraction" in err
    assert not (tmp_path / "s" / "runs").exists()


@pytest.mark.slow
def test_local_pool_and_dask_give_identical_tables(tiny, tmp_path):
    from distributed import LocalCluster

    grid, seeds = parse_grid(["sites.uplink.up=1Mbps,5Mbps"]), [1, 2]
    local = sweep(tiny, grid, seeds, tmp_path / "local", workers=2, progress=False)
    with LocalCluster(n_workers=2, processes=False, threads_per_worker=1, dashboard_address=None) as cluster:
        dask = sweep(tiny, grid, seeds, tmp_path / "dask", scheduler=cluster.scheduler_address, progress=False)
    assert len(local) == 4 and local["run"].nunique() == 4
    pd.testing.assert_frame_equal(local, dask)
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "local" / "sweep_summary.csv"),
                                  pd.read_csv(tmp_path / "dask" / "sweep_summary.csv"))
    summary = pd.read_csv(tmp_path / "local" / "sweep_summary.csv")
    assert summary["seeds"].tolist() == [2, 2]
    assert main(["report", str(tmp_path / "local"), "--out", str(tmp_path / "rep")]) == 0
    assert list((tmp_path / "rep" / "figures").glob("sweep-*.png"))  # a figure per grid field, PNG beside the page


@pytest.mark.slow
def test_sweep_killed_and_restarted_completes_once(tiny, tmp_path):
    out = tmp_path / "s"
    cmd = [sys.executable, "-m", "simdt.cli", "sweep", str(tiny), "--grid", "fl.client_fraction=0.5,1.0",
           "--seeds", "2", "--workers", "1", "--out", str(out), "--quiet"]
    proc = subprocess.Popen(cmd, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while not list(out.glob("runs/*/manifest.json")):
        assert proc.poll() is None and time.monotonic() < deadline
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    assert 1 <= len(list(out.glob("runs/*/manifest.json"))) < 4
    subprocess.run(cmd, check=True, timeout=300)
    runs = [p for p in (out / "runs").iterdir()]
    assert len(runs) == 4 and all(not p.name.startswith(".") for p in runs)
    table = pd.read_csv(out / "sweep.csv")
    assert len(table) == 4 and table["run"].nunique() == 4
    assert sorted(map(tuple, table[["fl.client_fraction", "seed"]].values.tolist())) == [(0.5, 1), (0.5, 2), (1.0, 1), (1.0, 2)]


@pytest.mark.parametrize("values", ["sites.uplink.mtbf=null,8h", "sites.uplink.trace_up=null,tests/one.csv"])
def test_a_null_grid_value_is_a_point_of_its_own(tiny, tmp_path, values):
    (tmp_path / "one.csv").write_text("seq_num,throughput_mbps\n0,2\n1,3\n")
    grid = parse_grid([values.replace("tests/one.csv", str(tmp_path / "one.csv"))])
    table = sweep(tiny, grid, [1], tmp_path / "out", workers=1, progress=False)
    summary = pd.read_csv(tmp_path / "out" / "sweep_summary.csv", keep_default_na=False)
    assert len(table) == 2 and len(summary) == 2 and summary["seeds"].tolist() == [1, 1]
    assert main(["report", str(tmp_path / "out"), "--out", str(tmp_path / "rep")]) == 0
