import math

import pytest
import torch

from simdt.fl.model import (flops_per_sample, forward, forward_stacked, init_params, layer_names, mlp_sizes, stack,
                            unstack)
from simdt.fl.training import LocalObjective, _Flat, _forward_backward, sample_loss, train_batched, train_oracle

torch.set_num_threads(1)
D = 6
SIZES = mlp_sizes(D)
NS = [7, 23, 40, 10]  # unequal sizes: 1, 3, 4 and 1 full batches per epoch at B=10


def gen(seed):
    return torch.Generator().manual_seed(seed)


def make_data(n, seed):
    x = torch.randn(n, D, generator=gen(seed))
    return x, (x[:, 0] + 0.3 * x[:, 1] > 0).float()


@pytest.fixture(scope="module")
def clients():
    data = [make_data(n, 100 + c) for c, n in enumerate(NS)]
    starts = [init_params(SIZES, gen(c)) for c in range(len(NS))]
    others = [init_params(SIZES, gen(50 + c)) for c in range(len(NS))]  # anchors / teachers
    return data, starts, others


def test_init_matches_nn_linear():
    g1, g2 = gen(3), gen(3)
    p = init_params(SIZES, g1)
    assert list(p) == ["fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias", "fc3.weight", "fc3.bias"]
    for i, (a, b) in enumerate(zip(SIZES[:-1], SIZES[1:]), start=1):
        lin = torch.nn.Linear(a, b)
        w, bias = torch.empty_like(lin.weight), torch.empty_like(lin.bias)
        torch.nn.init.kaiming_uniform_(w, a=math.sqrt(5), generator=g2)  # what nn.Linear.reset_parameters does
        bias.uniform_(-1 / math.sqrt(a), 1 / math.sqrt(a), generator=g2)
        assert torch.allclose(p[f"fc{i}.weight"], w) and torch.equal(p[f"fc{i}.bias"], bias)


def test_forward_matches_sequential_and_stacked():
    ps = [init_params(SIZES, gen(s)) for s in range(3)]
    x = torch.randn(3, 11, D, generator=gen(9))
    net = torch.nn.Sequential(torch.nn.Linear(D, 16), torch.nn.ReLU(), torch.nn.Linear(16, 8), torch.nn.ReLU(),
                              torch.nn.Linear(8, 1))
    net.load_state_dict({f"{2 * (int(k[2]) - 1)}.{k.split('.')[1]}": v for k, v in ps[0].items()})
    assert torch.allclose(forward(ps[0], x[0]), net(x[0]).squeeze(-1), atol=1e-6)
    z = forward_stacked(stack(ps), x)
    assert z.shape == (3, 11)
    for k in range(3):
        assert torch.allclose(z[k], forward(ps[k], x[k]), atol=1e-6)
    back = unstack(stack(ps))
    assert all(torch.equal(back[k][n], ps[k][n]) for k in range(3) for n in ps[k])
    assert layer_names(ps[0]) == {f"fc{i}": [f"fc{i}.weight", f"fc{i}.bias"] for i in (1, 2, 3)}


def test_flops_by_hand():
    # [3 -> 4 -> 2 -> 1]: MACs 12 + 8 + 2 = 22; forward 2 x 22, training 3 x that.
    assert flops_per_sample((3, 4, 2, 1)) == 132
    assert flops_per_sample(mlp_sizes(43)) == 6 * (43 * 16 + 16 * 8 + 8)


def test_hand_backward_equals_autograd():
    ps = [init_params(SIZES, gen(s)) for s in range(3)]
    x = torch.randn(3, 10, D, generator=gen(1))
    y = (torch.rand(3, 10, generator=gen(2)) > 0.5).float()
    w = torch.rand(3, 10, generator=gen(3))
    w[2, 6:] = 0  # padding
    with torch.no_grad():
        g = _forward_backward(_Flat(stack(ps)), x, lambda z: (torch.sigmoid(z) - y) * w)
    st = {n: t.requires_grad_() for n, t in stack(ps).items()}
    (sample_loss(forward_stacked(st, x), y, LocalObjective()) * w).sum().backward()
    ref = torch.cat([t.grad.flatten(1) for t in st.values()], dim=1)
    assert torch.allclose(g, ref, atol=1e-6)


