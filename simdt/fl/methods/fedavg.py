"""FedAvg (McMahan et al., 2017): Θ ← Σ n_k Θ_k / Σ n_k; Θ down, Θ_k up. The base strategy is exactly this."""
from simdt.fl.methods.base import Strategy


class FedAvg(Strategy):
    name = "fedavg"
