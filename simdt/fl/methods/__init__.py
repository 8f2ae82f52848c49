"""FL methods by scenario name. A new method is one file with a Strategy subclass, listed here."""
from simdt.fl.methods.base import ClientTask, MethodContext, Strategy, TwinWork, Update
from simdt.fl.methods.cwa import CWA
from simdt.fl.methods.dtkd import DTKD
from simdt.fl.methods.dtml import DTML
from simdt.fl.methods.fedavg import FedAvg
from simdt.fl.methods.fedprox import FedProx
from simdt.fl.methods.fpf import FPF
from simdt.fl.methods.lpe import LPE

METHODS: dict[str, type[Strategy]] = {cls.name: cls for cls in (FedAvg, FedProx, DTML, FPF, LPE, CWA, DTKD)}

__all__ = ["METHODS", "ClientTask", "MethodContext", "Strategy", "TwinWork", "Update"]
