"""Twin-gated participation: the deviation by hand, who joins which round, telemetry and the edge twin's compute."""
from types import SimpleNamespace

import numpy as np
import pytest

import simdt
from simdt.devices import DEVICES
from simdt.fl.gating import EdgeTwins
from simdt.scenario import GatingSpec


def test_deviation_is_the_rms_z_score_against_the_twins_normal_rows():
    twin_X = np.array([[0.0, 10.0], [2.0, 14.0], [100.0, -50.0]])   # the last row is an anomaly: ignored
    recent = np.array([[1.0, 12.0], [3.0, 16.0], [5.0, 8.0]])
    data = SimpleNamespace(twin_set=(twin_X, np.array([0, 0, 1])), feature_names=["a", "b"],
                           client_dataset=lambda site, now: (recent, np.zeros(3)))
    gate = EdgeTwins(GatingSpec(recent=2, threshold=2.0, max_skip=3), data, ["s"])
    z = (recent[-2:] - [1.0, 12.0]) / [1.0, 2.0]                      # normal rows: mean (1, 12), std (1, 2)
    dev, n = gate.deviation("s", 0.0)
    assert n == 2 and dev == pytest.approx(np.sqrt(np.mean(z**2)))   # sqrt((4 + 4 + 16 + 4) / 4) = 2.65
    assert gate.decide(1, "s", 0.0) == (True, 2 * 3e3)
    quiet = EdgeTwins(GatingSpec(recent=2, threshold=3.0, max_skip=3), data, ["s"])
    assert [quiet.decide(r, "s", 0.0)[0] for r in range(1, 6)] == [False, False, False, True, True]
    quiet.contributed("s", 4)
    assert [quiet.decide(r, "s", 0.0)[0] for r in range(5, 9)] == [False, False, False, True]


GATED = {"sites.count": 6, "evaluation.period": "1d", "fl.methods": ["fedavg"], "fl.rounds": 8,
         "fl.client_fraction": 1.0, "fl.round_every": "1h", "sites.uplink": "factory_ethernet",
         "fl.gating": {"threshold": 1.3, "max_skip": 2, "recent": 30, "telemetry_every": "15min"}}


@pytest.fixture(scope="module")
def gated():
    return simdt.run("default", overrides=GATED)


def test_gated_sites_sit_out_and_rejoin_after_max_skip(gated):
    p, t, rounds = gated.participation, gated.transfers, gated.rounds
    out = p[p["event"] == "gated_out"]
    assert len(out) and (out["detail"] == "join").all()
    invited = set(zip(t.loc[t["kind"] == "model_down", "round"], t.loc[t["kind"] == "model_down", "dst"]))
    assert not invited & set(zip(out["round"], out["client"]))          # a gated site gets no model
    assert (rounds["selected"] + out.groupby("round").size().reindex(rounds["round"], fill_value=0).to_numpy()
            == rounds["reachable"]).all()                                # every reachable site: invited or gated out
    arrived = p[p["event"] == "arrived"]
    for site in sorted(set(p["client"])):
        rounds_in = [0] + sorted(arrived.loc[arrived["client"] == site, "round"]) + [9]
        assert max(np.diff(rounds_in)) <= 2 + 1                          # never more than max_skip rounds out


def test_telemetry_and_edge_twin_compute_are_charged(gated):
    t, c = gated.transfers, gated.compute
    tele = t[t["kind"] == "telemetry"]
    assert set(tele["dst"]) == {"server"} and (tele["codec"] == "none").all()
    start, end = 86400.0, gated.rounds["t_end_s"].max()
    per_site = tele.groupby("src").size()
    assert len(per_site) == 6 and (per_site >= int((end - start) // 900)).all()
    assert (tele["payload_bytes"] == tele["payload_bytes"].iloc[0]).all()
    edge = c[c["kind"] == "edge_twin"]
    assert len(edge) == 6 * 8 and (edge["flops"] == 30 * 3e3).all()     # every reachable site, every round
    seconds = edge["flops"] / DEVICES["raspberry_pi_4"].effective_flops
    assert np.allclose(edge["t_end_s"] - edge["t_start_s"], seconds)


def test_gating_at_upload_sends_a_skip_notice_instead():
    r = simdt.run("default", overrides={**GATED, "fl.rounds": 4, "fl.gating": {**GATED["fl.gating"], "at": "upload"}})
    p, t = r.participation, r.transfers
    skipped = p[p["event"] == "gated_out"]
    assert len(skipped) and (skipped["detail"] == "skip notice").all()
    notices = t[t["kind"] == "skip_notice"]
    assert sorted(zip(notices["round"], notices["src"])) == sorted(zip(skipped["round"], skipped["client"]))
    up = t[t["kind"] == "update_up"]
    assert not set(zip(up["round"], up["src"])) & set(zip(notices["round"], notices["src"]))
    assert (r.rounds["selected"] == r.rounds["reachable"]).all()   # everyone trains, only some upload


def test_asynchronous_rounds_ask_each_edge_twin_once_per_round():
    r = simdt.run("default", overrides={**GATED, "fl.rounds": 6, "fl.round_every": 0, "fl.client_fraction": 0.5,
                                        "fl.aggregation": {"mode": "fedbuff", "buffer": 2}})
    edge = r.compute[r.compute["kind"] == "edge_twin"]
    assert len(edge) and not edge.duplicated(["round", "node"]).any()
    out = r.participation[r.participation["event"] == "gated_out"]
    assert not out.duplicated(["round", "client"]).any()
    invited = r.transfers[r.transfers["kind"] == "model_down"]
    assert not set(zip(invited["round"], invited["dst"])) & set(zip(out["round"], out["client"]))
