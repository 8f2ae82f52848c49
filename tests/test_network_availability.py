"""Availability windows, trace-driven capacity, drop-tail queues, and invariants over all of them."""
import math
from pathlib import Path

import pytest
import simpy
from hypothesis import given, settings, strategies as st

from simdt.network import LinkConfig, Network, ideal_transfer_time, star_topology
from simdt.network.availability import find_trace, load_trace
from simdt.rng import Streams

SHARED = Path(__file__).resolve().parents[1] / ".." / "shared"
MSS, HDR = 1448, 40


def make(links, seed=1, **kw):
    env = simpy.Environment()
    records = []
    return env, Network(env, links, Streams(seed).numpy, on_record=records.append, **kw), records


def test_windows_open_and_close_on_schedule():
    env, net, _ = make([LinkConfig("sat", "a", "b", 1e6, 1e6, 0.0, window_period_s=100.0, window_open_s=30.0,
                                   window_offset_s=50.0)])
    env.run(until=260)
    assert net.link_events == [(0.0, "sat", False), (50.0, "sat", True), (80.0, "sat", False),
                               (150.0, "sat", True), (180.0, "sat", False), (250.0, "sat", True)]


def test_an_outage_ending_while_the_window_is_shut_leaves_the_link_down():
    env, net, _ = make([LinkConfig("sat", "a", "b", 1e6, 1e6, 0.0, window_period_s=100.0, window_open_s=30.0)])

    def rain_fade():  # from 20 s to 50 s: across the window's close at 30 s
        yield env.timeout(20)
        net.set_link_state("sat", False, "outage")
        yield env.timeout(30)
        net.set_link_state("sat", True, "outage")

    env.process(rain_fade())
    env.run(until=120)
    assert net.link_events == [(20.0, "sat", False), (100.0, "sat", True)]


def test_a_window_as_long_as_its_period_never_closes():
    env, net, _ = make([LinkConfig("sat", "a", "b", 1e6, 1e6, 0.0, window_period_s=100.0, window_open_s=100.0,
                                   window_offset_s=30.0)])
    env.run(until=1000)
    assert net.link_events == [] and net.is_up("sat")


def test_a_process_due_when_a_window_opens_or_closes_sees_the_new_state():
    env = simpy.Environment()
    seen = []

    def round_starts():  # scheduled before the network exists, so plain timeouts would run first
        for t in (50.0, 80.0, 150.0):
            yield env.timeout(t - env.now)
            seen.append(net.is_up("sat"))

    env.process(round_starts())
    net = Network(env, [LinkConfig("sat", "a", "b", 1e6, 1e6, 0.0, window_period_s=100.0, window_open_s=30.0,
                                   window_offset_s=50.0)], Streams(1).numpy)
    env.run(until=200)
    assert seen == [True, False, True]


