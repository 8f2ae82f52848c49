"""The digital-twin methods' aggregation and twin-host steps on small hand-computable tensors."""
import math

import pytest
import torch

from simdt.fl.methods import METHODS, MethodContext, Update
from simdt.fl.methods.dtml import meta_step
from simdt.fl.methods.fpf import rv_coefficient, similarity
from simdt.fl.methods.lpe import layer_split
from simdt.fl.training import LocalObjective, sample_loss
from simdt.rng import Streams


def _ctx(d=3):
    X = torch.randn(40, d, generator=torch.Generator().manual_seed(0))
    return MethodContext(sizes=(d, 4, 2, 1), objective=LocalObjective(), twin_data=(X, (X[:, 0] > 0).float()),
                         generator=Streams(0).torch)


def _make(name, **params):
    cls = METHODS[name]
    return cls(cls.Params(**params), _ctx())


def _full(params, value):
    return {k: torch.full_like(v, value) for k, v in params.items()}


def test_rv_coefficient_by_hand():
    a = torch.tensor([[1.0, 0.0], [0.0, 2.0]])
    b = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
    # AAᵀ = diag(1, 4), BBᵀ = I: tr(AAᵀBBᵀ) = 5, tr((AAᵀ)²) = 17, tr((BBᵀ)²) = 2
    assert rv_coefficient(a, b) == pytest.approx(5 / math.sqrt(17 * 2))
    assert rv_coefficient(a, 3 * a) == pytest.approx(1.0)  # scale-invariant


def test_fpf_fuses_with_softmax_of_rv_similarity():
    fpf = _make("fpf", gamma=0.25)
    g = fpf.global_params
    fpf.twin = _full(g, 0.0)
    fpf.twin["fc1.weight"] = torch.eye(4, 3)
    # client a's weights equal the twin's; client b's fc1 does not
    a, b = _full(g, 1.0), _full(g, 3.0)
    a["fc1.weight"] = torch.eye(4, 3)
    fpf.twin["fc2.weight"], fpf.twin["fc3.weight"] = a["fc2.weight"].clone(), a["fc3.weight"].clone()
    s = torch.tensor([similarity(a, fpf.twin), similarity(b, fpf.twin)])
    # fc1: RV(I, I) = 1 for a; b's fc1 is all 3s: BBᵀ = 27·J, RV = tr(diag(1,1,1,0)·J) / sqrt(3 · 16) = 3 / sqrt(48)
    # fc2 and fc3: constant matrices -> RV 1 for both
    assert s[0] == pytest.approx(1.0) and s[1] == pytest.approx((3 / math.sqrt(48) + 2) / 3)
    w = torch.softmax(s, 0)
    fpf.aggregate(1, [Update("a", a, 10), Update("b", b, 1000)])  # n_k plays no part in FPF's weights
    expect = 0.75 * (w[0] * 1.0 + w[1] * 3.0) + 0.25 * 0.0
    assert torch.allclose(fpf.global_params["fc2.bias"], torch.full((2,), float(expect)))


def test_lpe_layer_split_both_ways():
    p = _make("lpe").global_params
    assert layer_split(p, 1, "twin_lower") == (["fc1.weight", "fc1.bias"], ["fc2.weight", "fc2.bias", "fc3.weight", "fc3.bias"])
    assert layer_split(p, 2, "twin_upper") == (["fc3.weight", "fc3.bias"], ["fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"])
    with pytest.raises(ValueError, match="split"):
        layer_split(p, 3, "twin_lower")


