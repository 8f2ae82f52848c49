"""The world on one SimPy clock: sites recording their assets, the FL server and clients, the
twin host, and every message crossing the simulated network.

One :class:`World` simulates one method; every method of a scenario runs in its own world built
from the same seed, so all methods meet the same assets, faults and outages. The world holds the clients'
work and the messages; what varies around it lives in its own module: the server mode that drives rounds
(``simdt.fl.server_modes``), update compression (``simdt.fl.compression``), twin-gated participation
(``simdt.fl.gating``), each site's device and link (``simdt.fleet``) and faults (``simdt.faults``).
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass

import simpy
import torch

from simdt.data import DataSource
from simdt.devices import DEVICES
from simdt.eventlog import EventLog
from simdt.faults import Faults
from simdt.fl.compression import Compression, Encoded
from simdt.fl.gating import TELEMETRY, EdgeTwins, telemetry
from simdt.fl.messages import Message, payload_bytes
from simdt.fl.methods import METHODS, ClientTask, MethodContext, TwinWork, Update
from simdt.fl.server_modes import Arrival, server_mode
from simdt.fleet import site_profiles
from simdt.fl.model import Params, forward, mlp_sizes
from simdt.fl.training import LocalObjective, train_batched
from simdt.metrics import detection_metrics
from simdt.network import LinkConfig, Network, ideal_transfer_time, star_topology
from simdt.network.availability import load_trace
from simdt.network.burstloss import GilbertElliott
from simdt.rng import Streams
from simdt.network.topology_file import find_topology, load_topology
from simdt.scenario import LinkProfile, LinkRef, Resolved, _link_ref, _resolve_link

SERVER, GATEWAY, TWIN_HOST = "server", "gateway", "twin_host"


def _link_kwargs(p: LinkProfile) -> dict:
    return dict(up_bps=p.up, down_bps=p.down, delay_s=p.delay, loss=p.loss, mtbf_s=p.mtbf, mttr_s=p.mttr,
                queue_packets=p.queue_packets,
                queue_discipline=p.queue_discipline, window_period_s=p.window_period, window_open_s=p.window_open,
                window_offset_s=p.window_offset,
                trace_up_bps=load_trace(p.trace_up) if p.trace_up else None,
                trace_down_bps=load_trace(p.trace_down) if p.trace_down else None, jitter_s=p.jitter,
                bursty_loss=GilbertElliott(p.bursty_loss.p, p.bursty_loss.r, p.bursty_loss.slot,
                                           p.bursty_loss.loss_bad, p.bursty_loss.loss_good) if p.bursty_loss else None)


def _topology_link(resolved: Resolved, ref, where: str) -> dict:
    """A link of a topology file, resolved against the scenario's catalog like a scenario's own links."""
    return _link_kwargs(_resolve_link(LinkRef.model_validate(_link_ref(ref)), "link", where, None, [resolved.catalog]))


def site_names(sc) -> list[str]:
    return sc.sites.names()


@dataclass
class Job:
    """One client's part in a round: what it was sent, what it trained, and what it is doing now."""

    rnd: int
    client: str
    version: int           # global model version it starts from
    down: Encoded          # the message it receives
    task: ClientTask       # as the client sees it (decoded models)
    trained: Params
    stats: dict
    t_sent: float
    phase: str = "download"


