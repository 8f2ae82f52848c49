"""DTML, digital-twin meta-learning: FedAvg gives Θ̄, the twin host adapts it on D_twin for τ inner steps
(Adam minibatches of B twin samples) to Θ̃ and returns the first-order (Reptile-style) meta-update
Θ ← Θ̄ + β(Θ̃ − Θ̄). Messages: FedAvg's, plus Θ̄ to the twin host and Θ back every round.

The paper does not give β or τ; the defaults (β = 0.5, τ = 20) are simdt's choice: half-way towards the
adapted model, and about one pass over B x τ = 200 twin samples per round.
Without the twin host (down, or an exchange lost) a round keeps Θ̄: it is a FedAvg round.
"""
from __future__ import annotations

import torch
from pydantic import Field

from simdt.fl.methods.base import MethodParams, Strategy, TwinWork
from simdt.fl.model import Params


class DTMLParams(MethodParams):
    beta: float = Field(0.5, gt=0, le=1, description="meta step size β")
    inner_steps: int = Field(20, ge=1, description="adaptation steps τ on D_twin (minibatches of B)")


def meta_step(bar: Params, tilde: Params, beta: float) -> Params:
    return {n: bar[n] + beta * (tilde[n] - bar[n]) for n in bar}


class DTML(Strategy):
    name = "dtml"
    Params = DTMLParams

    def after_round(self, rnd: int) -> TwinWork:
        bar = dict(self.global_params)

        def run():
            X, y = self.ctx.twin_data
            g = self.ctx.generator(f"twin/dtml/round/{rnd}/sample")
            pick = torch.randperm(len(X), generator=g)[: self.params.inner_steps * self.objective.batch_size]
            tilde, flops = self.train_on_twin(bar, 1, f"twin/dtml/round/{rnd}", data=(X[pick], y[pick]))
            return meta_step(bar, tilde, self.params.beta), flops

        return TwinWork(send=bar, run=run, apply=self._set_global)

    def _set_global(self, params: Params) -> None:
        self.global_params = params
