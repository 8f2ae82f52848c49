"""The communication-cost report under compression, gating, crashes and a mixed fleet: bytes by codec and the
telemetry category add up, the client timeline shows crashes and gated-out rounds, per-site link capacities."""
import numpy as np
import pytest

import simdt
from simdt.report import activity, traffic, write_report

SCENARIO = {"sites.count": 4, "evaluation.period": "1d", "fl.methods": ["fedavg"], "fl.rounds": 4,
            "fl.client_fraction": 1.0, "fl.compression": {"up": "int8", "down": "fp16"},
            "fl.gating": {"threshold": 1.3, "max_skip": 1, "telemetry_every": "20min"},
            "faults": {"crash": [{"mtbf": "2h", "mttr": "30min"}]},
            "sites.fleet": [{"share": 0.5, "uplink": "factory_ethernet"}, {"share": 0.5}]}


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("mech")
    return simdt.run("default", overrides=SCENARIO).save(folder / "run")


def test_bytes_by_codec_and_the_telemetry_category_add_up(run):
    results = simdt.results.Results.load(run)
    t = results.transfers
    codec = traffic.by_codec(t).set_index(["kind", "codec"])
    assert codec.loc[("update_up", "int8"), "messages"] == (t["kind"] == "update_up").sum()
    assert codec.loc[("model_down", "fp16"), "wire_bytes"] == t.loc[t["kind"] == "model_down", "wire_bytes"].sum()
    assert codec["wire_bytes"].sum() == t["wire_bytes"].sum()
    cat = traffic.by_category(t).set_index("method")
    tele = t[t["kind"] == "telemetry"]
    assert cat.loc["fedavg", "telemetry"] == np.minimum(tele["payload_bytes"], tele["wire_bytes"] - tele["retrans_bytes"]).sum() > 0
    assert cat.sum(axis=1).iloc[0] == t["wire_bytes"].sum()


def test_timeline_shows_crashes_and_gated_out_rounds(run):
    results = simdt.results.Results.load(run)
    sites = [f"site{i:02d}" for i in range(4)]
    end = results.rounds["t_end_s"].max()
    iv = activity.intervals(results, "fedavg", sites, end)
    assert {"crashed", "gated out"} <= set(iv["state"])
    p = results.participation
    crashes = p[(p["event"] == "crash") & (p["t_start_s"] < end)]
    assert len(iv[iv["state"] == "crashed"]) == len(crashes)
    shares = activity.shares(iv, "fedavg", sites, 86400, end)
    assert (shares["crashed"] > 0).any() and (shares["gated out"] >= 0).all()


def test_mixed_fleet_capacities_and_the_page(run, tmp_path):
    results = simdt.results.Results.load(run)
    links = results.manifest["links"]
    assert traffic.capacity_bps("site00-access:up", links) == 100e6   # factory Ethernet half
    assert traffic.capacity_bps("site03-access:up", links) == 5e6     # rural LTE half
    page = write_report(run, tmp_path / "rep")
    assert (page.parent / "bytes_by_codec.csv").is_file()
