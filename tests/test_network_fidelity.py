"""Bursty loss, jitter, TLS and outage policies on top of the flow model."""
import numpy as np
import pytest
import simpy

from simdt.network import LinkConfig, Network, ideal_transfer_time
from simdt.network.burstloss import Channel, GilbertElliott
from simdt.network.tcp import handshake_bytes
from simdt.rng import Streams


def make(links, seed=1, **kw):
    env = simpy.Environment()
    return env, Network(env, links, Streams(seed).numpy, **kw)


def link(bps=10e6, delay=0.05, **kw):
    return LinkConfig("l", "a", "b", bps, bps, delay, **kw)


def send(env, net, payload=10_000_000, at=0.0):
    def go():
        yield env.timeout(at)
        return (yield net.transfer("a", "b", payload, "m"))
    return env.process(go())


def test_gilbert_elliott_long_run_rate_and_burstiness():
    ge = GilbertElliott(p=0.03, r=0.3, loss_bad=0.8, loss_good=0.01)
    ch, rng = Channel(ge, np.random.default_rng(0)), np.random.default_rng(1)
    # 20 segments per 100 ms round for 50,000 rounds
    ge_counts = np.array([rng.binomial(20, ch.loss(t * 0.1)) for t in range(50_000)])
    assert ge_counts.mean() / 20 == pytest.approx(ge.mean_loss, rel=0.05)
    assert ge.mean_loss == pytest.approx(0.03 / 0.33 * 0.8 + 0.3 / 0.33 * 0.01)
    bernoulli = rng.binomial(20, ge.mean_loss, size=50_000)
    assert ge_counts.var() > 5 * bernoulli.var()


def test_bursty_link_retransmits_and_is_slower_than_lossless():
    ge = GilbertElliott(p=0.05, r=0.3)  # bad 14 % of the time, in bursts of ~0.3 s
    env, net = make([link(bursty_loss=ge)])
    proc = send(env, net)
    env.run()
    rec = proc.value
    assert rec.outcome == "delivered" and rec.retrans_bytes > 0
    assert rec.wire_bytes == rec.delivered_bytes + rec.lost_bytes
    assert rec.t_end > ideal_transfer_time(10_000_000, 10e6, 0.1) + 1.0


def test_jitter_adds_its_mean_to_each_one_way_crossing():
    env, net = make([link(jitter_s=0.02)])
    procs = [send(env, net, 1000, at=10.0 * i) for i in range(2000)]
    env.run()
    extra = np.mean([p.value.t_end - p.value.t_start for p in procs]) - ideal_transfer_time(1000, 10e6, 0.1)
    # a small transfer crosses the path three times one way: SYN/SYN-ACK and the data
    assert extra == pytest.approx(3 * 0.02, rel=0.1)


@pytest.mark.parametrize("tls, rtts", [("tls13", 1), ("tls12", 2)])
def test_tls_adds_round_trips_and_bytes(tls, rtts):
    env, net = make([link()], tls=tls)
    proc = send(env, net, 1_000_000)
    env.run()
    rec = proc.value
    ideal = ideal_transfer_time(1_000_000, 10e6, 0.1, tls=tls)
    assert rec.t_end == pytest.approx(ideal, rel=1e-9)
    assert ideal - ideal_transfer_time(1_000_000, 10e6, 0.1) == pytest.approx(rtts * 0.1, abs=0.01)
    plain = ideal_transfer_time(1_000_000, 10e6, 0.1)
    assert ideal > plain + rtts * 0.1  # record framing costs a little line time too
    assert rec.wire_bytes - 1_000_000 > handshake_bytes(40, True, tls) > 5000


def outage(env, net, at, length):
    yield env.timeout(at)
    net.set_link_state("l", False)
    yield env.timeout(length)
    net.set_link_state("l", True)


def run_with_outage(**kw):
    env, net = make([link()], transfer_timeout_s=120, **kw)
    env.process(outage(env, net, 2.0, 5.0))
    proc = send(env, net)
    env.run()
    return proc.value


