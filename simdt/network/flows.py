"""Flow-level TCP transfers sharing links max-min fairly, on the SimPy clock.

Each message is a fluid flow whose rate is piecewise constant between events. Per flow the events are:
handshake done, window sent, round (RTT) over, all data sent, data arrived, retransmission timeout over,
outage timeout, retransmission probe while the path is down. The window evolves once per round like TCP
Cubic with SACK: slow start doubles it; a round that loses segments (random loss drawn per segment,
overflow of the bottleneck's queue, or a Gilbert-Elliott loss burst) cuts it to beta and costs a
retransmission timeout only when recovery stalls (as it often does in a burst, whose losses are drawn
from each link's state at the round's end); congestion avoidance grows it along Cubic's curve or Reno's
line, whichever is faster (RFC 8312). A lossless flow whose window fills the pipe stops counting rounds
and simply sends at its fair share.
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

from .availability import replay, windows
from .burstloss import Channel
from .codel import FQ_CODEL_LIMIT_PACKETS, CoDel
from .fairshare import max_min_rates
from .link import LinkConfig, outages
from .tcp import (CUBIC_BETA, DUP_THRESH, TLS, cubic_window, data_wire_bytes, handshake_bytes, hystart_train_exit,
                  setup_rtts)
from .topology import Hop, Router, build_graph

_EPS_S = 1e-9  # events this close to now are due now (float rounding of now + dt)
_RATE_EVENTS = ("window", "sent")
MAX_RTO_S = 60.0  # RFC 6298 2.5: the backed-off retransmission timer may be capped, at no less than 60 s
OUTAGE_POLICIES = ("resume", "restart", "fail")
MAX_WINDOW_SEGMENTS = 1e9  # in segments


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
    loss: float            # per-segment loss probability along the path
    bottleneck: str        # the slowest resource on the path
    queue: int | None      # its buffer, packets: the device's FIFO, plus FQ-CoDel's limit when that sits in front
    device_queue: int      # the device's FIFO alone; under FQ-CoDel it fills first and CoDel never sees it
    codel: CoDel | None    # this flow's CoDel when the bottleneck runs FQ-CoDel
    channels: tuple[Channel, ...]  # Gilbert-Elliott states of its bursty links
    done: simpy.Event
    phase: str = "handshake"  # handshake | burst | wait | steady | rto | arriving
    paused: bool = False
    cwnd: float = 0.0      # segments
    ssthresh: float = math.inf
    w_max: float = 0.0     # window before the last loss event, and when that was (Cubic's epoch)
    t_loss: float = 0.0
    budget: float = 0.0    # bytes left in this slow-start window
    round_sent: float = 0.0  # ``sent`` when this round began, and when that was
    round_start: float = 0.0
    backlog: float = 0.0   # packets this round's window keeps queued at the bottleneck beyond the pipe
    queue_delay: float = 0.0  # how long they wait there: it stretches the round
    hole_until: float | None = None  # a lost retransmission waits for the retransmission timer (SACK goes on)
    recovery_until: float = -math.inf  # losses before this belong to the recovery already under way
    remaining: float = 0.0
    sent: float = 0.0
    rate: float = 0.0      # bit/s
    t_last: float = 0.0    # sent/remaining/budget are exact as of this time
    due: dict = field(default_factory=dict)  # event kind -> token of its live heap entry
    outcome: str | None = None
    backoff: float = 0.0   # current retransmission timeout while the path is down (rto_backoff)
    restarts: int = 0      # times the transfer started over (on_outage="restart")


class Network:
    """Links, routes and TCP transfers on one SimPy environment."""

    def __init__(self, env: simpy.Environment, links: list[LinkConfig],
                 rng: Callable[[str], np.random.Generator], *, mss: int = 1448, header_bytes: int = 40,
                 init_cwnd: int = 10, handshake: bool = True, transfer_timeout_s: float = 600.0,
                 min_rto_s: float = 1.0, tls: str = "none", on_outage: str = "resume", rto_backoff: bool = False,
                 retries: int = 0, on_record: Callable[[TransferRecord], None] | None = None):
        self.env = env
        self.graph: nx.Graph = build_graph(links)
        self.links = {link.name: link for link in links}
        self.mss, self.header_bytes, self.init_cwnd = mss, header_bytes, init_cwnd
        self.handshake, self.transfer_timeout_s, self.on_record = handshake, transfer_timeout_s, on_record
        self.min_rto_s = min_rto_s  # RFC 6298 (and ns-3's default): 1 s
        if tls not in TLS or on_outage not in OUTAGE_POLICIES:
            raise ValueError(f"tls must be one of {list(TLS)}, on_outage one of {list(OUTAGE_POLICIES)}")
        # on_outage: a broken path pauses the flow (resume), makes it start over from byte 0 (restart), or fails it
        # (fail). With rto_backoff a paused flow only notices the path is back when its doubling timer next fires.
        self.tls, self.on_outage, self.rto_backoff = tls, on_outage, rto_backoff
        if retries < 0:
            raise ValueError(f"retries must be >= 0, got {retries}")
        self.retries = retries  # a failed transfer (outage under "fail", or transfer_timeout) starts over this often
        self._setup_s = lambda rtt: setup_rtts(handshake, tls) * rtt
        self.capacity_bps = {f"{l.name}:{d}": l.capacity_bps(d) for l in links for d in ("up", "down")}
        self.link_events: list[tuple[float, str, bool]] = []
        # called after every reallocation with {link-direction: allocated bit/s}; for checks and tracing
        self.on_allocate: Callable[[dict[str, float]], None] | None = None
        self._up = {name: True for name in self.links}
        self._down_for: dict[str, set[str]] = {name: set() for name in self.links}  # causes keeping it down
        self._flow_rng = rng("net/flow")
        self._jitter_rng = rng("net/jitter") if any(l.jitter_s for l in links) else None
        self._channels = {l.name: Channel(l.bursty_loss, rng(f"net/ge/{l.name}")) for l in links if l.bursty_loss}
        self._router = Router(self.graph)
        self._msg_ids = itertools.count()
        self._tokens = itertools.count()
        self._heap: list[tuple[float, int, _Flow, str]] = []
        self._armed: tuple[float, int] | None = None
        self._sending: dict[_Flow, None] = {}  # insertion-ordered, for deterministic allocation
        self._on_link: dict[str, dict[_Flow, None]] = {name: {} for name in self.links}
        self._active = dict.fromkeys(self.capacity_bps, 0)  # open flows per link direction, sharing its queue
        self._dirty = False
        for link in links:
            if link.mtbf_s is not None:
                env.process(outages(env, link, rng(f"net/outage/{link.name}"),
                                    lambda name, up: self.set_link_state(name, up, "outage")))
            if link.window_period_s is not None:
                env.process(windows(env, link.name, link.window_period_s, link.window_open_s,
                                    link.window_offset_s, lambda name, up: self.set_link_state(name, up, "window")))
            for d, trace in (("up", link.trace_up_bps), ("down", link.trace_down_bps)):
                if trace:
                    env.process(replay(env, f"{link.name}:{d}", trace, link.trace_step_s, self.set_capacity))

    # ---- public API ---------------------------------------------------------------------------

    def route(self, src: str, dst: str) -> list[Hop]:
        """(link, "up"|"down") hops of the lowest-delay path."""
        return self._router.route(src, dst)

    def rtt_s(self, src: str, dst: str) -> float:
        return 2 * sum(link.delay_s for link, _ in self.route(src, dst))

    def is_up(self, link_name: str) -> bool:
        return self._up[link_name]

    def transfer(self, src: str, dst: str, payload_bytes: int, kind: str, **meta) -> simpy.Process:
        """Send a message; the process's value is its TransferRecord. Interrupt it to cancel."""
        return self.env.process(self._transfer(next(self._msg_ids), src, dst, int(payload_bytes), kind, meta))

    def set_link_state(self, name: str, up: bool, cause: str = "forced") -> None:
        """Take a link down for ``cause`` or end that cause; it carries traffic only while no cause holds it down
        (an outage that ends while the window is shut leaves it shut). Flows crossing a down link pause, and
        restart slow start when it returns."""
        (self._down_for[name].discard if up else self._down_for[name].add)(cause)
        up = not self._down_for[name]
        if self._up[name] == up:
            return
        self._up[name] = up
        self.link_events.append((self.env.now, name, up))
        for flow in list(self._on_link[name]):
            if not up and not flow.paused:
                self._pause(flow)
            elif up and flow.paused and not self.rto_backoff and all(self._up[l] for l in flow.links):
                self._resume(flow)
        self._settle()

    def set_capacity(self, resource: str, bps: float) -> None:
        """Change a link direction's capacity (e.g. "lte:up"); its flows share the new rate from now."""
        if bps <= 0:
            raise ValueError(f"capacity of {resource!r} must be > 0, got {bps}")
        self.capacity_bps[resource] = bps
        self._dirty = True
        self._settle()

    # ---- transfer lifecycle -------------------------------------------------------------------

    def _transfer(self, msg_id, src, dst, payload, kind, meta):
        t_start = self.env.now
        hops = self.route(src, dst)
        path = tuple(f"{link.name}:{d}" for link, d in hops)
        if not hops:  # co-located: nothing crosses the network
            return self._record(msg_id, src, dst, kind, payload, 0, 0, 0, t_start, "delivered", path, meta)
        wasted = 0  # wire bytes of failed attempts, all lost and all sent again (retries)
        backoff, backing_off = self.min_rto_s, False
        for attempt in range(self.retries + 1):
            flow = self._open(msg_id, hops, path, payload)
            try:
                yield flow.done
                if flow.outcome == "failed" and attempt < self.retries:
                    # the application reconnects after a doubling back-off and sends the whole message again
                    wasted += self._attempt_bytes(flow)[0]
                    backing_off = True
                    yield self.env.timeout(backoff)
                    backing_off = False
                    backoff = min(2 * backoff, MAX_RTO_S)
                    continue
            except simpy.Interrupt:
                if flow.outcome is None:
                    self._advance(flow)
                    self._close(flow, "cancelled")
                    self._settle()
                elif backing_off:  # the failed attempt is counted below, as the last one
                    flow.outcome, wasted = "cancelled", wasted - self._attempt_bytes(flow)[0]
            break
        if attempt:
            meta = {**meta, "attempts": attempt + 1}
        wire, retrans = self._attempt_bytes(flow)
        if flow.outcome == "delivered":
            return self._record(msg_id, src, dst, kind, payload, wire + wasted, retrans + wasted, retrans + wasted,
                                t_start, "delivered", path, meta)
        return self._record(msg_id, src, dst, kind, payload, wire + wasted, retrans + wasted, wire + wasted,
                            t_start, flow.outcome, path, meta)

    def _attempt_bytes(self, flow: _Flow) -> tuple[int, int]:
        """Wire and retransmitted bytes of one connection's attempt, handshakes of abandoned ones included; of a
        broken attempt only what it sent (none of which counts as delivered)."""
        one_hs = handshake_bytes(self.header_bytes, self.handshake, self.tls, self.mss)
        hs, redone = one_hs * (1 + flow.restarts), one_hs * flow.restarts
        if flow.outcome == "delivered":
            return hs + int(flow.data_bytes), flow.retrans_bytes + redone
        sent = min(flow.sent, flow.data_bytes)
        return hs + round(sent), redone + (round(flow.retrans_bytes * sent / flow.data_bytes) if flow.data_bytes else 0)

    def _record(self, msg_id, src, dst, kind, payload, wire, retrans, lost, t_start, outcome, path, meta):
        rec = TransferRecord(msg_id, src, dst, kind, payload, wire, retrans, lost, wire - lost,
                             t_start, self.env.now, outcome, path, meta)
        if self.on_record is not None:
            self.on_record(rec)
        return rec

    def _open(self, msg_id: int, hops: list[Hop], path: tuple[str, ...], payload: int) -> _Flow:
        one_way = sum(link.delay_s for link, _ in hops)
        if self._jitter_rng is not None:  # one draw per transfer and link, both ways
            one_way += sum(self._jitter_rng.exponential(link.jitter_s) for link, _ in hops if link.jitter_s)
        rtt = 2 * one_way
        p = 1.0 - math.prod(1.0 - link.loss for link, _ in hops)
        data = data_wire_bytes(payload, self.mss, self.header_bytes, self.tls)
        segments = math.ceil(payload / self.mss)
        # lost copies before each segment gets through: geometric per segment, negative binomial in sum
        lost_copies = int(self._flow_rng.negative_binomial(segments, 1.0 - p)) if p > 0 and segments else 0
        retrans = round(lost_copies * data / segments) if segments else 0
        (slowest, _), bottleneck = min(zip(hops, path), key=lambda h: h[0][0].capacity_bps(h[0][1]))
        fq_codel = slowest.queue_discipline == "fq_codel"
        flow = _Flow(msg_id=msg_id, resources=path, links=tuple(link.name for link, _ in hops), rtt=rtt,
                     one_way=one_way, segment=self.mss + self.header_bytes, data_bytes=float(data + retrans),
                     retrans_bytes=retrans, loss=p, bottleneck=bottleneck,
                     queue=(slowest.queue_packets or 0) + FQ_CODEL_LIMIT_PACKETS if fq_codel else slowest.queue_packets,
                     device_queue=slowest.queue_packets or 0,
                     codel=CoDel() if fq_codel else None,
                     channels=tuple(self._channels[l.name] for l, _ in hops if l.name in self._channels),
                     done=self.env.event(), remaining=float(data + retrans), t_last=self.env.now)
        for name in flow.links:
            self._on_link[name][flow] = None
        self._active[bottleneck] += 1
        if not all(self._up[name] for name in flow.links):
            self._pause(flow)
        elif self._setup_s(rtt):
            self._schedule(flow, "handshake", self._setup_s(rtt))
        else:
            self._begin_round(flow, self.init_cwnd)
        self._settle()
        return flow

    def _close(self, flow: _Flow, outcome: str) -> None:
        flow.outcome = outcome
        flow.due.clear()
        self._stop_sending(flow)
        self._leave(flow)
        flow.done.succeed()

    def _leave(self, flow: _Flow) -> None:
        """The flow no longer occupies its links: outages and queues stop concerning it."""
        if flow.links and flow in self._on_link[flow.links[0]]:
            self._active[flow.bottleneck] -= 1
        for name in flow.links:
            self._on_link[name].pop(flow, None)

    # ---- flow state machine -------------------------------------------------------------------

    def _begin_round(self, flow: _Flow, cwnd: float) -> None:
        # a window far beyond any real one (1.5 TB): on a link too slow to ever use it, doubling would
        # otherwise grow it past what a float holds
        cwnd = min(cwnd, MAX_WINDOW_SEGMENTS)
        flow.phase, flow.cwnd, flow.round_sent, flow.round_start = "burst", cwnd, flow.sent, self.env.now
        flow.backlog = self._standing_queue(flow, cwnd)
        flow.queue_delay = flow.backlog * flow.segment * 8 / self._fair_bps(flow)
        # a window beyond the pipe is clocked out by ACKs at the bottleneck's pace all round, not sent at once
        flow.budget = math.inf if flow.backlog else cwnd * flow.segment
        self._schedule(flow, "round", flow.rtt + flow.queue_delay)
        self._sending[flow] = None
        self._dirty = True
        self._plan(flow)  # a flow still sending keeps its rate: its new window and data need new event times

    def _fair_bps(self, flow: _Flow) -> float:
        return self.capacity_bps[flow.bottleneck] / max(self._active[flow.bottleneck], 1)

    def _standing_queue(self, flow: _Flow, window: float) -> float:
        """Packets of a window that wait at the bottleneck: beyond the flow's share of the pipe, within its
        share of the buffer (one FIFO's, or FQ-CoDel's limit; both split evenly among the flows there)."""
        if flow.queue is None:
            return 0.0
        window = min(window, flow.remaining / flow.segment)
        return min(max(window - self._pipe(flow), 0.0), flow.queue / max(self._active[flow.bottleneck], 1))

    def _pipe(self, flow: _Flow) -> float:
        """Segments in flight that keep the flow's fair share of its bottleneck busy for one RTT."""
        return self._fair_bps(flow) * flow.rtt / 8 / flow.segment

    def _codel_view(self, flow: _Flow) -> tuple[float, float]:
        """Sojourn (s) and length (packets) of the flow's FQ-CoDel queue: its standing queue less its share of
        the device FIFO behind the queue disc, which the disc fills first (flow control) and does not manage."""
        backlog = max(flow.backlog - flow.device_queue / max(self._active[flow.bottleneck], 1), 0.0)
        return backlog * flow.segment * 8 / self._fair_bps(flow), backlog

    def _rto_s(self, flow: _Flow) -> float:
        """RFC 6298: smoothed RTT (queueing included) plus four variances, about RTT/2 each early on."""
        return max(self.min_rto_s, 3 * flow.rtt + flow.queue_delay)

    def _stop_sending(self, flow: _Flow) -> None:
        self._advance(flow)
        flow.rate = 0.0
        for kind in _RATE_EVENTS:
            flow.due.pop(kind, None)
        if flow in self._sending:
            del self._sending[flow]
            self._dirty = True

    def _pause(self, flow: _Flow) -> None:
        if self.on_outage == "fail":
            self._close(flow, "failed")
            return
        self._stop_sending(flow)
        flow.paused = True
        flow.due.clear()
        self._schedule(flow, "timeout", self.transfer_timeout_s)
        if self.rto_backoff:
            flow.backoff = self.min_rto_s
            self._schedule(flow, "probe", flow.backoff)

    def _resume(self, flow: _Flow) -> None:
        flow.paused = False
        flow.due.clear()
        flow.hole_until = None  # slow start from the first unacknowledged byte resends it
        if self.on_outage == "restart" and flow.phase != "handshake":
            # a new connection: everything sent so far is lost and goes again, after a new handshake
            wasted = flow.data_bytes - flow.remaining
            flow.data_bytes += wasted
            flow.retrans_bytes += round(wasted)
            flow.remaining += wasted
            flow.phase, flow.cwnd, flow.ssthresh = "handshake", 0.0, math.inf
            flow.restarts += 1
        if flow.phase == "handshake":
            self._schedule(flow, "handshake", self._setup_s(flow.rtt))
        else:  # like TCP after a retransmission timeout: slow start again from the initial window
            self._begin_round(flow, self.init_cwnd)

    def _handle(self, flow: _Flow, kind: str) -> None:
        if kind == "handshake":
            self._begin_round(flow, self.init_cwnd)
        elif kind == "window":  # window sent before its ACKs are back: idle until the round ends
            self._stop_sending(flow)
            flow.budget, flow.phase = 0.0, "wait"
        elif kind == "round":
            self._end_round(flow)
        elif kind == "rto":  # RFC 5681: after a timeout, slow start again from one segment up to ssthresh
            flow.hole_until = None
            self._begin_round(flow, 1.0)
        elif kind == "hole":  # the timer resends the lost retransmission, and the window restarts from one
            flow.hole_until = None
            if flow.phase not in ("arriving", "rto"):
                self._stop_sending(flow)
                self._begin_round(flow, 1.0)  # its new round supersedes the one under way
        elif kind == "sent":
            self._stop_sending(flow)
            flow.remaining, flow.sent, flow.phase = 0.0, flow.data_bytes, "arriving"
            repaired = flow.hole_until if flow.hole_until is not None else self.env.now
            flow.due.clear()
            self._leave(flow)  # in flight now
            # everything else is at the receiver, but it is delivered in order: after the hole is resent
            self._schedule(flow, "arrive", repaired - self.env.now + flow.one_way)
        elif kind == "arrive":
            self._close(flow, "delivered")
        elif kind == "timeout":
            self._close(flow, "failed")
        elif kind == "probe":  # the retransmission timer while the path is down (RFC 6298 5.5: back off)
            if all(self._up[name] for name in flow.links):
                self._resume(flow)
            else:
                flow.backoff = min(2 * flow.backoff, MAX_RTO_S)
                self._schedule(flow, "probe", flow.backoff)

    def _end_round(self, flow: _Flow) -> None:
        """The ACKs of this round's window are back: count its losses and set the next window."""
        self._advance(flow)
        # counted from bytes, not from the window: an unqueued link-limited window grows without bound
        sent = round((flow.sent - flow.round_sent) / flow.segment, 9)
        link_limited = flow.phase == "burst"  # still sending: the window did not limit this round
        slow_start = flow.cwnd < flow.ssthresh
        lost = int(self._flow_rng.binomial(math.ceil(sent), flow.loss)) if flow.loss > 0 else 0
        burst = 0
        if flow.channels:
            p_burst = 1.0 - math.prod(1.0 - ch.loss(self.env.now) for ch in flow.channels)
            burst = int(self._flow_rng.binomial(math.ceil(sent), p_burst)) if p_burst > 0 else 0
        dropped = 0  # by CoDel, from this flow's own queue
        if flow.codel is not None:
            dropped = flow.codel.drops(flow.round_start, self.env.now, *self._codel_view(flow))
        overflow = 0
        if flow.queue is not None:
            share = flow.queue / max(self._active[flow.bottleneck], 1)
            if flow.cwnd <= self.init_cwnd:  # the initial window leaves as one burst: the queue absorbs it
                fits = share
            elif slow_start:  # two segments per ACK arrive at twice the drain rate: the queue grows by W/2
                fits = 2 * share
            else:  # the queue holds what the window exceeds the pipe by
                bdp = self.capacity_bps[flow.bottleneck] / self._active[flow.bottleneck] * flow.rtt / 8
                fits = bdp / flow.segment + share
            # the window is in flight or queued, as far as there is data left to fill it
            window = min(flow.cwnd, sent + flow.remaining / flow.segment)
            excess = max(window - fits, 0.0)
            # drop-tail hits whichever segments arrive at a full queue: each of the window's by the same odds
            overflow = int(self._flow_rng.binomial(math.ceil(window), excess / window)) if excess else 0
        if lost or overflow or burst or dropped:
            self._loss_event(flow, sent, lost, overflow + burst + dropped)
        elif flow.rtt <= 0 or (link_limited and flow.loss == 0 and not flow.channels
                               and (flow.queue is None or not slow_start) and flow.codel is None):
            # the pipe is full and nothing is lost (or there is no delay to hold a window): it no longer matters
            flow.phase, flow.budget = "steady", math.inf
            self._plan(flow)
        elif slow_start and hystart_train_exit(flow.cwnd, self._pipe(flow), self._fair_bps(flow), flow.segment):
            # leave slow start at this window: Cubic's first epoch starts here, with it as the plateau
            flow.ssthresh, flow.w_max, flow.t_loss = flow.cwnd, flow.cwnd, self.env.now
            self._begin_round(flow, flow.cwnd)
        elif slow_start:
            self._begin_round(flow, min(2 * flow.cwnd, max(flow.ssthresh, flow.cwnd)))
        else:
            self._begin_round(flow, cubic_window(flow.cwnd, flow.w_max, self.env.now - flow.t_loss, flow.rtt))

    def _loss_event(self, flow: _Flow, sent: float, lost: int, overflow: int) -> None:
        if overflow:  # dropped at the queue or in a loss burst: sent again, on top of the random-loss retransmissions
            extra = overflow * flow.segment
            flow.data_bytes += extra
            flow.remaining += extra
            flow.retrans_bytes += extra
        if self.env.now >= flow.recovery_until and flow.hole_until is None:
            # one reduction per recovery, which lasts until what was outstanding at the loss is acknowledged
            # (this round's window, queue included), or until the timer repairs a lost retransmission
            # what the path held when the loss showed (dropped segments were never acknowledged); in slow start
            # every segment acknowledged this round has already grown the window by one
            grown = flow.cwnd + sent if flow.cwnd < flow.ssthresh else flow.cwnd
            window = max(grown - overflow, 1.0)
            flow.w_max, flow.t_loss = window, self.env.now
            flow.ssthresh = max(CUBIC_BETA * window, 2.0)
            flow.recovery_until = self.env.now + flow.rtt + flow.queue_delay
        # SACK recovery with proportional rate reduction (RFC 6675, RFC 6937) resends the holes within the
        # reduced window, new data alongside, for as long as ACKs keep coming; it only starts once DupThresh
        # segments beyond a hole are acknowledged, so a window that delivered fewer waits for the timer
        gone = lost + overflow
        if flow.cwnd - gone < DUP_THRESH:
            self._stop_sending(flow)
            flow.phase, flow.budget = "rto", 0.0
            self._schedule(flow, "rto", self._rto_s(flow))
            return
        self._begin_round(flow, flow.ssthresh)
        # a retransmission meets the path's random loss, and CoDel if the reduced window still keeps a queue
        # it drops from; if it is lost too, only the timer resends it, while SACK keeps new data flowing
        drop_odds = 0.0
        if flow.codel is not None:
            packet_s = flow.segment * 8 / self._fair_bps(flow)
            drop_odds = flow.codel.drop_odds(*self._codel_view(flow), packet_s)
        resent_ok = (1.0 - flow.loss) * (1.0 - drop_odds)
        if flow.hole_until is None and self._flow_rng.random() < 1.0 - resent_ok ** gone:
            flow.hole_until = self.env.now + self._rto_s(flow)
            self._schedule(flow, "hole", flow.hole_until - self.env.now)

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
        """(Re)schedule the flow's next rate-dependent event: window sent or all data sent."""
        for kind in _RATE_EVENTS:
            flow.due.pop(kind, None)
        if flow.rate <= 0:
            return
        need, kind = min((flow.remaining, "sent"), (flow.budget, "window"))
        self._schedule(flow, kind, max(need, 0.0) * 8 / flow.rate)

    def _schedule(self, flow: _Flow, kind: str, delay: float) -> None:
        token = next(self._tokens)
        flow.due[kind] = token
        heapq.heappush(self._heap, (self.env.now + delay, token, flow, kind))

    def _reallocate(self) -> None:
        flows = list(self._sending)
        rates = max_min_rates([f.resources for f in flows], [math.inf] * len(flows), self.capacity_bps)
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
