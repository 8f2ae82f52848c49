"""Flow-level TCP transfers sharing links max-min fairly, on the SimPy clock.

Each message is a fluid flow whose rate is piecewise constant between events. Per flow the events are:
handshake done, slow-start window sent, round (RTT) over, all data sent, data arrived, outage timeout.
Rate-dependent event times are re-planned only for flows whose rate changed; all pending events sit in
one heap behind a single SimPy timer, and stale entries are skipped by token.
"""
from __future__ import annotations

import heapq
import itertools
import math
from dataclasses import dataclass, field
from typing import Callable

import networkx as nx
import numpy as np
import simpy

from .fairshare import max_min_rates
from .link import LinkConfig, outages
from .tcp import data_wire_bytes, handshake_bytes, loss_window_segments, MATHIS_C
from .topology import Hop, build_graph, shortest_route

_EPS_S = 1e-9  # events this close to now are due now (float rounding of now + dt)
_RATE_EVENTS = ("window", "sent", "loss")


@dataclass
class TransferRecord:
    msg_id: int
    src: str
    dst: str
    kind: str
    payload_bytes: int
    wire_bytes: int        # incl. headers, handshake and retransmissions
    retrans_bytes: int     # part of wire_bytes that were retransmissions
    lost_bytes: int        # sent but not delivered; wire_bytes == delivered_bytes + lost_bytes
    delivered_bytes: int
    t_start: float
    t_end: float
    outcome: str           # "delivered" | "failed" | "cancelled"
    path: tuple[str, ...]  # link-direction ids, e.g. ("site03-access:up", "backhaul:up")
    meta: dict


@dataclass(eq=False)
class _Flow:
    msg_id: int
    resources: tuple[str, ...]
    links: tuple[str, ...]
    rtt: float
    one_way: float
    segment: int           # wire bytes of a full segment
    data_bytes: float      # wire bytes to send: payload + headers + retransmissions
    retrans_bytes: int
    max_cwnd: float        # loss-limited window, segments
    mathis_bps: float      # loss-limited rate once the pipe is full
    first_loss_bytes: float  # expected bytes sent before the first loss (mss / p); until then no loss limit
    done: simpy.Event
    phase: str = "handshake"  # handshake | burst | wait | steady | arriving
    paused: bool = False
    cwnd: float = 0.0
    budget: float = 0.0    # bytes left in this slow-start window
    remaining: float = 0.0
    sent: float = 0.0
    rate: float = 0.0      # bit/s
    t_last: float = 0.0    # sent/remaining/budget are exact as of this time
    due: dict = field(default_factory=dict)  # event kind -> token of its live heap entry
    outcome: str | None = None


