"""LPE, layer-wise parameter exchange: the global model's lower layers come from the twin model, its upper
layers from the client aggregate; the twin host takes the aggregate's upper layers and keeps training.

Messages: the full Θ goes down, but clients upload **only the layers the server keeps from them** (the
bandwidth saving); the server sends those layers to the twin host and gets the twin's layers back.
``split`` counts the lower layers (default 1: fc1, 704 of the 841 parameters for BATADAL's 43 inputs, comes from
the twin). ``policy: twin_upper`` is the paper's reverse policy (twin gives the layers above the split, clients the
ones below), kept for the ablation the paper reports as failing (75.71 %).
Without the twin host the global model keeps the last lower layers the twin sent, and the twin host's own model
misses that round's upper layers; until the setup (pre-training) exchange has succeeded, which the world
retries every round, rounds have no twin step and the lower layers are the initial ones.
"""
from __future__ import annotations

from typing import Literal

from pydantic import Field

from simdt.fl.methods.base import Strategy, TwinWork
from simdt.fl.methods.twin import TwinParams
from simdt.fl.model import Params, layer_names


class LPEParams(TwinParams):
    policy: Literal["twin_lower", "twin_upper"] = Field("twin_lower", description="which side the twin provides")
    split: int = Field(1, ge=1, le=2, description="number of lower layers of the 3-layer MLP")


def layer_split(params: Params, split: int, policy: str) -> tuple[list[str], list[str]]:
    """(tensor names the twin provides, tensor names the clients provide)."""
    layers = list(layer_names(params).values())
    if not 1 <= split < len(layers):
        raise ValueError(f"lpe: split must be between 1 and {len(layers) - 1} for a {len(layers)}-layer model")
    lower = [n for names in layers[:split] for n in names]
    upper = [n for names in layers[split:] for n in names]
    return (lower, upper) if policy == "twin_lower" else (upper, lower)


class LPE(Strategy):
    name = "lpe"
    Params = LPEParams

    def __init__(self, params: LPEParams, ctx):
        super().__init__(params, ctx)
        self.from_twin, self.from_clients = layer_split(self.global_params, params.split, params.policy)
        self._twin_host_model: Params = {}  # state at the twin host, filled by setup()

    def setup(self) -> TwinWork:
        start = dict(self.global_params)

        def run():
            self._twin_host_model, flops = self.train_on_twin(start, self.params.pretrain_epochs, "twin/lpe/pretrain")
            return self._twin_layers(), flops

        return TwinWork(send=start, run=run, apply=self._merge)

    def upload(self, rnd: int, client: str, trained: Params) -> dict:
        return {n: trained[n] for n in self.from_clients}

    def after_round(self, rnd: int) -> TwinWork:
        upper = {n: self.global_params[n] for n in self.from_clients}

        def run():
            start = {**self._twin_host_model, **upper}
            self._twin_host_model, flops = self.train_on_twin(start, self.params.twin_epochs, f"twin/lpe/round/{rnd}")
            return self._twin_layers(), flops

        return TwinWork(send=upper, run=run, apply=self._merge)

    def _twin_layers(self) -> Params:
        return {n: self._twin_host_model[n] for n in self.from_twin}

    def _merge(self, tensors: Params) -> None:
        self.global_params = {**self.global_params, **tensors}
