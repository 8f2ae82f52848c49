"""Server modes: FedBuff's and FedAsync's arithmetic by hand, and runs where no update is counted twice,
staleness is never negative and over-selection keeps the first k."""
from types import SimpleNamespace

import pytest
import torch

import simdt
from simdt.fl.methods import METHODS, MethodContext, Update
from simdt.fl.server_modes import Arrival, Asynchronous, rebase, staleness_weight
from simdt.fl.training import LocalObjective
from simdt.rng import Streams
from simdt.scenario import AggregationSpec


def _fedavg():
    X = torch.randn(20, 3, generator=torch.Generator().manual_seed(0))
    ctx = MethodContext(sizes=(3, 4, 1), objective=LocalObjective(), twin_data=(X, (X[:, 0] > 0).float()),
                        generator=Streams(0).torch)
    return METHODS["fedavg"](METHODS["fedavg"].Params(), ctx)


def _full(like: dict, value: float) -> dict:
    return {n: torch.full_like(t, value) for n, t in like.items()}


def test_staleness_weight():
    assert staleness_weight(0, 0.5) == 1 and staleness_weight(3, 0.5) == pytest.approx(0.5)
    assert staleness_weight(4, 0) == 1
    with pytest.raises(ValueError):
        staleness_weight(-1, 0.5)


def test_fedbuff_rebases_each_update_and_weights_it_by_staleness():
    fedavg = _fedavg()
    fedavg.global_params = _full(fedavg.global_params, 10.0)       # the model at version 3
    g = fedavg.global_params
    fresh = Arrival(Update("a", _full(g, 12.0), 100), _full(g, 10.0), 3, 0.0, 1.0)   # change +2, τ = 0
    stale = Arrival(Update("b", _full(g, 4.0), 300), _full(g, 1.0), 0, 0.0, 1.0)     # change +3, τ = 3, s = 1/2
    assert torch.equal(rebase(stale, g, 0.5).tensors["fc1.weight"], torch.full_like(g["fc1.weight"], 11.5))
    mode = Asynchronous(AggregationSpec(mode="fedbuff", buffer=2, staleness_exponent=0.5))
    mode.aggregate(SimpleNamespace(strategy=fedavg), 4, [fresh, stale], version=3)
    # Θ + Σ n_k s_k Δ_k / Σ n_k = 10 + (100 * 1 * 2 + 300 * 0.5 * 3) / 400
    for t in fedavg.global_params.values():
        assert torch.allclose(t, torch.full_like(t, 10 + (200 + 450) / 400))


def test_fedasync_mixes_each_arrival_with_a_staleness_discount():
    fedavg = _fedavg()
    fedavg.global_params = _full(fedavg.global_params, 2.0)
    g = fedavg.global_params
    late = Arrival(Update("a", _full(g, 6.0), 50), _full(g, 0.0), 2, 0.0, 1.0)       # τ = 5 - 2 = 3
    mode = Asynchronous(AggregationSpec(mode="fedasync", alpha=0.6, staleness_exponent=1.0))
    mode.aggregate(SimpleNamespace(strategy=fedavg), 6, [late], version=5)
    a = 0.6 / 4  # α (1 + τ)^-1
    for t in fedavg.global_params.values():
        assert torch.allclose(t, torch.full_like(t, (1 - a) * 2 + a * 6))


MIXED = {"sites.count": 6, "evaluation.period": "1d", "fl.methods": ["fedavg", "fpf"], "fl.rounds": 8,
         "fl.round_every": 0, "fl.hidden": [64, 64], "fl.client_fraction": 0.5,
         "sites.fleet": [{"share": 0.5, "device": "industrial_pc", "uplink": "factory_ethernet"},
                         {"share": 0.5, "device": "raspberry_pi_4", "uplink": {"profile": "rural_lte", "up": "256kbps"}}]}


def _no_update_counted_twice(r):
    arrived = r.participation[r.participation["event"] == "arrived"]
    per_round = arrived.groupby(["method", "round"])["client"]
    assert (per_round.nunique() == per_round.size()).all()
    merged = per_round.size().rename("n").reset_index().merge(r.rounds, on=["method", "round"], how="right").fillna(0)
    assert (merged["n"] == merged["participants"]).all()
    t = r.transfers
    down = t[t["kind"] == "model_down"].groupby("method").size()
    assert (down == r.rounds.groupby("method")["selected"].sum()).all()  # every invitation is one model sent
    assert (t["wire_bytes"] == t["delivered_bytes"] + t["lost_bytes"]).all()
    return arrived


@pytest.mark.parametrize("mode", [{"mode": "fedbuff", "buffer": 2}, {"mode": "fedasync"}], ids=["fedbuff", "fedasync"])
def test_async_runs_count_each_update_once_and_staleness_is_never_negative(mode):
    r = simdt.run("default", overrides={**MIXED, "fl.aggregation": mode})
    arrived = _no_update_counted_twice(r)
    assert (arrived["staleness"] >= 0).all() and (arrived["staleness"] > 0).any()  # the fleet's slow half lags
    assert (r.rounds["participants"] <= (2 if mode["mode"] == "fedbuff" else 1)).all()
    fast = arrived["client"].isin(["site00", "site01", "site02"])
    assert fast.sum() > (~fast).sum()  # the fast half contributes more often: nobody waits for stragglers
    assert len(r.rounds) == 16 and r.rounds.groupby("method")["t_start_s"].apply(lambda s: s.is_monotonic_increasing).all()


def test_sync_waits_for_the_slowest_and_over_selection_keeps_the_first_k():
    plain = simdt.run("default", overrides={**MIXED, "fl.methods": ["fedavg"]})
    over = simdt.run("default", overrides={**MIXED, "fl.methods": ["fedavg"], "fl.aggregation": {"over_selection": 1.0}})
    for r in (plain, over):
        _no_update_counted_twice(r)
        assert (r.participation.loc[r.participation["event"] == "arrived", "staleness"] == 0).all()
    assert (over.rounds["selected"] == 6).all() and (over.rounds["participants"] == 3).all()
    surplus = over.participation[over.participation["event"] == "surplus"]
    assert len(surplus) == 8 * 3 and surplus["client"].isin(["site03", "site04", "site05"]).all()
    # keeping the first three cuts the round to the fast half's time
    assert over.rounds["t_end_s"].iloc[-1] - over.rounds["t_start_s"].iloc[0] < \
        0.5 * (plain.rounds["t_end_s"].iloc[-1] - plain.rounds["t_start_s"].iloc[0])
