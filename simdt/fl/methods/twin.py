"""Settings shared by the methods that keep a twin model Θ_T at the twin host (FPF, LPE, CWA)."""
from pydantic import Field

from simdt.fl.methods.base import MethodParams


class TwinParams(MethodParams):
    # The paper names 5 pre-training epochs only for DTKD's teacher; simdt uses the same for every twin model.
    pretrain_epochs: int = Field(5, ge=1, description="epochs on D_twin before round 1 (setup)")
    # One pass over D_twin per exchange keeps the twin model moving without letting it drift far from the clients.
    twin_epochs: int = Field(1, ge=1, description="epochs on D_twin per exchange with the twin host")
