"""FPF, federated parameter fusion: Θ ← (1 − γ) Σ w_k Θ_k + γ Θ_T with w_k = softmax(s_k), where s_k is the mean
over layers of the RV coefficient between client k's and the twin's weight matrices.

The twin model Θ_T is pre-trained on D_twin before round 1; after every round the server sends Θ to the twin
host, which trains it on D_twin (twin_epochs) into the next Θ_T and sends that back (simdt's choice: the twin
follows the federation, so Θ_T and the clients stay comparable). The fusion uses the Θ_T the server holds,
i.e. the one from the previous round. Biases take part in the fusion but not in the similarity (the paper's
RV is defined on matrices); for a one-row output layer RV is always 1, which only shifts every s_k alike.
Without the twin host (down, or an exchange lost: ``faults.twin_host``, link outages) the fusion uses the last
Θ_T the server holds; if even the pre-training never arrived, that is the initial model, retried every round.
Runs asynchronously too: each aggregation fuses with the Θ_T the server holds.
"""
from __future__ import annotations

import torch
from pydantic import Field

from simdt.fl.methods.base import TwinWork, Update, weighted_mean
from simdt.fl.methods.twin import TwinModelStrategy, TwinParams
from simdt.fl.model import Params


class FPFParams(TwinParams):
    gamma: float = Field(0.35, ge=0, le=1, description="twin share γ of the fused model (paper's best 0.3-0.4)")


def rv_coefficient(a: torch.Tensor, b: torch.Tensor) -> float:
    """RV(A, B) = tr(AAᵀBBᵀ) / sqrt(tr((AAᵀ)²) tr((BBᵀ)²)) for matrices with the same number of rows."""
    aa, bb = a @ a.T, b @ b.T
    return float(torch.trace(aa @ bb) / torch.sqrt(torch.trace(aa @ aa) * torch.trace(bb @ bb)))


def similarity(client: Params, twin: Params) -> float:
    weights = [n for n, t in twin.items() if t.ndim == 2]
    return sum(rv_coefficient(client[n], twin[n]) for n in weights) / len(weights)


class FPF(TwinModelStrategy):
    name = "fpf"
    Params = FPFParams

    def aggregate(self, rnd: int, updates: list[Update]) -> None:
        if not updates:
            return
        s = torch.tensor([similarity(u.tensors, self.twin) for u in updates])
        w = torch.softmax(s, 0).tolist()
        fused = weighted_mean([u.tensors for u in updates], w)
        g = self.params.gamma
        self.global_params = {n: (1 - g) * fused[n] + g * self.twin[n] for n in self.global_params}

    def after_round(self, rnd: int) -> TwinWork:
        return self.twin_sync(self.params.twin_epochs, f"twin/fpf/round/{rnd}")
