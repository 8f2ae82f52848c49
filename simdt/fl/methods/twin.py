"""What the methods that keep a twin model Θ_T at the twin host share: its settings (FPF, LPE, CWA) and, for
FPF and CWA, the exchange that retrains Θ_T from the current global model."""
from __future__ import annotations

from pydantic import Field

from simdt.fl.methods.base import MethodParams, Strategy, TwinWork
from simdt.fl.model import Params


class TwinParams(MethodParams):
    # The paper names 5 pre-training epochs only for DTKD's teacher; simdt uses the same for every twin model.
    pretrain_epochs: int = Field(5, ge=1, description="epochs on D_twin before round 1 (setup)")
    # One pass over D_twin per exchange keeps the twin model moving without letting it drift far from the clients.
    twin_epochs: int = Field(1, ge=1, description="epochs on D_twin per exchange with the twin host")


class TwinModelStrategy(Strategy):
    """Holds the server's copy of Θ_T; ``twin_sync`` sends Θ to the twin host, which trains Θ_T from it on
    D_twin and sends it back. ``setup`` pre-trains Θ_T before round 1."""

    def __init__(self, params: TwinParams, ctx):
        super().__init__(params, ctx)
        self.twin = dict(self.global_params)  # stands in until the twin host's model arrives

    def setup(self) -> TwinWork:
        return self.twin_sync(self.params.pretrain_epochs, f"twin/{self.name}/pretrain")

    def twin_sync(self, epochs: int, stream: str) -> TwinWork:
        start = dict(self.global_params)
        return TwinWork(send=start, run=lambda: self.train_on_twin(start, epochs, stream), apply=self._set_twin)

    def _set_twin(self, params: Params) -> None:
        self.twin = params