def test_transfer_waits_for_the_next_window_and_resumes_across_windows():
    # 10 s of data at 1 Mbps through windows of 4 s every 10 s: three windows of sending
    link = LinkConfig("sat", "a", "b", 1e6, 1e6, 0.0, window_period_s=10.0, window_open_s=4.0, window_offset_s=5.0)
    env, net, _ = make([link], transfer_timeout_s=60)
    proc = net.transfer("a", "b", 1_250_000 * MSS // (MSS + HDR), "m")
    env.run(until=proc)
    rec = proc.value
    assert rec.outcome == "delivered"
    wire_s = (rec.wire_bytes - 120) * 8 / 1e6  # handshake headers aside
    assert wire_s == pytest.approx(10.0, rel=1e-3)
    assert rec.t_end == pytest.approx(25 + (wire_s - 8), rel=1e-3)  # windows 5-9, 15-19, then 25 onwards


def test_window_closed_longer_than_timeout_fails_the_transfer():
    link = LinkConfig("sat", "a", "b", 1e6, 1e6, 0.0, window_period_s=3600.0, window_open_s=60.0)
    env, net, _ = make([link], transfer_timeout_s=300)
    proc = net.transfer("a", "b", 50_000_000, "m")
    env.run(until=4000)
    assert proc.value.outcome == "failed" and proc.value.t_end == pytest.approx(360.0)


def test_capacity_trace_sets_the_rate_each_second():
    # 1 Mbps then 3 Mbps, looping: 4 Mbit take 2 s (1 + 3)
    link = LinkConfig("lte", "a", "b", 5e6, 5e6, 0.0, trace_up_bps=(1e6, 3e6))
    env, net, _ = make([link], handshake=False)
    payload = 4_000_000 // 8 * MSS // (MSS + HDR)
    proc = net.transfer("a", "b", payload, "m")
    env.run(until=10)
    wire_bits = proc.value.wire_bytes * 8
    assert wire_bits == pytest.approx(4e6, rel=1e-3)
    assert proc.value.t_end == pytest.approx(1 + (wire_bits - 1e6) / 3e6, rel=1e-3)


def test_constant_trace_matches_the_closed_form():
    link = LinkConfig("lte", "a", "b", 1e9, 1e9, 0.05, trace_up_bps=(10e6,))
    env, net, _ = make([link])
    proc = net.transfer("a", "b", 1_000_000, "m")
    env.run(until=100)
    assert proc.value.t_end == pytest.approx(ideal_transfer_time(1_000_000, 10e6, 0.1), rel=1e-6)


def test_mahimahi_trace_counts_packets_per_second():
    path = SHARED / "traces" / "mahimahi" / "TMobile-LTE-short.up"
    stamps = path.read_text().split()
    bps = load_trace(path)
    assert len(bps) == math.ceil(int(stamps[-1]) / 1000)
    assert sum(bps) == len(stamps) * 1500 * 8
    assert 5e6 < sum(bps) / len(bps) < 30e6  # an LTE uplink, Mbps range


def test_throughput_csv_trace_and_missing_file():
    bps = load_trace(SHARED / "traces" / "5gophers" / "throughput_1s.csv")
    assert len(bps) > 10 and all(b >= 0 for b in bps)
    with pytest.raises(ValueError, match="no trace file"):
        find_trace("../shared/traces/none.up")


def test_queue_overflow_slows_a_crowd_and_retransmits():
    """Ten flows in slow start overrun a 100-packet buffer: overflowed segments are sent again."""
    def crowd(queue):
        links = [LinkConfig("neck", "r", "dst", 50e6, 50e6, 0.01, queue_packets=queue)]
        links += [LinkConfig(f"in{i}", f"s{i}", "r", 1e9, 1e9, 1e-4) for i in range(10)]
        env, net, _ = make(links)
        procs = [net.transfer(f"s{i}", "dst", 500_000, "m") for i in range(10)]
        env.run()
        return [p.value for p in procs]

    unlimited, queued = crowd(None), crowd(100)
    assert sum(r.retrans_bytes for r in unlimited) == 0 < sum(r.retrans_bytes for r in queued)
    assert max(r.t_end for r in queued) > max(r.t_end for r in unlimited)
    for r in queued:
        assert r.outcome == "delivered" and r.wire_bytes == r.delivered_bytes + r.lost_bytes


@settings(max_examples=15, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 3), st.integers(0, 2_000_000), st.floats(0, 30)), min_size=1, max_size=10),
       st.sampled_from([None, 5, 100]), st.booleans(), st.booleans(), st.integers(0, 2))
def test_invariants_with_queues_windows_and_traces(flows, queue, windowed, traced, loss_pct):
    access = {f"s{i}": dict(up_bps=1e6 * (i + 1), down_bps=3e6, delay_s=0.01 * (i + 1), loss=loss_pct / 100,
                            queue_packets=queue,
                            window_period_s=20.0 if windowed else None, window_open_s=12.0 if windowed else None,
                            trace_up_bps=(0.5e6, 4e6, 2e6) if traced else None) for i in range(3)}
    links = star_topology(["s0", "s1", "s2"], access, dict(up_bps=2.5e6, down_bps=4e6, delay_s=0.02, queue_packets=queue))
    env, net, records = make(links, transfer_timeout_s=1e6)
    times = []

    def check(load):
        times.append(env.now)
        for r, bps in load.items():
            assert bps <= net.capacity_bps[r] * (1 + 1e-9)  # no flow, nor all together, beyond a link's capacity

    net.on_allocate = check

    def start(site, size, at):
        yield env.timeout(at)
        yield net.transfer(f"s{site % 3}", "server", size, "m") if site < 3 else net.transfer("server", "s0", size, "m")

    for f in flows:
        env.process(start(*f))
    env.run(until=5000)
    assert times == sorted(times)  # time never runs backwards
    assert len(records) == len(flows)
    for rec in records:  # links come back and the timeout is long: everything arrives
        assert rec.outcome == "delivered" and rec.t_end >= rec.t_start
        assert rec.wire_bytes == rec.delivered_bytes + rec.lost_bytes
        assert rec.delivered_bytes >= rec.payload_bytes
