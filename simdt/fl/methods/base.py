"""The strategy interface every FL method implements.

A strategy says what a round sends (who -> whom, which tensors), how updates are aggregated and
what the twin host computes. It never touches links or time: the world sends the tensors it
returns, charges their bytes and durations, and calls back when they arrive (cf. Flower's
``Strategy``: configure / aggregate, never transport).

Round protocol, driven by the world:
1. ``setup()`` once before round 1 -> optional :class:`TwinWork` (e.g. pre-train the twin model);
2. per selected client ``client_task(rnd, client)`` -> what crosses the link down and how to train;
3. per finished client ``upload(rnd, client, trained)`` -> the tensors it sends back;
4. ``aggregate(rnd, updates)`` with the updates that arrived before the round deadline;
5. ``after_round(rnd)`` -> optional :class:`TwinWork` (exchanges with the twin host).
``global_params`` is the model the server evaluates after each round.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, ClassVar

import torch
from pydantic import BaseModel, ConfigDict

from simdt.fl.model import Params, init_params
from simdt.fl.training import LocalObjective, train_batched


class MethodParams(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


@dataclass
class ClientTask:
    send: dict[str, torch.Tensor]         # tensors that cross the link to the client
    start: Params                         # model the client trains from
    anchor: Params | None = None          # FedProx anchor
    teacher: Params | None = None         # distillation teacher (already held by the client)
    kind: str = "model_down"


@dataclass
class Update:
    client: str
    tensors: dict[str, torch.Tensor]      # what the client uploaded (only these reach the server)
    n_samples: int


@dataclass
class TwinWork:
    """Work at the twin host: ``send`` travels server -> twin host, ``run`` computes there and returns
    (tensors sent back, FLOPs charged to the twin host's device), ``apply`` receives them at the server."""

    send: dict[str, torch.Tensor]
    run: Callable[[], tuple[dict[str, torch.Tensor], float]]
    apply: Callable[[dict[str, torch.Tensor]], None]


@dataclass(frozen=True)
class MethodContext:
    sizes: tuple[int, ...]                          # MLP layer sizes
    objective: LocalObjective                       # the scenario's local training settings
    twin_data: tuple[torch.Tensor, torch.Tensor]    # D_twin features and labels, at the twin host
    generator: Callable[[str], torch.Generator]     # torch streams by component name


class Strategy:
    name: ClassVar[str]
    Params: ClassVar[type[MethodParams]] = MethodParams
    synchronous_only: ClassVar[str] = ""  # why the method cannot run asynchronous aggregation, if it cannot

    def __init__(self, params: MethodParams, ctx: MethodContext):
        self.params = params
        self.ctx = ctx
        self.global_params: Params = init_params(ctx.sizes, ctx.generator("model/init"))

    @property
    def objective(self) -> LocalObjective:
        return self.ctx.objective

    def setup(self) -> TwinWork | None:
        return None

    def client_task(self, rnd: int, client: str) -> ClientTask:
        return ClientTask(send=dict(self.global_params), start=self.global_params)

    def upload(self, rnd: int, client: str, trained: Params) -> dict[str, torch.Tensor]:
        return dict(trained)

    def aggregate(self, rnd: int, updates: list[Update]) -> None:
        if updates:
            merged = weighted_mean([u.tensors for u in updates], [u.n_samples for u in updates])
            self.global_params = {**self.global_params, **merged}

    def after_round(self, rnd: int) -> TwinWork | None:
        return None

    def train_on_twin(self, start: Params, epochs: int, stream: str, objective: LocalObjective | None = None,
                      teacher: Params | None = None, data: tuple[torch.Tensor, torch.Tensor] | None = None
                      ) -> tuple[Params, float]:
        """Train one model on D_twin (or ``data``, a part of it) at the twin host; returns it and the FLOPs spent."""
        obj = objective or self.objective
        obj = LocalObjective(**{**obj.__dict__, "epochs": epochs})
        (trained,), (stats,) = train_batched([start], [data or self.ctx.twin_data], obj, [self.ctx.generator(stream)],
                                             teachers=[teacher] if teacher is not None else None)
        return trained, stats["flops"]


def weighted_mean(tensors: list[dict[str, torch.Tensor]], weights: list[float]) -> dict[str, torch.Tensor]:
    """Σ w_k x_k / Σ w_k per tensor name, over the names every update carries."""
    total = float(sum(weights))
    if total <= 0:
        raise ValueError("weights must sum to a positive number")
    names = [n for n in tensors[0] if all(n in t for t in tensors)]
    return {n: sum(w * t[n] for w, t in zip(weights, tensors)) / total for n in names}
