"""End to end: scenario -> world -> results, determinism, the run folder, the CLI."""
import json

import pandas as pd
import pytest

import simdt
from simdt import cli
from simdt.results import Results

SMALL = {"fl.rounds": 4, "sites.count": 4, "evaluation.period": "1d"}


@pytest.fixture(scope="module")
def small_run():
    return simdt.run("default", overrides=SMALL)


def test_same_seed_same_tables(small_run):
    again = simdt.run("default", overrides=SMALL)
    for name in ("rounds", "transfers", "compute", "summary"):
        pd.testing.assert_frame_equal(getattr(small_run, name), getattr(again, name))


def test_other_seed_other_results(small_run):
    other = simdt.run("default", overrides=SMALL, seed=small_run.manifest["seed"] + 1)
    assert not small_run.rounds["roc_auc"].equals(other.rounds["roc_auc"])


def test_every_message_accounted(small_run):
    t = small_run.transfers
    assert (t["wire_bytes"] == t["delivered_bytes"] + t["lost_bytes"]).all()
    assert (t["wire_bytes"] >= t["payload_bytes"]).all()
    # per round, each participant received the model and sent an update
    r = small_run.rounds
    for (method, rnd), group in t[t["round"] > 0].groupby(["method", "round"]):
        row = r[(r["method"] == method) & (r["round"] == rnd)].iloc[0]
        delivered = group[group["outcome"] == "delivered"]
        assert (delivered["kind"] == "update_up").sum() == row["participants"]
        assert (group["kind"] == "model_down").sum() == row["selected"]
    last = r.groupby("method")["cum_wire_bytes"].max()
    assert (last == t.groupby("method")["wire_bytes"].sum()).all()


def test_rounds_follow_the_clock(small_run):
    r = small_run.rounds
    for _, g in r.groupby("method"):
        assert (g["t_end_s"] >= g["t_start_s"]).all()
        assert (g["t_start_s"].diff().dropna() > 0).all()
        assert (g["cum_wire_bytes"].diff().dropna() >= 0).all()


def test_run_folder_round_trip(small_run, tmp_path):
    out = small_run.save(tmp_path / "run")
    back = Results.load(out)
    pd.testing.assert_frame_equal(back.rounds, small_run.rounds)
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["seed"] == 42 and "torch" in manifest["versions"]
    assert (out / "transfers.csv").is_file() and not list(tmp_path.glob(".run.*"))


def test_cli_run_prints_summary_and_writes_folder(tmp_path, capsys):
    args = ["run", "default", "--quiet", "--out", str(tmp_path / "r")]
    for key, value in SMALL.items():
        args += ["--set", f"{key}={value}"]
    assert cli.main(args) == 0
    out = capsys.readouterr().out
    assert "fedavg" in out and "fedprox" in out and "rounds to target" in out and "wire to target" in out
    assert (tmp_path / "r" / "summary.parquet").is_file()


def test_outages_drop_clients():
    flaky = simdt.run("default", overrides={**SMALL, "fl.rounds": 6, "sites.uplink.mtbf": "30min", "sites.uplink.mttr": "2h"})
    r = flaky.rounds
    assert (r["reachable"] < 4).any()          # the server only picks sites it can reach
    assert len(flaky.links) > 0


def test_large_fleet_shares_simulated_assets():
    from simdt.data import PhysicsData
    from simdt.rng import Streams
    from simdt.scenario import load
    from simdt.world import site_names

    resolved = load("default", {**SMALL, "sites.count": 6, "data.assets": 2})
    sc = resolved.scenario
    data = PhysicsData(resolved.data[1], sc, site_names(sc), Streams(sc.seed), resolved.catalog)
    day = 86400.0
    X0, y0 = data.client_dataset("site00", day)
    assert len(y0) == 24 * 60                        # one day of 1-minute windows
    store, shift = data._reads["site04"]             # 4 mod 2 = asset of site00, with its own shift
    assert store is data._reads["site00"][0] and 0 <= shift < day
    X4, _ = data.client_dataset("site04", day)
    assert len(X4) == (day - shift) / 60 and (X4 == X0[: len(X4)]).all()
