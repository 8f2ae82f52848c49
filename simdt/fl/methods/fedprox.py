"""FedProx (Li et al., 2020): FedAvg traffic and aggregation; local loss + (μ/2)‖θ − Θ‖²."""
from __future__ import annotations

from dataclasses import replace

from pydantic import Field

from simdt.fl.methods.base import ClientTask, MethodParams, Strategy
from simdt.fl.training import LocalObjective


class FedProxParams(MethodParams):
    mu: float = Field(0.01, ge=0, description="proximal coefficient μ")


class FedProx(Strategy):
    name = "fedprox"
    Params = FedProxParams

    @property
    def objective(self) -> LocalObjective:
        return replace(self.ctx.objective, prox_mu=self.params.mu)

    def client_task(self, rnd: int, client: str) -> ClientTask:
        return ClientTask(send=dict(self.global_params), start=self.global_params, anchor=self.global_params)
