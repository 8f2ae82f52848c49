"""Bottleneck queues: CoDel's control law (RFC 8289), HyStart's ACK train, FQ-CoDel links in the flow model."""
import math

import pytest

from simdt import scenario
from simdt.network.codel import CODEL_INTERVAL_S, CODEL_TARGET_S, CoDel
from simdt.network.tcp import hystart_train_exit, ideal_transfer_time
from simdt.world import _link_kwargs

from test_network import MSS, link, run_one


def rfc_drop_times(first_above: float, horizon: float) -> list[float]:
    """RFC 8289: a drop when the sojourn has been above target for an interval, then every interval/sqrt(count)."""
    times, count, t = [], 1, first_above
    while t <= horizon:
        times.append(t)
        count += 1
        t += CODEL_INTERVAL_S / math.sqrt(count - 1)
    return times


@pytest.mark.parametrize("step", [0.01, 0.037, 0.25])
def test_codel_drops_follow_the_control_law_whatever_the_sampling(step):
    codel, t, total = CoDel(), 0.0, 0
    while t < 2.0:
        total += codel.drops(t, t + step, sojourn_s=0.02, backlog_packets=1e6)
        t += step
    assert total == len(rfc_drop_times(CODEL_INTERVAL_S, t))
    assert codel.dropping and codel.count == total


def test_codel_spares_short_queues_and_forgets_when_below_target():
    codel = CoDel()
    assert codel.drops(0, 1, sojourn_s=CODEL_TARGET_S / 2, backlog_packets=50) == 0
    assert codel.drops(1, 2, sojourn_s=1.0, backlog_packets=1) == 0  # never the last packet
    assert codel.drops(2, 2.05, sojourn_s=1.0, backlog_packets=50) == 0  # not yet an interval above target
    assert codel.drops(2.05, 2.5, sojourn_s=1.0, backlog_packets=50) > 0
    assert codel.drops(2.5, 2.6, sojourn_s=0.001, backlog_packets=50) == 0 and not codel.dropping


def test_codel_drops_at_most_all_but_one_queued_packet():
    codel = CoDel()
    assert codel.drops(0, 10, sojourn_s=1.0, backlog_packets=4.2) == 4
    assert not codel.dropping  # the queue is down to one packet


def test_codel_drop_odds_follow_its_current_rate():
    codel = CoDel()
    assert codel.drop_odds(1.0, 100, 0.001) == 0.0  # not dropping
    n = codel.drops(0, 0.5, sojourn_s=1.0, backlog_packets=1e6)
    assert codel.drop_odds(1.0, 100, 0.001) == pytest.approx(0.001 * math.sqrt(n) / CODEL_INTERVAL_S)
    assert codel.drop_odds(0.001, 100, 0.001) == 0.0  # below target


def test_hystart_needs_a_dense_ack_train_that_fills_the_pipe():
    seg = MSS + 52
    assert hystart_train_exit(100, 84, 50e6, seg)        # ACKs 0.48 ms apart, window beyond the pipe
    assert not hystart_train_exit(60, 84, 50e6, seg)     # the window does not yet fill the pipe
    assert not hystart_train_exit(12, 8, 50e6, seg)      # below HyStart's low window
    assert not hystart_train_exit(100, 84, 5e6, seg)     # a slow share: ACKs 4.8 ms apart form no train


def test_fq_codel_long_flow_runs_near_the_ideal_and_codel_drops():
    bps, delay, payload = 50e6, 0.01, 20_000_000
    fq = run_one([link(bps=bps, delay=delay, queue_packets=10, queue_discipline="fq_codel")], "a", "b", payload)
    ideal = ideal_transfer_time(payload, bps, 2 * delay, header_bytes=40)
    assert fq.outcome == "delivered" and fq.retrans_bytes > 0  # CoDel dropped and TCP resent
    assert ideal <= fq.t_end <= 1.1 * ideal


def test_queue_discipline_is_checked_and_reaches_the_link():
    with pytest.raises(ValueError, match="queue_discipline"):
        link(queue_discipline="red")
    p = scenario.LinkProfile(up=1e6, down=1e6, delay=0.01, queue_packets=100, queue_discipline="fq_codel")
    assert _link_kwargs(p)["queue_discipline"] == "fq_codel"
    with pytest.raises(Exception, match="queue_discipline"):
        scenario.LinkProfile(up=1e6, down=1e6, delay=0.01, queue_discipline="red")
