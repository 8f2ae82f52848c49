"""How the server turns client arrivals into global models (``fl.aggregation``), for any method.

- ``sync``: rounds every ``fl.round_every``; the server invites k clients (``client_fraction`` of the sites) and
  waits for all of them or the round deadline. With ``over_selection: x`` it invites ceil(k (1 + x)) and keeps
  the first k updates: the rest are cancelled (their bytes so far are lost bytes).
- ``fedbuff`` (Nguyen et al., 2022): ``concurrency`` clients train at all times; every ``buffer`` arrivals the
  server aggregates. An update that started from global version v and arrives at version t has staleness
  τ = t − v >= 0; it enters as Θ + s(τ)(Θ_k − Θ_v), its change re-based on the current model and weighted by
  s(τ) = (1 + τ)^-a (a = ``staleness_exponent``; a = 0.5 is FedBuff's 1/sqrt(1 + τ)), and the method then
  aggregates these as it would a round's updates.
- ``fedasync`` (Xie et al., 2019): every arrival is aggregated by the method alone, and the new model mixed in:
  Θ ← (1 − α s(τ)) Θ + α s(τ) Θ_new.
In both asynchronous modes a "round" is one aggregation: the server also closes it when the round deadline
passes first (with what has arrived, possibly nothing), so a run always ends; ``round_every`` is not used, a
freed slot is filled at once from the reachable idle sites, and a client waits for its update to be merged
before it is invited again (so no update of one client enters an aggregation twice). The twin host's step
(``after_round``) follows every aggregation. A method that needs rounds in lockstep says so in
``Strategy.synchronous_only`` (CWA) and is refused in the asynchronous modes.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import simpy

from simdt.scenario import ScenarioError, _line_of

if TYPE_CHECKING:  # validation (check_aggregation) should not import torch
    from simdt.fl.methods.base import Update


@dataclass
class Arrival:
    update: Update         # the tensors the server reconstructed
    base: dict             # the model the client started from (as it received it)
    version: int           # the global model version it started from
    t_sent: float          # when the server invited it
    t_arrived: float


def staleness_weight(tau: int, exponent: float) -> float:
    if tau < 0:
        raise ValueError(f"staleness must be >= 0, got {tau}")
    return (1.0 + tau) ** -exponent


def rebase(arrival: Arrival, current: dict, weight: float) -> Update:
    """Θ + w (Θ_k − Θ_base) for every tensor the client uploaded (FedBuff's weighted update on today's model)."""
    from simdt.fl.methods.base import Update

    u = arrival.update
    tensors = {n: current[n] + weight * (t - arrival.base[n]) if n in arrival.base else t for n, t in u.tensors.items()}
    return Update(u.client, tensors, u.n_samples)


class Synchronous:
    def __init__(self, spec):
        self.over_selection = spec.over_selection

    def run(self, w):
        env, fl = w.env, w.sc.fl
        k = w.cohort
        for rnd in range(1, fl.rounds + 1):
            yield from w.server_up()
            w.current_round, t_start = rnd, env.now
            reachable, eligible = w.candidates(rnd)
            n = min(len(eligible), math.ceil(k * (1 + self.over_selection)))
            chosen = sorted(w.select_rng.choice(eligible, size=n, replace=False).tolist()) if n else []
            arrivals: list[Arrival] = []
            enough = env.event()

            def done(client, arrival):
                if arrival is None:
                    return
                if self.over_selection and len(arrivals) == k:  # arrived in the instant the k-th did
                    w.unused(arrival, "surplus")
                    return
                arrivals.append(arrival)
                if self.over_selection and len(arrivals) == k:
                    enough.succeed()

            procs = list(w.dispatch(rnd, chosen, rnd - 1, done).values())
            if procs:
                yield simpy.AllOf(env, procs) | env.timeout(fl.round_deadline) | enough
            for proc in procs:  # stragglers (the server stops waiting) or the surplus of an over-selection
                if proc.is_alive:
                    proc.interrupt("surplus" if enough.triggered else "late")
            yield from w.server_up()
            w.strategy.aggregate(rnd, [a.update for a in arrivals])
            yield from w.close_round(rnd, t_start, len(reachable), len(procs), arrivals, rnd - 1)
            next_start = t_start + fl.round_every
            if env.now < next_start:
                yield env.timeout(next_start - env.now)


class Asynchronous:
    def __init__(self, spec):
        self.mix = spec.mode == "fedasync"
        self.buffer = 1 if self.mix else spec.buffer
        self.concurrency, self.exponent, self.alpha = spec.concurrency, spec.staleness_exponent, spec.alpha

    def run(self, w):
        env, fl = w.env, w.sc.fl
        slots = self.concurrency or w.cohort
        inbox = simpy.Store(env)
        busy: set[str] = set()   # invited, or waiting in the buffer
        in_flight, buffer, version, dispatched = 0, [], 0, 0
        pending = None
        rnd, t_start = 1, env.now
        while rnd <= fl.rounds:
            yield from w.server_up()
            w.current_round = rnd
            reachable, eligible = w.candidates(rnd)
            idle = [c for c in eligible if c not in busy]
            n = min(slots - in_flight, len(idle))
            if n > 0:
                picks = sorted(w.select_rng.choice(idle, size=n, replace=False).tolist())
                jobs = w.dispatch(rnd, picks, version, lambda c, a: inbox.put((c, a)))
                busy |= set(jobs)
                in_flight += len(jobs)
                dispatched += len(jobs)
            pending = pending or inbox.get()
            left = t_start + fl.round_deadline - env.now
            if left > 0:
                yield pending | env.timeout(left)
            if pending.triggered:
                client, arrival = pending.value
                pending = None
                in_flight -= 1
                if arrival is None:
                    busy.discard(client)
                else:
                    buffer.append(arrival)
                if len(buffer) < self.buffer and env.now < t_start + fl.round_deadline:
                    continue
            yield from w.server_up()
            self.aggregate(w, rnd, buffer, version)
            yield from w.close_round(rnd, t_start, len(reachable), dispatched, buffer, version)
            busy -= {a.update.client for a in buffer}
            version += bool(buffer)  # a new version: an aggregation that merged something
            buffer, dispatched, rnd, t_start = [], 0, rnd + 1, env.now

    def aggregate(self, w, rnd: int, buffer: list[Arrival], version: int) -> None:
        strategy = w.strategy
        weights = [staleness_weight(version - a.version, self.exponent) for a in buffer]
        if not buffer:
            strategy.aggregate(rnd, [])
        elif self.mix:
            old = dict(strategy.global_params)
            strategy.aggregate(rnd, [a.update for a in buffer])
            a = self.alpha * weights[0]
            strategy.global_params = {n: (1 - a) * old[n] + a * t for n, t in strategy.global_params.items()}
        else:
            current = strategy.global_params
            strategy.aggregate(rnd, [rebase(x, current, s) for x, s in zip(buffer, weights)])


def server_mode(spec):
    return Synchronous(spec) if spec.mode == "sync" else Asynchronous(spec)


def check_aggregation(scenario, methods, label: str, node) -> None:
    """Asynchronous modes: methods that can run them, enough sites for the concurrency, a buffer that can fill."""
    spec, sites = scenario.fl.aggregation, scenario.sites.count
    if spec.mode == "sync":
        return
    from simdt.fl.methods import METHODS

    for name, _ in methods:
        reason = METHODS[name].synchronous_only
        if reason:
            raise ScenarioError(f"{name} cannot run {spec.mode}: {reason}", file=label,
                                line=_line_of(node, ("fl", "aggregation", "mode")), field="fl.aggregation.mode")
    slots = spec.concurrency or max(scenario.fl.min_clients, int(round(scenario.fl.client_fraction * sites)))
    if slots > sites:
        raise ScenarioError(f"concurrency {slots} exceeds sites.count ({sites})", file=label,
                            line=_line_of(node, ("fl", "aggregation", "concurrency")), field="fl.aggregation.concurrency")
    if spec.mode == "fedbuff" and spec.buffer > slots:
        raise ScenarioError(f"a buffer of {spec.buffer} never fills with {slots} clients at a time", file=label,
                            line=_line_of(node, ("fl", "aggregation", "buffer")), field="fl.aggregation.buffer")