def test_outage_policies():
    resume, restart, fail = (run_with_outage(on_outage=p) for p in ("resume", "restart", "fail"))
    assert fail.outcome == "failed" and fail.t_end == 2.0 and fail.lost_bytes == fail.wire_bytes > 0
    assert resume.outcome == restart.outcome == "delivered"
    # restart resends the ~1.6 MB sent before the outage: that many more bytes and about that much more time
    wasted = restart.wire_bytes - resume.wire_bytes
    assert wasted == restart.retrans_bytes == restart.lost_bytes > 1_000_000  # incl. the second handshake
    assert restart.t_end - resume.t_end == pytest.approx(wasted * 8 / 10e6 + 0.1, abs=0.5)


def test_retries_send_a_failed_transfer_again_after_a_doubling_back_off():
    # down from 2 s to 7 s: tries at 0, 3 and 5 s fail (the last two at once), the one at 9 s gets through
    first = run_with_outage(on_outage="fail")
    short = run_with_outage(on_outage="fail", retries=2)
    assert short.outcome == "failed" and short.t_end == 5.0 and short.meta["attempts"] == 3
    enough = run_with_outage(on_outage="fail", retries=3)
    env, net = make([link()])
    clean = send(env, net)
    env.run()
    clean = clean.value
    assert enough.outcome == "delivered" and enough.meta["attempts"] == 4
    assert enough.t_end == pytest.approx(9.0 + clean.t_end)
    # the first try's bytes and the handshakes of the two that failed at once are lost, and all resent
    wasted = first.wire_bytes + 2 * handshake_bytes(40, True)
    assert enough.wire_bytes == clean.wire_bytes + wasted and enough.lost_bytes == wasted
    assert enough.delivered_bytes == clean.delivered_bytes


def test_rto_backoff_notices_the_link_late():
    # down at 2 s for 5 s: probes at 3, 5, 9 s (1, 2, 4 s back-off): resumes at 9 s, not 7 s
    plain, backoff = run_with_outage(), run_with_outage(rto_backoff=True)
    assert backoff.t_end - plain.t_end == pytest.approx(2.0, abs=0.05)


def test_scenario_fields_reach_the_network():
    from simdt import scenario
    from simdt.world import _link_kwargs

    r = scenario.load("default", {"sites.uplink.jitter": "5ms", "sites.uplink.bursty_loss": {"p": 0.02, "r": 0.3},
                                  "network.tls": "tls13", "network.on_outage": "restart", "network.retries": 2,
                                  "sites.uplink.queue_discipline": "fq_codel"})
    kw = _link_kwargs(r.uplink)
    assert kw["jitter_s"] == 0.005 and kw["bursty_loss"].mean_loss == pytest.approx(0.02 / 0.32)
    assert kw["queue_discipline"] == "fq_codel"
    net = r.scenario.network
    assert (net.tls, net.on_outage, net.retries) == ("tls13", "restart", 2)
    with pytest.raises(scenario.ScenarioError, match="retries"):
        scenario.load("default", {"network.retries": -1})
    with pytest.raises(scenario.ScenarioError, match="bursty_loss"):
        scenario.load("default", {"sites.uplink.bursty_loss": {"p": 0, "r": 0.3}})
    with pytest.raises(scenario.ScenarioError, match="on_outage"):
        scenario.load("default", {"network.on_outage": "retry"})


def test_bursty_lte_profile_runs_in_a_scenario():
    import simdt

    r = simdt.run("default", overrides={"sites.uplink": "lte_bursty", "fl.rounds": 2, "sites.count": 2,
                                        "fl.methods": ["fedavg"], "evaluation.period": "1d"})
    assert (r.rounds["participants"] > 0).any()


def test_a_transfer_cancelled_while_backing_off_loses_what_it_sent():
    first = run_with_outage(on_outage="fail")
    env, net = make([link()], transfer_timeout_s=120, on_outage="fail", retries=3)
    env.process(outage(env, net, 2.0, 5.0))
    proc = net.transfer("a", "b", 10_000_000, "m")

    def cancel():
        yield env.timeout(2.5)  # between the failure at 2 s and the retry at 3 s
        proc.interrupt()

    env.process(cancel())
    env.run(until=20)
    rec = proc.value
    assert rec.outcome == "cancelled" and rec.t_end == 2.5 and "attempts" not in rec.meta
    assert rec.wire_bytes == rec.lost_bytes == first.wire_bytes