OBJECTIVES = {
    "plain": (LocalObjective(), None),
    "prox": (LocalObjective(prox_mu=0.5, epochs=3, lr=1e-2), "anchor"),
    "distill": (LocalObjective(distill_alpha=0.3, temperature=3.0, lr=1e-2), "teacher"),
    "odd_batch": (LocalObjective(batch_size=7, epochs=1), None),
}


@pytest.mark.parametrize("name", OBJECTIVES)
def test_batched_equals_oracle(clients, name):
    obj, extra = OBJECTIVES[name]
    data, starts, others = clients
    kw = {extra + "s": others} if extra else {}
    out, stats = train_batched(starts, data, obj, [gen(c) for c in range(len(NS))], **kw)
    for c in range(len(NS)):
        ref, ref_stats = train_oracle(starts[c], *data[c], obj, gen(c), **({extra: others[c]} if extra else {}))
        for n in ref:
            assert torch.allclose(out[c][n], ref[n], atol=1e-5), (c, n)
        assert stats[c]["n_samples"] == ref_stats["n_samples"] == NS[c]
        assert stats[c]["steps"] == ref_stats["steps"] == obj.epochs * -(-NS[c] // obj.batch_size)
        assert stats[c]["flops"] == ref_stats["flops"]
        assert stats[c]["loss"] == pytest.approx(ref_stats["loss"], abs=1e-5)
        assert any(not torch.equal(out[c][n], starts[c][n]) for n in ref)  # it did train


def test_prox_defaults_to_start_as_anchor(clients):
    data, starts, _ = clients
    obj = LocalObjective(prox_mu=1.0, lr=1e-2)
    a, _ = train_batched(starts, data, obj, [gen(c) for c in range(len(NS))])
    b, _ = train_batched(starts, data, obj, [gen(c) for c in range(len(NS))], anchors=starts)
    assert all(torch.equal(a[c][n], b[c][n]) for c in range(len(NS)) for n in a[c])


def test_finished_clients_are_masked(clients):
    """A client whose steps run out is frozen: same result as training it alone, which stops after its last step."""
    data, starts, _ = clients
    obj = LocalObjective(lr=1e-2)
    together, _ = train_batched(starts, data, obj, [gen(c) for c in range(len(NS))])
    for c in (0, 3):  # the smallest clients: 2 steps vs 8 for the largest
        alone, _ = train_batched([starts[c]], [data[c]], obj, [gen(c)])
        for n in alone[0]:
            assert torch.allclose(together[c][n], alone[0][n], atol=1e-7, rtol=0)


def test_distillation_limits(clients):
    data, starts, others = clients
    gens = lambda: [gen(c) for c in range(len(NS))]  # noqa: E731
    plain, _ = train_batched(starts, data, LocalObjective(), gens())
    alpha1, _ = train_batched(starts, data, LocalObjective(distill_alpha=1.0), gens(), teachers=others)
    assert all(torch.allclose(plain[c][n], alpha1[c][n], atol=1e-6) for c in range(len(NS)) for n in plain[c])
    z = torch.randn(5, generator=gen(4))
    kl = sample_loss(z, torch.zeros(5), LocalObjective(distill_alpha=0.0), z_teacher=z)
    assert torch.allclose(kl, torch.zeros(5), atol=1e-6)  # student == teacher: no distillation loss


def test_deterministic_and_validated(clients):
    data, starts, _ = clients
    a, _ = train_batched(starts, data, LocalObjective(), [gen(c) for c in range(len(NS))])
    b, _ = train_batched(starts, data, LocalObjective(), [gen(c) for c in range(len(NS))])
    assert all(torch.equal(a[c][n], b[c][n]) for c in range(len(NS)) for n in a[c])
    with pytest.raises(ValueError, match="batch_size"):
        LocalObjective(batch_size=0)
    with pytest.raises(ValueError, match="teachers"):
        train_batched(starts, data, LocalObjective(distill_alpha=0.5), [gen(c) for c in range(len(NS))])
