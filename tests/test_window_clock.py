"""Availability windows cannot stall the clock: every edge strictly advances time, whatever the float values,
and the link is up exactly the scheduled fraction of each period."""
import math

import simpy
from hypothesis import given, settings, strategies as st

from simdt.network.availability import windows


def run_windows(period, open_s, offset, horizon):
    env = simpy.Environment()
    changes = []
    limit = 4 * math.ceil(horizon / period) + 8  # two edges a period; a stall would call far more often

    def set_state(name, up):
        changes.append((env.now, up))
        assert len(changes) <= limit, f"clock stalled at {env.now}"

    env.process(windows(env, "l", period, open_s, offset, set_state))
    env.run(until=horizon)
    return changes


def up_time(changes, horizon, start=0.0):
    total = 0.0
    for (t, up), (t_next, _) in zip(changes, changes[1:] + [(horizon, None)]):
        if up:
            total += max(0.0, min(t_next, horizon) - max(t, start))
    return total


def test_the_reported_hangs_finish():
    # 10 s / 2.2 s hung the default scenario: 12.2 % 10 = 2.1999999999999993 put an edge 1e-15 s ahead
    for period, open_s in [(10, 2.2), (1, 0.3), (15, 14.7), (100, 33.3), (0.1, 0.05)]:
        horizon = 1000 * period
        changes = run_windows(period, open_s, 0.0, horizon)
        assert math.isclose(up_time(changes, horizon), open_s * 1000, rel_tol=1e-9)


@settings(max_examples=200, deadline=None)
@given(period=st.floats(1e-3, 1e5), frac=st.floats(0.0, 1.0, exclude_max=True), off=st.floats(0.0, 1.0),
       periods=st.integers(1, 300))
def test_windows_always_advance_and_are_up_the_scheduled_fraction(period, frac, off, periods):
    open_s, offset = frac * period, off * period
    horizon = offset + periods * period  # whole periods after the offset
    changes = run_windows(period, open_s, offset, horizon)
    assert all(b[0] >= a[0] for a, b in zip(changes, changes[1:]))
    assert math.isclose(up_time(changes, horizon, start=offset), periods * open_s, rel_tol=1e-6, abs_tol=1e-9 * horizon)


def test_a_window_as_long_as_its_period_never_closes():
    assert run_windows(5.0, 5.0, 0.0, 100.0) == [(0.0, True)]
