"""CWA, cyclic weight adaptation: clients start from the global model Θ on even rounds and from the twin model
Θ_T on odd rounds; every round Θ ← FedAvg(Θ_k). After an even round the server sends Θ to the twin host, which
sets Θ_T ← Θ, continues on D_twin and sends Θ_T back for the next (odd) round; Θ_T is pre-trained before round 1.

Messages: Θ_T goes down on odd rounds (kind ``twin_model_down``), Θ on even rounds. DESIGN.md speaks of an exchange
with the twin host every round; after an odd round it would produce a Θ_T that the next (even) round never uses
and the round after overwrites, so simdt does not send it.
Without the twin host, odd rounds start from the last Θ_T the server holds (the initial model if even the
pre-training never arrived); the world retries a failed pre-training every round. CWA cannot run asynchronous
aggregation (``synchronous_only``): its alternation needs rounds in lockstep.
"""
from __future__ import annotations

from simdt.fl.methods.base import ClientTask, TwinWork
from simdt.fl.methods.twin import TwinModelStrategy, TwinParams


class CWA(TwinModelStrategy):
    name = "cwa"
    Params = TwinParams
    synchronous_only = ("its rounds alternate between clients starting from Θ and from Θ_T, with a twin exchange "
                        "in between; arrivals at any time have no round to alternate with")

    def client_task(self, rnd: int, client: str) -> ClientTask:
        if rnd % 2:
            return ClientTask(send=dict(self.twin), start=self.twin, kind="twin_model_down")
        return super().client_task(rnd, client)

    def after_round(self, rnd: int) -> TwinWork | None:
        return None if rnd % 2 else self.twin_sync(self.params.twin_epochs, f"twin/cwa/round/{rnd}")
