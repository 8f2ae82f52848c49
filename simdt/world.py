"""The world on one SimPy clock: sites recording their assets, the FL server and clients, the
twin host, and every message crossing the simulated network.

One :class:`World` simulates one method; every method of a scenario runs in its own world built
from the same seed, so all methods meet the same assets, faults and outages.
"""
from __future__ import annotations

import warnings

import simpy
import torch

from simdt.data import DataSource
from simdt.devices import DEVICES
from simdt.eventlog import EventLog
from simdt.fl.messages import Message, payload_bytes
from simdt.fl.methods import METHODS, ClientTask, MethodContext, TwinWork, Update
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
    width = max(2, len(str(sc.sites.count - 1)))
    return [f"{sc.sites.prefix}{i:0{width}d}" for i in range(sc.sites.count)]


class World:
    def __init__(self, resolved: Resolved, method: str, data: DataSource, log: EventLog, on_round=None):
        sc = resolved.scenario
        self.sc, self.method, self.log, self.on_round = sc, method, log, on_round
        self.env = simpy.Environment()
        self.streams = Streams(sc.seed)
        self.sites = site_names(sc)

        if sc.network.topology:
            path = find_topology(resolved.catalog / "networks" / "topologies", sc.network.topology)
            links = load_topology(path, self.sites, SERVER, lambda ref, where: _topology_link(resolved, ref, where))
        else:
            access = _link_kwargs(resolved.uplink)
            links = star_topology(self.sites, access={s: access for s in self.sites},
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
        self.client_device = DEVICES[sc.sites.device]
        self.twin_device = DEVICES[sc.twin_host.device]
        self._check_feasibility()
        self.server = self.env.process(self._server())

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
        # Outage processes never end; the run ends when the server has finished its rounds.
        self.env.run(until=self.server)
        for t, link, up in self.network.link_events:
            self.log.add_link_state(self.method, t, link, up)

    def _reachable(self, site: str) -> bool:
        """The server knows (from heartbeats) which sites have a working path right now."""
        return all(self.network.is_up(link.name) for link, _ in self.network.route(site, SERVER))

    # --- messages -------------------------------------------------------------------------------

    def _send(self, kind: str, src: str, dst: str, tensors: dict, rnd: int):
        msg = Message.make(kind, src, dst, tensors, rnd)
        return self.network.transfer(src, dst, msg.payload_bytes, kind, round=rnd)

    # --- server ---------------------------------------------------------------------------------

    def _server(self):
        sc, fl = self.sc, self.sc.fl
        # The twin host prepares (e.g. pre-trains) while the sites record; round 1 still starts at start_after.
        work = self.strategy.setup()
        if work is not None:
            yield from self._twin_exchange(work, 0)
        yield self.env.timeout(max(0.0, fl.start_after - self.env.now))
        k = max(fl.min_clients, int(round(fl.client_fraction * len(self.sites))))
        for rnd in range(1, fl.rounds + 1):
            t_start = self.env.now
            reachable = [s for s in self.sites if self._reachable(s)]
            chosen = sorted(self.select_rng.choice(reachable, size=min(k, len(reachable)), replace=False).tolist()) if reachable else []
            data = {c: self.data.client_dataset(c, self.env.now) for c in chosen}
            chosen = [c for c in chosen if len(data[c][1]) > 0]
            arrived: list[Update] = []
            if chosen:
                yield from self._client_round(rnd, chosen, data, arrived)
            self.strategy.aggregate(rnd, arrived)
            work = self.strategy.after_round(rnd)
            if work is not None:
                yield from self._twin_exchange(work, rnd)
            self._log_round(rnd, t_start, len(reachable), chosen, arrived)
            next_start = t_start + fl.round_every
            if self.env.now < next_start:
                yield self.env.timeout(next_start - self.env.now)

    def _client_round(self, rnd: int, chosen: list[str], data: dict, arrived: list[Update]):
        """All chosen clients train together in one batched computation (their results depend only on
        the model and data they start from); the world then charges each its own simulated time."""
        tasks = {c: self.strategy.client_task(rnd, c) for c in chosen}
        datasets = [(torch.as_tensor(data[c][0]), torch.as_tensor(data[c][1], dtype=torch.float32)) for c in chosen]
        anchors = [tasks[c].anchor for c in chosen] if any(tasks[c].anchor is not None for c in chosen) else None
        teachers = [tasks[c].teacher for c in chosen] if any(tasks[c].teacher is not None for c in chosen) else None
        trained, stats = train_batched(
            [tasks[c].start for c in chosen], datasets, self.strategy.objective,
            [self.streams.torch(f"client/{c}/round/{rnd}") for c in chosen], anchors=anchors, teachers=teachers,
        )
        procs = [self.env.process(self._client(rnd, c, tasks[c], p, st, arrived)) for c, p, st in zip(chosen, trained, stats)]
        deadline = self.env.timeout(self.sc.fl.round_deadline)
        yield simpy.AllOf(self.env, procs) | deadline
        for proc in procs:  # stragglers: the server stops waiting and the client gives up its upload
            if proc.is_alive:
                proc.interrupt("round deadline")

    def _client(self, rnd: int, client: str, task: ClientTask, trained: Params, stats: dict, arrived: list[Update]):
        transfer = None
        try:
            transfer = self._send(task.kind, SERVER, client, task.send, rnd)
            record = yield transfer
            if record.outcome != "delivered":
                return
            transfer = None
            t0 = self.env.now
            yield self.env.timeout(self.client_device.seconds(stats["flops"]))
            self.log.add_compute(self.method, rnd, client, "local_train", stats["flops"], t0, self.env.now, stats["n_samples"])
            tensors = self.strategy.upload(rnd, client, trained)
            transfer = self._send("update_up", client, SERVER, tensors, rnd)
            record = yield transfer
            if record.outcome == "delivered":
                arrived.append(Update(client, tensors, stats["n_samples"]))
        except simpy.Interrupt:
            if transfer is not None and transfer.is_alive:
                transfer.interrupt("cancelled by sender")

    def _twin_exchange(self, work: TwinWork, rnd: int):
        """Server -> twin host, compute there, twin host -> server; free when co-located."""
        record = yield self._send("twin_sync", SERVER, self.twin_node, work.send, rnd)
        if record.outcome != "delivered":
            return
        result, flops = work.run()
        t0 = self.env.now
        yield self.env.timeout(self.twin_device.seconds(flops))
        self.log.add_compute(self.method, rnd, self.twin_node, "twin_train", flops, t0, self.env.now, 0)
        record = yield self._send("twin_sync", self.twin_node, SERVER, result, rnd)
        if record.outcome == "delivered":
            work.apply(result)

    def _log_round(self, rnd: int, t_start: float, reachable: int, chosen: list[str], arrived: list[Update]):
        with torch.no_grad():
            scores = torch.sigmoid(forward(self.strategy.global_params, self.eval_X)).numpy()
        metrics = detection_metrics(self.eval_y, scores)
        self.log.add_round(self.method, rnd, t_start, self.env.now, reachable, len(chosen), len(arrived), metrics)
        if self.on_round is not None:
            self.on_round()
