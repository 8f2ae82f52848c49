"""FL methods by scenario name. A new method is one file with a Strategy subclass, listed here."""
from simdt.fl.methods.base import ClientTask, MethodContext, Strategy, TwinWork, Update
from simdt.fl.methods.fedavg import FedAvg
from simdt.fl.methods.fedprox import FedProx

METHODS: dict[str, type[Strategy]] = {cls.name: cls for cls in (FedAvg, FedProx)}

__all__ = ["METHODS", "ClientTask", "MethodContext", "Strategy", "TwinWork", "Update"]
