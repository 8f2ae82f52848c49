"""Local training of FL clients: all selected clients at once (``train_batched``) and a plain reference
(``train_oracle``) that the tests hold it to.

The models are so small (~850 parameters) that a per-client loop is all Python and dispatch overhead, so
``train_batched`` stacks the K clients' parameters into one flat ``[K, P]`` buffer, runs batched matmuls, computes
the gradients with a hand-written backward for the MLP (fewer kernel launches than autograd; tested against it) and
applies Adam to the whole buffer. Clients with fewer samples run fewer steps; after their last step they are masked:
no parameter, moment or step-count change, exactly as if they had stopped.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

from simdt.fl.model import Params, flops_per_sample, forward, forward_stacked, n_layers, stack, unstack

BETA1, BETA2, EPS = 0.9, 0.999, 1e-8  # torch.optim.Adam defaults


@dataclass(frozen=True)
class LocalObjective:
    epochs: int = 2
    batch_size: int = 10
    lr: float = 1e-3
    prox_mu: float = 0.0  # FedProx: + (mu/2)||theta - anchor||^2 on every minibatch loss
    distill_alpha: float | None = None  # DTKD: alpha*BCE + (1-alpha)*T^2*KL(teacher || student); None = off
    temperature: float = 2.0

    def __post_init__(self):
        checks = {"epochs": self.epochs >= 1, "batch_size": self.batch_size >= 1, "lr": self.lr > 0,
                  "prox_mu": self.prox_mu >= 0, "temperature": self.temperature > 0,
                  "distill_alpha": self.distill_alpha is None or 0 <= self.distill_alpha <= 1}
        bad = [name for name, ok in checks.items() if not ok]
        if bad:
            raise ValueError(f"LocalObjective: invalid {', '.join(f'{b}={getattr(self, b)!r}' for b in bad)}")


def sample_loss(z: torch.Tensor, y: torch.Tensor, obj: LocalObjective, z_teacher: torch.Tensor | None = None):
    """Per-sample loss (no reduction) of logits ``z`` against labels ``y`` (and teacher logits when distilling).

    KL between Bernoulli outputs at temperature T is written as cross-entropy minus the teacher's entropy, both
    via ``binary_cross_entropy_with_logits`` (numerically stable, and zero when student == teacher).
    """
    bce = F.binary_cross_entropy_with_logits(z, y, reduction="none")
    if obj.distill_alpha is None:
        return bce
    t, a = obj.temperature, obj.distill_alpha
    p_t = torch.sigmoid(z_teacher / t)
    kl = F.binary_cross_entropy_with_logits(z / t, p_t, reduction="none") - F.binary_cross_entropy_with_logits(
        z_teacher / t, p_t, reduction="none"
    )
    return a * bce + (1 - a) * t * t * kl


def _prox_term(params, anchor: Params, mu: float) -> torch.Tensor:
    return 0.5 * mu * sum(((p - anchor[n]) ** 2).sum() for n, p in params)


def _stats(n: int, steps: int, loss: float, obj: LocalObjective, sizes, distill: bool) -> dict:
    # A distilling client also runs the teacher forward (2 x MACs = a third of the training FLOPs) per sample.
    per_sample = flops_per_sample(sizes) * (4 if distill else 3) // 3
    return {"n_samples": n, "steps": steps, "loss": loss, "flops": n * obj.epochs * per_sample}


def _sizes(params: Params) -> tuple[int, ...]:
    w = [params[f"fc{i}.weight"] for i in range(1, n_layers(params) + 1)]
    return (w[0].shape[-1], *(x.shape[-2] for x in w))


def train_oracle(start: Params, X, y, obj: LocalObjective, generator: torch.Generator,
                 anchor: Params | None = None, teacher: Params | None = None) -> tuple[Params, dict]:
    """Reference: ``nn.Sequential`` + ``torch.optim.Adam``, one client, minibatches from ``randperm`` per epoch."""
    sizes = _sizes(start)
    layers = []
    for i in range(len(sizes) - 1):
        layers += [torch.nn.Linear(sizes[i], sizes[i + 1]), torch.nn.ReLU()]
    net = torch.nn.Sequential(*layers[:-1])
    names = {f"{2 * i}.{k}": f"fc{i + 1}.{k}" for i in range(len(sizes) - 1) for k in ("weight", "bias")}
    net.load_state_dict({k: start[v] for k, v in names.items()})
    named = [(names[k], p) for k, p in net.named_parameters()]
    anchor = start if anchor is None else anchor
    anchor = {k: v.detach().clone() for k, v in anchor.items()}
    X, y = torch.as_tensor(X, dtype=torch.float32), torch.as_tensor(y, dtype=torch.float32)
    zt_all = None
    if obj.distill_alpha is not None:
        if teacher is None:
            raise ValueError("train_oracle: a distilling objective needs a teacher")
        with torch.no_grad():
            zt_all = forward(teacher, X)
    opt = torch.optim.Adam(net.parameters(), lr=obj.lr)
    n, steps = len(X), 0

    def loss_on(idx):
        zt = None if zt_all is None else zt_all[idx]
        loss = sample_loss(net(X[idx]).squeeze(-1), y[idx], obj, zt).mean()
        return loss + _prox_term(named, anchor, obj.prox_mu) if obj.prox_mu else loss

    for _ in range(obj.epochs):
        perm = torch.randperm(n, generator=generator)
        for s in range(0, n, obj.batch_size):
            opt.zero_grad()
            loss_on(perm[s : s + obj.batch_size]).backward()
            opt.step()
            steps += 1
    with torch.no_grad():
        final = float(loss_on(torch.arange(n)))
    out = {names[k]: v.detach().clone() for k, v in net.state_dict().items()}
    return out, _stats(n, steps, final, obj, sizes, obj.distill_alpha is not None)


class _Flat:
    """K models in one contiguous ``[K, P]`` buffer with per-layer views (weights, transposed weights, biases)."""

    def __init__(self, stacked: Params):
        k, self.L = next(iter(stacked.values())).shape[0], n_layers(stacked)
        # Layer order, weight then bias: the order in which _forward_backward concatenates the gradients.
        names = [f"fc{i}.{kind}" for i in range(1, self.L + 1) for kind in ("weight", "bias")]
        self.data = torch.cat([stacked[n].reshape(k, -1) for n in names], dim=1)
        self.views, off = {}, 0
        for n in names:
            size = stacked[n][0].numel()
            self.views[n] = self.data[:, off : off + size].view(stacked[n].shape)
            off += size
        self.W = [self.views[f"fc{i}.weight"] for i in range(1, self.L + 1)]
        self.Wt = [w.transpose(1, 2) for w in self.W]
        self.b = [self.views[f"fc{i}.bias"].unsqueeze(1) for i in range(1, self.L + 1)]


def _forward_backward(m: _Flat, x: torch.Tensor, dloss) -> torch.Tensor:
    """Flat gradient ``[K, P]`` of sum_k loss_k; ``dloss(z)`` gives d(sum_k loss_k)/dz per sample, ``z [K, B]``."""
    acts = [x]
    for i in range(m.L):
        h = torch.baddbmm(m.b[i], acts[-1], m.Wt[i])
        acts.append(h.relu_() if i < m.L - 1 else h)
    g = dloss(acts[-1].squeeze(-1)).unsqueeze(-1)  # [K, B, 1]
    grads = []
    for i in reversed(range(m.L)):
        grads += [g.sum(1), torch.bmm(g.transpose(1, 2), acts[i]).flatten(1)]  # bias, weight (reversed order)
        if i:
            g = torch.ops.aten.threshold_backward(torch.bmm(g, m.W[i]), acts[i], 0)
    return torch.cat(grads[::-1], dim=1)


def _batches(n: int, obj: LocalObjective, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """Sample indices ``[steps, B]`` and validity ``[steps, B]`` for one client, permutations drawn like the oracle."""
    b = obj.batch_size
    per_epoch = -(-n // b)
    idx = torch.zeros(obj.epochs, per_epoch * b, dtype=torch.long)
    valid = torch.zeros(obj.epochs, per_epoch * b, dtype=torch.bool)
    for e in range(obj.epochs):
        idx[e, :n] = torch.randperm(n, generator=generator)
        valid[e, :n] = True
    return idx.view(-1, b), valid.view(-1, b)


def train_batched(starts: list[Params], datasets: list[tuple[torch.Tensor, torch.Tensor]], obj: LocalObjective,
                  generators: list[torch.Generator], anchors: list[Params] | None = None,
                  teachers: list[Params] | None = None) -> tuple[list[Params], list[dict]]:
    """Train K clients together; client k's result equals ``train_oracle(starts[k], *datasets[k], ...)``.

    The minibatches of all steps are gathered up front (memory: epochs x total samples x d floats), so the Python
    loop runs over steps only. ``anchors`` default to ``starts`` (FedProx's anchor is the model received).
    """
    k = len(starts)
    if not (len(datasets) == len(generators) == k) or (obj.distill_alpha is not None and teachers is None):
        raise ValueError("train_batched: need one dataset and generator per start (and teachers when distilling)")
    sizes = _sizes(starts[0])
    xs = [torch.as_tensor(x, dtype=torch.float32) for x, _ in datasets]
    ys = [torch.as_tensor(y, dtype=torch.float32) for _, y in datasets]
    ns = [len(x) for x in xs]
    if min(ns) < 1:
        raise ValueError("train_batched: every client needs at least one sample")
    n_max = max(ns)
    X = torch.zeros(k, n_max, sizes[0])
    Y = torch.zeros(k, n_max)
    present = torch.zeros(k, n_max)
    for c in range(k):
        X[c, : ns[c]], Y[c, : ns[c]], present[c, : ns[c]] = xs[c], ys[c], 1.0

    per_client = [_batches(n, obj, g) for n, g in zip(ns, generators)]
    steps = [len(i) for i, _ in per_client]
    n_steps, b = max(steps), obj.batch_size
    idx = torch.zeros(n_steps, k, b, dtype=torch.long)
    valid = torch.zeros(n_steps, k, b)
    for c, (i, v) in enumerate(per_client):
        idx[: steps[c], c], valid[: steps[c], c] = i, v
    flat_idx = (idx + torch.arange(k).view(1, k, 1) * n_max).view(-1)  # index_select is far cheaper than X[rows, idx]
    gather = lambda t: t.reshape(k * n_max, -1).index_select(0, flat_idx).view(n_steps, k, b, -1)  # noqa: E731
    # Per-sample weight 1/batch size (0 for padding) turns the summed loss into each client's own batch mean.
    weight = valid / valid.sum(-1, keepdim=True).clamp(min=1)
    active = (valid.sum(-1, keepdim=True) > 0).float()  # [steps, K, 1]
    xb, yb = gather(X), gather(Y).squeeze(-1)

    m = _Flat(stack(starts))
    anchor = _Flat(stack(anchors if anchors is not None else starts)).data if obj.prox_mu else None
    zt = None
    if obj.distill_alpha is not None:
        with torch.no_grad():
            zt = forward_stacked(stack(teachers), X)
        pt_b = gather(torch.sigmoid(zt / obj.temperature)).squeeze(-1)
    a, t = obj.distill_alpha, obj.temperature

    exp_avg = torch.zeros_like(m.data)
    exp_avg_sq = torch.zeros_like(m.data)
    w1, w2 = (1 - BETA1) * active, (1 - BETA2) * active  # lerp weights: 0 leaves a finished client's moments as is
    # Adam as torch.optim.Adam does it. Every active client is at step s+1, so the bias corrections depend on s only;
    # sqrt(1 - beta2^t) is folded into step size and eps: m*lr/bc1 / (sqrt(v)/c + eps) = m*lr*c/bc1 / (sqrt(v) + eps*c).
    steps_t = torch.arange(1, n_steps + 1, dtype=torch.float64).view(-1, 1, 1)
    c2 = (1 - BETA2**steps_t).sqrt()
    step_size = (active * obj.lr * c2 / (1 - BETA1**steps_t)).float()
    eps_c = (EPS * c2).flatten().tolist()
    with torch.no_grad():
        for s, (x_s, y_s, w, w1_s, w2_s, step_s) in enumerate(zip(xb, yb, weight, w1, w2, step_size)):
            if a is None:
                dloss = lambda z: (torch.sigmoid(z) - y_s).mul_(w)  # noqa: E731 d BCE/dz, weighted
            else:
                p_s = pt_b[s]
                # d/dz of T^2 KL(p_t || sigmoid(z/T)) is T (sigmoid(z/T) - p_t)
                dloss = lambda z: (torch.sigmoid(z) - y_s).mul_(a).add_(  # noqa: E731
                    (torch.sigmoid(z / t) - p_s).mul_((1 - a) * t)).mul_(w)
            g = _forward_backward(m, x_s, dloss)
            if anchor is not None:
                g.add_(m.data - anchor, alpha=obj.prox_mu)
            exp_avg.lerp_(g, w1_s)
            exp_avg_sq.lerp_(g * g, w2_s)
            m.data.addcdiv_(exp_avg * step_s, exp_avg_sq.sqrt().add_(eps_c[s]), value=-1.0)

        z = forward_stacked(m.views, X)
        per_sample = sample_loss(z, Y, obj, zt) * present
        final = per_sample.sum(1) / present.sum(1)
        if anchor is not None:
            final += 0.5 * obj.prox_mu * ((m.data - anchor) ** 2).sum(1)
    out = unstack({n: v.clone() for n, v in m.views.items()})
    stats = [_stats(ns[c], steps[c], float(final[c]), obj, sizes, a is not None) for c in range(k)]
    return out, stats
