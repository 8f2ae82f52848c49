"""The digital-twin methods' message patterns, end to end: what crosses which link, and what it costs."""
import pytest

import simdt

SMALL = {"fl.rounds": 4, "sites.count": 4, "evaluation.period": "2h", "twin_data.windows": 200,
         "fl.start_after": "2h", "sites.retention": "2h",
         "sites.uplink.mtbf": None, "sites.uplink.mttr": None}  # no outages: every message is delivered


@pytest.fixture(scope="module")
def transfers():
    run = simdt.run("default", overrides={**SMALL, "fl.methods": ["fedavg", "lpe", "dtkd", "cwa", "fpf"]})
    t = run.transfers
    assert (t["outcome"] == "delivered").all()
    return t


def _payloads(t, method, kind):
    return t[(t["method"] == method) & (t["kind"] == kind)]["payload_bytes"]


def test_lpe_uploads_only_the_layers_the_server_keeps(transfers):
    full, lpe = _payloads(transfers, "fedavg", "update_up"), _payloads(transfers, "lpe", "update_up")
    assert lpe.max() < full.min() / 2  # fc1 (the bulk of the model) comes from the twin
    assert _payloads(transfers, "lpe", "model_down").min() == full.min()  # the full model still goes down


def test_dtkd_teacher_crosses_each_link_once(transfers):
    model = _payloads(transfers, "fedavg", "model_down").iloc[0]
    down = transfers[(transfers["method"] == "dtkd") & (transfers["kind"] == "model_down")]
    with_teacher = down[down["payload_bytes"] > 1.5 * model]
    assert len(down) > down["dst"].nunique()  # some clients were selected more than once ...
    assert sorted(with_teacher["dst"]) == sorted(down["dst"].unique())  # ... but got the teacher once
    assert (down.sort_values("t_start_s").groupby("dst")["payload_bytes"].first() > 1.5 * model).all()


def test_cwa_sends_the_twin_model_on_odd_rounds(transfers):
    cwa = transfers[(transfers["method"] == "cwa") & transfers["kind"].isin(["model_down", "twin_model_down"])]
    assert set(cwa[cwa["round"] % 2 == 1]["kind"]) == {"twin_model_down"}
    assert set(cwa[cwa["round"] % 2 == 0]["kind"]) == {"model_down"}
    twin = transfers[(transfers["method"] == "cwa") & (transfers["kind"] == "twin_sync")]
    assert sorted(twin["round"].unique()) == [0, 2, 4]  # pre-training, then after each even round


def test_colocated_twin_host_is_free_and_a_remote_one_is_not(transfers):
    here = transfers[(transfers["method"] == "fpf") & (transfers["kind"] == "twin_sync")]
    assert len(here) == 2 * 5 and (here["wire_bytes"] == 0).all()  # setup + 4 rounds, both ways
    remote = simdt.run("default", overrides={**SMALL, "fl.methods": ["fpf"], "twin_host.placement": "remote",
                                             "twin_host.link": "fiber_backhaul"}).transfers
    there = remote[remote["kind"] == "twin_sync"]
    assert len(there) == 2 * 5 and (there["wire_bytes"] > there["payload_bytes"]).all()
    assert (there["t_end_s"] > there["t_start_s"]).all()
