"""DTKD, digital-twin knowledge distillation: the twin host pre-trains a teacher on D_twin (teacher_epochs) before
round 1; each client trains on α·BCE + (1 − α)·T²·KL(teacher ‖ student) on its own data; FedAvg aggregation.

Messages: FedAvg's, plus the teacher, which travels with the model (names prefixed ``teacher/``) the first time a
client is selected; the client keeps it (two models in memory). A client counts as holding the teacher once its
update arrives (the download reached it); if it dropped out before that, the teacher is sent again.
The twin host is needed only for the teacher (setup); if that exchange fails the world retries it every round,
and until it arrives clients distil from the stand-in (the initial model): a twin-host outage at the start costs
DTKD its teacher for that long.
"""
from __future__ import annotations

from dataclasses import replace

from pydantic import Field

from simdt.fl.methods.base import ClientTask, MethodParams, Strategy, TwinWork
from simdt.fl.model import Params
from simdt.fl.training import LocalObjective


class DTKDParams(MethodParams):
    temperature: float = Field(2.0, gt=0, description="distillation temperature T")
    alpha: float = Field(0.5, ge=0, le=1, description="weight α of the hard-label BCE")
    teacher_epochs: int = Field(5, ge=1, description="teacher pre-training epochs on D_twin")


class DTKD(Strategy):
    name = "dtkd"
    Params = DTKDParams

    def __init__(self, params: DTKDParams, ctx):
        super().__init__(params, ctx)
        self.teacher: Params = dict(self.global_params)  # stands in until the twin host's teacher arrives
        self.holding: set[str] = set()  # clients that have the teacher

    @property
    def objective(self) -> LocalObjective:
        return replace(self.ctx.objective, distill_alpha=self.params.alpha, temperature=self.params.temperature)

    def setup(self) -> TwinWork:
        start = dict(self.global_params)
        # The teacher learns from D_twin's labels only: plain BCE, not the students' distilling objective.
        run = lambda: self.train_on_twin(start, self.params.teacher_epochs, "twin/dtkd/teacher",  # noqa: E731
                                         objective=self.ctx.objective)
        return TwinWork(send=start, run=run, apply=self._set_teacher)

    def client_task(self, rnd: int, client: str) -> ClientTask:
        send = dict(self.global_params)
        if client not in self.holding:
            send.update({f"teacher/{n}": t for n, t in self.teacher.items()})
        return ClientTask(send=send, start=self.global_params, teacher=self.teacher)

    def upload(self, rnd: int, client: str, trained: Params) -> dict:
        self.holding.add(client)
        return dict(trained)

    def _set_teacher(self, params: Params) -> None:
        self.teacher = params
