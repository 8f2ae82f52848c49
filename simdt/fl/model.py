"""The paper's MLP [d -> 16 -> 8 -> 1] as plain tensors, for one model or a stack of client models.

Parameters live in an ordered ``dict`` (``Params``) named like ``nn.Linear`` state (``fc1.weight``, ``fc1.bias``,
...), so methods can average, mix and exchange them by name or by layer without any ``nn.Module``. The output is a
logit; the loss (BCE with logits) is in ``training``.
"""
from __future__ import annotations

import math

import torch

Params = dict[str, torch.Tensor]


def mlp_sizes(d: int, hidden: tuple[int, ...] = (16, 8)) -> tuple[int, ...]:
    """Layer widths from input to the single logit, e.g. ``(43, 16, 8, 1)``."""
    return (int(d), *hidden, 1)


def init_params(sizes: tuple[int, ...], generator: torch.Generator) -> Params:
    """``nn.Linear``'s default init (weight and bias ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in))), drawn from ``generator``.

    Draw order is layer by layer, weight then bias, as ``nn.Linear.reset_parameters`` does.
    """
    params: Params = {}
    for i, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:]), start=1):
        bound = 1.0 / math.sqrt(fan_in)
        params[f"fc{i}.weight"] = torch.empty(fan_out, fan_in).uniform_(-bound, bound, generator=generator)
        params[f"fc{i}.bias"] = torch.empty(fan_out).uniform_(-bound, bound, generator=generator)
    return params


def n_layers(params: Params) -> int:
    return len(params) // 2


def forward(params: Params, x: torch.Tensor) -> torch.Tensor:
    """Logits ``[n]`` of one model on ``x [n, d]``."""
    h = x
    last = n_layers(params)
    for i in range(1, last + 1):
        h = torch.addmm(params[f"fc{i}.bias"], h, params[f"fc{i}.weight"].T)
        if i < last:
            h = h.relu()
    return h.squeeze(-1)


def stack(models: list[Params]) -> Params:
    """One tensor per name with a leading client dimension ``K``."""
    return {name: torch.stack([m[name] for m in models]) for name in models[0]}


def unstack(stacked: Params) -> list[Params]:
    """Inverse of ``stack``; the returned tensors are views of the stacked ones."""
    k = next(iter(stacked.values())).shape[0]
    return [{name: t[i] for name, t in stacked.items()} for i in range(k)]


def forward_stacked(stacked: Params, x: torch.Tensor) -> torch.Tensor:
    """Logits ``[K, n]`` of K stacked models, model k on ``x[k]`` (``x [K, n, d]``), as batched matmuls."""
    h = x
    last = n_layers(stacked)
    for i in range(1, last + 1):
        h = torch.baddbmm(stacked[f"fc{i}.bias"].unsqueeze(1), h, stacked[f"fc{i}.weight"].transpose(1, 2))
        if i < last:
            h = h.relu()
    return h.squeeze(-1)


def layer_names(params: Params) -> dict[str, list[str]]:
    """Tensor names grouped by layer, in order: ``{"fc1": ["fc1.weight", "fc1.bias"], ...}``."""
    layers: dict[str, list[str]] = {}
    for name in params:
        layers.setdefault(name.split(".", 1)[0], []).append(name)
    return layers


def macs_per_sample(sizes: tuple[int, ...]) -> int:
    """Multiply-accumulates of one forward pass (weights only)."""
    return sum(a * b for a, b in zip(sizes[:-1], sizes[1:]))


def flops_per_sample(sizes: tuple[int, ...]) -> int:
    """Training FLOPs per sample: forward (2 FLOPs per MAC) plus backward (~2x forward: gradients w.r.t. both the
    activations and the weights), i.e. 3 x 2 x MACs. Biases, activations, loss and optimizer are ignored: they are a
    few percent for this MLP and far below the uncertainty of any device's effective FLOP rate."""
    return 6 * macs_per_sample(sizes)
