"""Strategies: aggregation by hand and message patterns."""
import torch

from simdt.fl.methods import METHODS, MethodContext, Update
from simdt.fl.methods.base import weighted_mean
from simdt.fl.training import LocalObjective
from simdt.rng import Streams


def _ctx(d=3):
    X = torch.randn(20, d, generator=torch.Generator().manual_seed(0))
    return MethodContext(sizes=(d, 16, 8, 1), objective=LocalObjective(), twin_data=(X, (X[:, 0] > 0).float()),
                         generator=Streams(0).torch)


def test_weighted_mean_by_hand():
    a = {"w": torch.tensor([1.0, 2.0]), "b": torch.tensor([0.0])}
    b = {"w": torch.tensor([3.0, 6.0]), "b": torch.tensor([4.0])}
    out = weighted_mean([a, b], [10, 30])
    # (10*1 + 30*3)/40 = 2.5, (10*2 + 30*6)/40 = 5.0, (0 + 30*4)/40 = 3.0
    assert torch.allclose(out["w"], torch.tensor([2.5, 5.0]))
    assert torch.allclose(out["b"], torch.tensor([3.0]))


def test_fedavg_aggregates_weighted_by_samples():
    fedavg = METHODS["fedavg"](METHODS["fedavg"].Params(), _ctx())
    g = fedavg.global_params
    u1 = {k: torch.full_like(v, 1.0) for k, v in g.items()}
    u2 = {k: torch.full_like(v, 4.0) for k, v in g.items()}
    fedavg.aggregate(1, [Update("a", u1, 100), Update("b", u2, 50)])
    for v in fedavg.global_params.values():
        assert torch.allclose(v, torch.full_like(v, (100 * 1 + 50 * 4) / 150))


def test_no_updates_keeps_the_model():
    fedavg = METHODS["fedavg"](METHODS["fedavg"].Params(), _ctx())
    before = {k: v.clone() for k, v in fedavg.global_params.items()}
    fedavg.aggregate(1, [])
    assert all(torch.equal(before[k], fedavg.global_params[k]) for k in before)


def test_fedprox_sends_fedavg_traffic_with_an_anchor():
    prox = METHODS["fedprox"](METHODS["fedprox"].Params(mu=0.5), _ctx())
    task = prox.client_task(1, "site00")
    assert set(task.send) == set(prox.global_params) and task.anchor is prox.global_params
    assert prox.objective.prox_mu == 0.5
    assert METHODS["fedavg"](METHODS["fedavg"].Params(), _ctx()).objective.prox_mu == 0.0