def test_lpe_uploads_and_merges_only_its_layers():
    lpe = _make("lpe", policy="twin_upper", split=1)
    g = lpe.global_params
    assert set(lpe.upload(1, "s", _full(g, 1.0))) == {"fc1.weight", "fc1.bias"}
    lpe.setup().run()  # twin host pre-trains its model
    lpe.aggregate(1, [Update("a", lpe.upload(1, "a", _full(g, 2.0)), 5)])
    work = lpe.after_round(1)
    assert set(work.send) == {"fc1.weight", "fc1.bias"}  # the aggregate's client layers go to the twin host
    back, flops = work.run()
    assert set(back) == {"fc2.weight", "fc2.bias", "fc3.weight", "fc3.bias"} and flops > 0
    work.apply(back)
    assert torch.equal(lpe.global_params["fc1.bias"], torch.full((4,), 2.0))
    assert torch.equal(lpe.global_params["fc3.weight"], back["fc3.weight"])


def test_cwa_alternates_by_round_parity():
    cwa = _make("cwa")
    cwa.twin = _full(cwa.global_params, 7.0)
    odd, even = cwa.client_task(1, "s"), cwa.client_task(2, "s")
    assert odd.kind == "twin_model_down" and odd.start is cwa.twin
    assert even.kind == "model_down" and even.start is cwa.global_params
    assert cwa.after_round(1) is None
    cwa.aggregate(2, [Update("a", _full(cwa.global_params, 1.0), 1), Update("b", _full(cwa.global_params, 3.0), 1)])
    work = cwa.after_round(2)  # even round: Θ_T <- Θ = FedAvg, then the twin continues on D_twin
    assert torch.equal(work.send["fc1.bias"], torch.full((4,), 2.0))
    work.apply(work.run()[0])
    assert not torch.equal(cwa.twin["fc1.weight"], torch.full((4, 3), 2.0)) and cwa.client_task(3, "s").start is cwa.twin


def _twin_part(strategy, n):
    """The twin samples DTML's round-1 adaptation draws."""
    X, y = strategy.ctx.twin_data
    pick = torch.randperm(len(X), generator=strategy.ctx.generator("twin/dtml/round/1/sample"))[:n]
    return X[pick], y[pick]


def test_dtml_meta_step():
    bar = {"w": torch.tensor([1.0, 2.0])}
    tilde = {"w": torch.tensor([3.0, -2.0])}
    assert torch.allclose(meta_step(bar, tilde, 0.25)["w"], torch.tensor([1.5, 1.0]))  # bar + β(tilde − bar)
    dtml = _make("dtml", beta=0.5, inner_steps=3)
    dtml.aggregate(1, [Update("a", _full(dtml.global_params, 1.0), 1)])
    work = dtml.after_round(1)
    new, flops = work.run()
    # τ = 3 minibatches of B = 10: 30 twin samples, one pass
    assert flops == 30 * 6 * (3 * 4 + 4 * 2 + 2 * 1)
    work.apply(new)
    tilde, _ = dtml.train_on_twin(work.send, 1, "twin/dtml/round/1", data=_twin_part(dtml, 30))
    for n, v in dtml.global_params.items():
        assert torch.allclose(v, 1.0 + 0.5 * (tilde[n] - 1.0))


def test_dtkd_loss_by_hand_and_teacher_sent_once():
    z, zt, y = torch.tensor([0.5]), torch.tensor([2.0]), torch.tensor([1.0])
    obj = _make("dtkd", alpha=0.3, temperature=2.0).objective
    s, t = lambda v: 1 / (1 + math.exp(-v)), 2.0
    p, q = s(2.0 / t), s(0.5 / t)  # teacher and student at temperature T
    kl = p * math.log(p / q) + (1 - p) * math.log((1 - p) / (1 - q))
    hand = 0.3 * -math.log(s(0.5)) + 0.7 * t * t * kl
    assert float(sample_loss(z, y, obj, zt)) == pytest.approx(hand, rel=1e-5)

    dtkd = _make("dtkd")
    first = dtkd.client_task(1, "s")
    assert {n for n in first.send if n.startswith("teacher/")} == {f"teacher/{n}" for n in dtkd.teacher}
    assert first.teacher is dtkd.teacher
    dtkd.upload(1, "s", dtkd.global_params)
    again = dtkd.client_task(2, "s")
    assert set(again.send) == set(dtkd.global_params) and again.teacher is dtkd.teacher