class World:
    def __init__(self, resolved: Resolved, method: str, data: DataSource, log: EventLog, on_round=None):
        sc = resolved.scenario
        self.sc, self.method, self.log, self.on_round = sc, method, log, on_round
        self.env = simpy.Environment()
        self.streams = Streams(sc.seed)
        self.sites = site_names(sc)
        self.profiles = site_profiles(resolved, self.sites, self.streams)

        if sc.network.topology:
            path = find_topology(resolved.catalog / "networks" / "topologies", sc.network.topology)
            links = load_topology(path, self.sites, SERVER, lambda ref, where: _topology_link(resolved, ref, where))
        else:
            kwargs = {}  # sites of one fleet group share a profile: read its traces once
            access = {s: kwargs.setdefault(id(p.uplink), _link_kwargs(p.uplink))
                      for s, p in self.profiles.items()}
            links = star_topology(self.sites, access=access,
                                  backhaul=_link_kwargs(resolved.backhaul), server=SERVER, gateway=GATEWAY)
        self.twin_node = SERVER
        if sc.twin_host.placement == "remote":
            links.append(LinkConfig(name="twin-host-link", a=TWIN_HOST, b=GATEWAY, **_link_kwargs(resolved.twin_link)))
            self.twin_node = TWIN_HOST
        net = sc.network
        self.network = Network(self.env, links, self.streams.numpy, mss=net.mss, header_bytes=net.header_bytes,
                               init_cwnd=net.init_cwnd, transfer_timeout_s=net.transfer_timeout, tls=net.tls,
                               on_outage=net.on_outage, rto_backoff=net.rto_backoff, retries=net.retries,
                               on_record=lambda rec: log.add_transfer(method, rec))

        self.data = data
        self.eval_X = torch.as_tensor(self.data.eval_set[0])
        self.eval_y = self.data.eval_set[1]
        twin_data = tuple(torch.as_tensor(a, dtype=torch.float32) for a in self.data.twin_set)

        fl = sc.fl
        params = dict(resolved.methods)[method]
        ctx = MethodContext(
            sizes=tuple(mlp_sizes(len(self.data.feature_names), tuple(fl.hidden))),
            objective=LocalObjective(epochs=fl.local_epochs, batch_size=fl.batch_size, lr=fl.lr),
            twin_data=twin_data,
            generator=self.streams.torch,
        )
        self.strategy = METHODS[method](params, ctx)
        self.select_rng = self.streams.numpy("server/selection")
        self.devices = {s: DEVICES[p.device] for s, p in self.profiles.items()}
        self.twin_device = DEVICES[sc.twin_host.device]
        self.cohort = max(fl.min_clients, int(round(fl.client_fraction * len(self.sites))))
        self.current_round = 0
        self.compression = Compression(fl.compression, self.streams)
        self.gate = EdgeTwins(fl.gating, data, self.sites) if fl.gating else None
        self._decided: tuple[int, dict[str, bool]] = (0, {})  # a round and its sites' gate decisions
        self._gated: dict[str, float] = {}   # sites gated out of the current round -> when they decided
        self._jobs: dict[str, tuple[simpy.Process, Job]] = {}
        self._sending: dict[simpy.Process, None] = {}
        self._check_feasibility()
        server_links = [d["link"].name for _, _, d in self.network.graph.edges(SERVER, data=True)]
        self.faults = Faults(self, server_links, ["twin-host-link"] if self.twin_node == TWIN_HOST else [],
                             first_link=lambda site: self.network.route(site, SERVER)[0][0].name)
        if self.gate is not None:
            self._start_telemetry()
        self.mode = server_mode(fl.aggregation)
        self.server = self.env.process(self._server())

    def _start_telemetry(self) -> None:
        every = self.sc.fl.gating.telemetry_every
        for s in self.sites:
            self.env.process(telemetry(self.env, s, self.sc.fl.start_after, every, lambda s=s: self.faults.devices[s].up,
                                       lambda s=s: self._send(TELEMETRY, s, self.twin_node, {"state": self.gate.state}, -1)))

    def _check_feasibility(self) -> None:
        """Say plainly when a site cannot even exchange the model (down, then the same size up) within a round
        deadline on an idle network (e.g. LoRaWAN): its rounds time out rather than hang, but the results
        would look like a mystery. Compressed updates may be smaller: this is an estimate, and says so."""
        net, deadline = self.sc.network, self.sc.fl.round_deadline
        payload = payload_bytes(dict(self.strategy.global_params))
        times: dict[tuple, float] = {}
        late = []
        for site in self.sites:
            # site -> server first: the router then roots one shortest-path tree at the server and serves
            # both directions from it (asked server -> site first, it builds a tree per site: O(N^2))
            up = min(self.network.route(site, SERVER), key=lambda h: h[0].capacity_bps(h[1]))
            down = min(self.network.route(SERVER, site), key=lambda h: h[0].capacity_bps(h[1]))
            hops = [down, up]
            key = (*(link.capacity_bps(d) for link, d in hops), self.network.rtt_s(SERVER, site))
            if key not in times:
                times[key] = sum(ideal_transfer_time(payload, bps, key[2], mss=net.mss, init_cwnd=net.init_cwnd,
                                                     header_bytes=net.header_bytes, tls=net.tls) for bps in key[:2])
            if times[key] > deadline:
                late.append((times[key], hops[1][0].name, min(key[:2])))
        if late:
            t, name, bps = max(late)
            warnings.warn(f"{len(late)} of {len(self.sites)} sites cannot exchange the {payload} B model within the "
                          f"round deadline of {deadline:g} s: down and up take at least {t:.0f} s on an idle "
                          f"network (bottleneck {name}, {bps:g} bit/s)", stacklevel=2)

    def run(self) -> None:
        # Outage processes never end; the run ends when the server has finished its rounds. Work still under
        # way then (asynchronous clients, telemetry) is cancelled, so every byte sent is in the log.
        self.env.run(until=self.server)
        for procs in ([p for p, _ in self._jobs.values()], list(self._sending)):
            alive = [p for p in procs if p.is_alive]
            for proc in alive:
                proc.interrupt("unfinished")
            if alive:
                self.env.run(until=simpy.AllOf(self.env, alive))
        for t, link, up in self.network.link_events:
            self.log.add_link_state(self.method, t, link, up)

    def _reachable(self, site: str) -> bool:
        """The server knows (from heartbeats) which sites are running and have a working path right now."""
        return self.faults.devices[site].up and all(self.network.is_up(link.name) for link, _ in self.network.route(site, SERVER))

    # --- messages -------------------------------------------------------------------------------

    def _send(self, kind: str, src: str, dst: str, tensors: dict, rnd: int, dtype: str = "float32", codec: str = "none"):
        msg = Message.make(kind, src, dst, tensors, rnd, dtype)
        transfer = self.network.transfer(src, dst, msg.payload_bytes, kind, round=rnd, codec=codec)
        self._sending[transfer] = None
        transfer.callbacks.append(lambda _: self._sending.pop(transfer, None))
        return transfer

    # --- what the server modes (simdt.fl.server_modes) drive ------------------------------------

    def _server(self):
        fl = self.sc.fl
        # The twin host prepares (e.g. pre-trains) while the sites record; round 1 still starts at start_after.
        self._setup = self.strategy.setup()
        yield from self._twin_setup(0)
        yield self.env.timeout(max(0.0, fl.start_after - self.env.now))
        yield from self.mode.run(self)

    def server_up(self):
        while not self.faults.server.up:
            yield self.faults.server.back()

    def candidates(self, rnd: int) -> tuple[list[str], list[str]]:
        """(reachable sites, those of them that take part); with gating at join, each reachable site's edge
        twin decides, and its work is charged to the site's device."""
        reachable = [s for s in self.sites if self._reachable(s)]
        if self.gate is None or self.sc.fl.gating.at != "join":
            return reachable, reachable
        if self._decided[0] != rnd:  # an edge twin decides once per round (asynchronous modes ask often)
            self._decided = (rnd, {})
        decided = self._decided[1]
        for site in reachable:
            if site not in decided:
                decided[site] = self._gate(rnd, site)
                if not decided[site]:
                    self._gated[site] = self.env.now
        return reachable, [s for s in reachable if decided[s]]

    def _gate(self, rnd: int, site: str) -> bool:
        join, flops = self.gate.decide(rnd, site, self.env.now)
        t0 = self.env.now
        self.log.add_compute(self.method, rnd, site, "edge_twin", flops, t0, t0 + self.devices[site].seconds(flops), 0)
        return join

    def dispatch(self, rnd: int, clients: list[str], version: int, on_done) -> dict[str, simpy.Process]:
        """Start the invited clients that have data: each receives its task's message, trains, uploads, and
        ``on_done(client, Arrival | None)`` tells the server how it ended."""
        data = {c: self.data.client_dataset(c, self.env.now) for c in clients}
        clients = [c for c in clients if len(data[c][1]) > 0]
        if not clients:
            return {}
        sent = {c: self.compression.downlink(self.strategy.client_task(rnd, c)) for c in clients}
        tasks = {c: task for c, (_, task) in sent.items()}
        trained, stats = self._train(rnd, clients, tasks, data)
        jobs = {}
        for c, p, st in zip(clients, trained, stats):
            job = Job(rnd, c, version, sent[c][0], tasks[c], p, st, self.env.now)
            jobs[c] = self.env.process(self._client(job, on_done))
            self._jobs[c] = (jobs[c], job)
        return jobs

    def _train(self, rnd: int, chosen: list[str], tasks: dict[str, ClientTask], data: dict):
        """All invited clients train together in one batched computation (their results depend only on
        the model and data they start from); the world then charges each its own simulated time."""
        datasets = [(torch.as_tensor(data[c][0]), torch.as_tensor(data[c][1], dtype=torch.float32)) for c in chosen]
        anchors = [tasks[c].anchor for c in chosen] if any(tasks[c].anchor is not None for c in chosen) else None
        teachers = [tasks[c].teacher for c in chosen] if any(tasks[c].teacher is not None for c in chosen) else None
        return train_batched(
            [tasks[c].start for c in chosen], datasets, self.strategy.objective,
            [self.streams.torch(f"client/{c}/round/{rnd}") for c in chosen], anchors=anchors, teachers=teachers,
        )

    def _client(self, job: Job, on_done):
        c, rnd, arrival, outcome, transfer = job.client, job.rnd, None, "dropped", None
        try:
            transfer = self._send(job.task.kind, SERVER, c, job.down.tensors, rnd, job.down.dtype, job.down.codec)
            record = yield transfer
            if record.outcome != "delivered":
                return
            job.phase, transfer = "training", None
            t0 = self.env.now
            yield self.env.timeout(self.devices[c].seconds(job.stats["flops"]))
            self.log.add_compute(self.method, rnd, c, "local_train", job.stats["flops"], t0, self.env.now, job.stats["n_samples"])
            tensors = self.strategy.upload(rnd, c, job.trained)
            if self.gate is not None and self.sc.fl.gating.at == "upload" and not self._gate(rnd, c):
                job.phase, outcome = "skip notice", "gated_out"
                transfer = self._send("skip_notice", c, SERVER, {}, rnd)
                yield transfer
                return
            up, tensors = self.compression.uplink(c, tensors, job.task.start, rnd)
            job.phase = "upload"
            transfer = self._send("update_up", c, SERVER, up.tensors, rnd, up.dtype, up.codec)
            record = yield transfer
            if record.outcome == "delivered":
                outcome = None
                arrival = Arrival(Update(c, tensors, job.stats["n_samples"]), job.task.start, job.version,
                                  job.t_sent, self.env.now)
        except simpy.Interrupt as stop:
            if transfer is not None and transfer.is_alive:
                transfer.interrupt("cancelled by sender")
            outcome = None if stop.cause == "crash" else stop.cause  # site_down logs the crash itself
        finally:
            self._jobs.pop(c, None)
            if outcome is not None:
                self.log.add_participation(self.method, rnd, c, outcome, job.phase, job.t_sent, self.env.now)
            on_done(c, arrival)

    def site_down(self, site: str, cause: str, until: float) -> None:
        """A site's device stopped (crash, blackout): its job is lost with its round, and so is its residual."""
        proc, job = self._jobs.get(site, (None, None))
        rnd, phase = (job.rnd, job.phase) if job else (self.current_round, "idle")
        if proc is not None:
            proc.interrupt("crash")
        self.compression.forget(site)
        self.log.add_participation(self.method, rnd, site, "crash", f"{cause} while {phase}", self.env.now, until)

    def unused(self, arrival: Arrival, why: str) -> None:
        """An update that arrived but is not aggregated."""
        a = arrival
        self.log.add_participation(self.method, self.current_round, a.update.client, why, "arrived", a.t_sent, a.t_arrived)

    def close_round(self, rnd: int, t_start: float, reachable: int, selected: int, arrivals: list[Arrival], version: int):
        """After the mode aggregated: log the merged updates and the gated-out sites, run the twin host's step, log the round."""
        for a in arrivals:
            c = a.update.client
            self.log.add_participation(self.method, rnd, c, "arrived", "", a.t_sent, a.t_arrived,
                                       staleness=version - a.version, state_bytes=self.compression.memory_bytes(c))
            if self.gate is not None:
                self.gate.contributed(c, rnd)
        if self._setup is not None:  # until the setup exchange succeeds, it is the round's twin step
            yield from self._twin_setup(rnd)
        else:
            work = self.strategy.after_round(rnd)
            if work is not None:
                yield from self._twin_exchange(work, rnd)
        for site, t in self._gated.items():
            self.log.add_participation(self.method, rnd, site, "gated_out", "join", t, self.env.now)
        self._gated = {}
        self._log_round(rnd, t_start, reachable, selected, len(arrivals))

    def _twin_setup(self, rnd: int):
        if self._setup is not None and (yield from self._twin_exchange(self._setup, rnd)):
            self._setup = None

    def _twin_exchange(self, work: TwinWork, rnd: int):
        """Server -> twin host, compute there, twin host -> server; free when co-located. Returns whether the
        result arrived: if the twin host is down, goes down while computing, or a message fails, the method
        keeps what it had (its fallback)."""
        outages = self.faults.twin_outages
        if not self.faults.twin_host.up:
            return self._fallback(rnd, "twin host down")
        record = yield self._send("twin_sync", SERVER, self.twin_node, work.send, rnd)
        if record.outcome != "delivered":
            return self._fallback(rnd, "sync to the twin host failed")
        result, flops = work.run()
        t0 = self.env.now
        yield self.env.timeout(self.twin_device.seconds(flops))
        self.log.add_compute(self.method, rnd, self.twin_node, "twin_train", flops, t0, self.env.now, 0)
        if self.faults.twin_outages != outages:
            return self._fallback(rnd, "twin host went down")
        record = yield self._send("twin_sync", self.twin_node, SERVER, result, rnd)
        if record.outcome != "delivered":
            return self._fallback(rnd, "sync from the twin host failed")
        work.apply(result)
        return True

    def _fallback(self, rnd: int, why: str) -> bool:
        self.log.add_participation(self.method, rnd, self.twin_node, "twin_fallback", why, self.env.now, self.env.now)
        return False

    def _log_round(self, rnd: int, t_start: float, reachable: int, selected: int, participants: int):
        with torch.no_grad():
            scores = torch.sigmoid(forward(self.strategy.global_params, self.eval_X)).numpy()
        metrics = detection_metrics(self.eval_y, scores)
        self.log.add_round(self.method, rnd, t_start, self.env.now, reachable, selected, participants, metrics)
        if self.on_round is not None:
            self.on_round()