class Network:
    """Links, routes and TCP transfers on one SimPy environment."""

    def __init__(self, env: simpy.Environment, links: list[LinkConfig],
                 rng: Callable[[str], np.random.Generator], *, mss: int = 1448, header_bytes: int = 40,
                 init_cwnd: int = 10, handshake: bool = True, transfer_timeout_s: float = 600.0,
                 on_record: Callable[[TransferRecord], None] | None = None):
        self.env = env
        self.graph: nx.Graph = build_graph(links)
        self.links = {link.name: link for link in links}
        self.mss, self.header_bytes, self.init_cwnd = mss, header_bytes, init_cwnd
        self.handshake, self.transfer_timeout_s, self.on_record = handshake, transfer_timeout_s, on_record
        self.capacity_bps = {f"{l.name}:{d}": l.capacity_bps(d) for l in links for d in ("up", "down")}
        self.link_events: list[tuple[float, str, bool]] = []
        # called after every reallocation with {link-direction: allocated bit/s}; for checks and tracing
        self.on_allocate: Callable[[dict[str, float]], None] | None = None
        self._up = {name: True for name in self.links}
        self._flow_rng = rng("net/flow")
        self._routes: dict[tuple[str, str], list[Hop]] = {}
        self._msg_ids = itertools.count()
        self._tokens = itertools.count()
        self._heap: list[tuple[float, int, _Flow, str]] = []
        self._armed: tuple[float, int] | None = None
        self._sending: dict[_Flow, None] = {}  # insertion-ordered, for deterministic allocation
        self._on_link: dict[str, dict[_Flow, None]] = {name: {} for name in self.links}
        self._dirty = False
        for link in links:
            if link.mtbf_s is not None:
                env.process(outages(env, link, rng(f"net/outage/{link.name}"), self.set_link_state))

    # ---- public API ---------------------------------------------------------------------------

    def route(self, src: str, dst: str) -> list[Hop]:
        """(link, "up"|"down") hops of the lowest-delay path."""
        key = (src, dst)
        if key not in self._routes:
            self._routes[key] = shortest_route(self.graph, src, dst)
        return self._routes[key]

    def rtt_s(self, src: str, dst: str) -> float:
        return 2 * sum(link.delay_s for link, _ in self.route(src, dst))

    def is_up(self, link_name: str) -> bool:
        return self._up[link_name]

    def transfer(self, src: str, dst: str, payload_bytes: int, kind: str, **meta) -> simpy.Process:
        """Send a message; the process's value is its TransferRecord. Interrupt it to cancel."""
        return self.env.process(self._transfer(next(self._msg_ids), src, dst, int(payload_bytes), kind, meta))

    def set_link_state(self, name: str, up: bool) -> None:
        """Force a link up or down; flows crossing a down link pause, and restart slow start when it returns."""
        if self._up[name] == up:
            return
        self._up[name] = up
        self.link_events.append((self.env.now, name, up))
        for flow in list(self._on_link[name]):
            if not up and not flow.paused:
                self._pause(flow)
            elif up and flow.paused and all(self._up[l] for l in flow.links):
                self._resume(flow)
        self._settle()

    # ---- transfer lifecycle -------------------------------------------------------------------

    def _transfer(self, msg_id, src, dst, payload, kind, meta):
        t_start = self.env.now
        hops = self.route(src, dst)
        path = tuple(f"{link.name}:{d}" for link, d in hops)
        if not hops:  # co-located: nothing crosses the network
            return self._record(msg_id, src, dst, kind, payload, 0, 0, 0, t_start, "delivered", path, meta)
        flow = self._open(msg_id, hops, path, payload)
        try:
            yield flow.done
        except simpy.Interrupt:
            if flow.outcome is None:
                self._advance(flow)
                self._close(flow, "cancelled")
                self._settle()
        hs = handshake_bytes(self.header_bytes, self.handshake)
        if flow.outcome == "delivered":
            wire = hs + int(flow.data_bytes)
            return self._record(msg_id, src, dst, kind, payload, wire, flow.retrans_bytes, flow.retrans_bytes,
                                t_start, "delivered", path, meta)
        # nothing of a broken transfer counts as delivered: every byte it sent is lost
        sent = min(flow.sent, flow.data_bytes)
        retrans = round(flow.retrans_bytes * sent / flow.data_bytes) if flow.data_bytes else 0
        wire = hs + round(sent)
        return self._record(msg_id, src, dst, kind, payload, wire, retrans, wire, t_start, flow.outcome, path, meta)

    def _record(self, msg_id, src, dst, kind, payload, wire, retrans, lost, t_start, outcome, path, meta):
        rec = TransferRecord(msg_id, src, dst, kind, payload, wire, retrans, lost, wire - lost,
                             t_start, self.env.now, outcome, path, meta)
        if self.on_record is not None:
            self.on_record(rec)
        return rec

    def _open(self, msg_id: int, hops: list[Hop], path: tuple[str, ...], payload: int) -> _Flow:
        one_way = sum(link.delay_s for link, _ in hops)
        rtt = 2 * one_way
        p = 1.0 - math.prod(1.0 - link.loss for link, _ in hops)
        data = data_wire_bytes(payload, self.mss, self.header_bytes)
        segments = math.ceil(payload / self.mss)
        # lost copies before each segment gets through: geometric per segment, negative binomial in sum
        lost_copies = int(self._flow_rng.negative_binomial(segments, 1.0 - p)) if p > 0 and segments else 0
        retrans = round(lost_copies * data / segments) if segments else 0
        flow = _Flow(msg_id=msg_id, resources=path, links=tuple(link.name for link, _ in hops), rtt=rtt,
                     one_way=one_way, segment=self.mss + self.header_bytes, data_bytes=float(data + retrans),
                     retrans_bytes=retrans, max_cwnd=loss_window_segments(p),
                     mathis_bps=self.mss * 8 * MATHIS_C / (rtt * math.sqrt(p)) if p > 0 and rtt > 0 else math.inf,
                     first_loss_bytes=self.mss / p if p > 0 else math.inf, done=self.env.event(), remaining=float(data + retrans), t_last=self.env.now)
        for name in flow.links:
            self._on_link[name][flow] = None
        if not all(self._up[name] for name in flow.links):
            self._pause(flow)
        elif self.handshake:
            self._schedule(flow, "handshake", rtt)
        else:
            self._begin_round(flow, self.init_cwnd)
        self._settle()
        return flow

    def _close(self, flow: _Flow, outcome: str) -> None:
        flow.outcome = outcome
        flow.due.clear()
        self._stop_sending(flow)
        for name in flow.links:
            self._on_link[name].pop(flow, None)
        flow.done.succeed()

    # ---- flow state machine -------------------------------------------------------------------

    def _begin_round(self, flow: _Flow, cwnd: float) -> None:
        flow.phase, flow.cwnd, flow.budget = "burst", cwnd, cwnd * flow.segment
        self._schedule(flow, "round", flow.rtt)
        self._sending[flow] = None
        self._dirty = True

    def _stop_sending(self, flow: _Flow) -> None:
        self._advance(flow)
        flow.rate = 0.0
        for kind in _RATE_EVENTS:
            flow.due.pop(kind, None)
        if flow in self._sending:
            del self._sending[flow]
            self._dirty = True

    def _pause(self, flow: _Flow) -> None:
        self._stop_sending(flow)
        flow.paused = True
        flow.due.clear()
        self._schedule(flow, "timeout", self.transfer_timeout_s)

    def _resume(self, flow: _Flow) -> None:
        flow.paused = False
        flow.due.clear()
        if flow.phase == "handshake":
            self._schedule(flow, "handshake", flow.rtt)
        else:  # like TCP after a retransmission timeout: slow start again from the initial window
            self._begin_round(flow, self.init_cwnd)

    def _handle(self, flow: _Flow, kind: str) -> None:
        if kind == "handshake":
            self._begin_round(flow, self.init_cwnd)
        elif kind == "window":  # window sent before its ACKs are back: idle until the round ends
            self._stop_sending(flow)
            flow.budget, flow.phase = 0.0, "wait"
        elif kind == "round":
            if flow.phase == "wait":
                self._begin_round(flow, 2 * flow.cwnd if self._before_loss(flow)
                                  else min(2 * flow.cwnd, max(flow.max_cwnd, 1.0)))
            else:  # still sending when the ACKs return: the pipe is full, the window no longer limits
                self._advance(flow)
                flow.phase, flow.budget = "steady", math.inf
                self._plan(flow)
                self._dirty = True  # its cap changes to the loss-limited rate
        elif kind == "sent":
            self._stop_sending(flow)
            flow.remaining, flow.sent, flow.phase = 0.0, flow.data_bytes, "arriving"
            flow.due.clear()
            for name in flow.links:  # in flight now; outages no longer touch it
                self._on_link[name].pop(flow, None)
            self._schedule(flow, "arrive", flow.one_way)
        elif kind == "loss":  # first loss expected now: the loss-limited window and rate apply from here
            self._advance(flow)
            flow.first_loss_bytes = 0.0
            self._plan(flow)
            self._dirty = True
        elif kind == "arrive":
            self._close(flow, "delivered")
        elif kind == "timeout":
            self._close(flow, "failed")

    @staticmethod
    def _before_loss(flow: _Flow) -> bool:
        """Slow start runs unhindered until the first loss is expected; the Mathis limit applies after."""
        return flow.sent < flow.first_loss_bytes

    # ---- rates and the event clock ------------------------------------------------------------

    def _advance(self, flow: _Flow) -> None:
        now = self.env.now
        if flow.rate > 0 and now > flow.t_last:
            sent = min(flow.rate * (now - flow.t_last) / 8, flow.remaining)
            flow.remaining -= sent
            flow.budget = max(flow.budget - sent, 0.0)
            flow.sent += sent
        flow.t_last = now

    def _plan(self, flow: _Flow) -> None:
        """(Re)schedule the flow's next rate-dependent event: window sent, all data sent, or first loss."""
        for kind in _RATE_EVENTS:
            flow.due.pop(kind, None)
        if flow.rate <= 0:
            return
        until_loss = flow.first_loss_bytes - flow.sent if self._before_loss(flow) else math.inf
        need, kind = min((flow.remaining, "sent"), (flow.budget, "window"), (until_loss, "loss"))
        self._schedule(flow, kind, max(need, 0.0) * 8 / flow.rate)

    def _schedule(self, flow: _Flow, kind: str, delay: float) -> None:
        token = next(self._tokens)
        flow.due[kind] = token
        heapq.heappush(self._heap, (self.env.now + delay, token, flow, kind))

    def _reallocate(self) -> None:
        flows = list(self._sending)
        caps = [f.mathis_bps if f.phase == "steady" and not self._before_loss(f) else math.inf for f in flows]
        rates = max_min_rates([f.resources for f in flows], caps, self.capacity_bps)
        for flow, rate in zip(flows, rates):
            if rate != flow.rate:
                self._advance(flow)
                flow.rate = rate
                self._plan(flow)
        if self.on_allocate is not None:
            load = dict.fromkeys(self.capacity_bps, 0.0)
            for flow in flows:
                for r in flow.resources:
                    load[r] += flow.rate
            self.on_allocate(load)

    def _settle(self) -> None:
        """After any change: share the links again if needed, then arm the timer for the next event."""
        if self._dirty:
            self._dirty = False
            self._reallocate()
        heap = self._heap
        while heap and heap[0][2].due.get(heap[0][3]) != heap[0][1]:
            heapq.heappop(heap)  # stale: re-planned or cancelled
        if heap and self._armed != heap[0][:2]:
            self._armed = heap[0][:2]
            timer = self.env.timeout(max(heap[0][0] - self.env.now, 0.0))
            timer.callbacks.append(lambda _, armed=self._armed: self._wake(armed))

    def _wake(self, armed: tuple[float, int]) -> None:
        if armed != self._armed:
            return  # superseded by an earlier event planned later
        self._armed = None
        heap = self._heap
        while heap and heap[0][0] <= self.env.now + _EPS_S:
            _, token, flow, kind = heapq.heappop(heap)
            if flow.due.get(kind) == token:
                del flow.due[kind]
                self._handle(flow, kind)
        self._settle()
