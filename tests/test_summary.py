"""Per-method summary and statistics over seeds: 'reached' holds, 'final' is a mean of the last rounds, CIs and
paired differences follow their formulas, unreached seeds are censored at the run's totals."""
import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

from simdt import stats
from simdt.results import reached_index, summarize


def rounds_of(values, method="m"):
    n = len(values)
    return pd.DataFrame({"method": method, "round": range(1, n + 1), "t_start_s": [3600.0 * i for i in range(n)],
                         "t_end_s": [3600.0 * i + 60 for i in range(n)], "balanced_accuracy": values,
                         "f1": values, "cum_wire_bytes": [1000 * (i + 1) for i in range(n)]})


NO_TRANSFERS = pd.DataFrame(columns=["method", "src", "dst", "wire_bytes", "payload_bytes", "outcome"])


def test_reached_is_the_first_round_from_which_the_target_holds():
    v = [0.5, 0.85, 0.6, 0.81, 0.82, 0.9, 0.7]
    assert reached_index(v, 0.8, 1) == 1  # the first crossing
    assert reached_index(v, 0.8, 3) == 3  # 0.81, 0.82, 0.9 in a row
    assert reached_index(v, 0.8, 4) is None
    assert reached_index([0.9, 0.95], 0.8, 3) == 0  # a run shorter than hold: all of it must pass
    assert reached_index([0.9, np.nan, 0.9], 0.8, 2) is None  # a missing evaluation does not pass


def test_summary_final_is_mean_of_last_rounds_and_fall_back_is_flagged():
    v = [0.5, 0.85, 0.86, 0.87, 0.6, 0.55, 0.58]  # crosses at round 2, holds 3 rounds, ends below
    s = summarize(rounds_of(v), NO_TRANSFERS, "balanced_accuracy", 0.8, 0.0, hold=3, final_rounds=3).iloc[0]
    assert s["rounds_to_target"] == 2 and s["first_crossing_round"] == 2
    assert s["hours_to_target"] == pytest.approx((3600 + 60) / 3600)
    assert s["wire_MB_to_target"] == pytest.approx(2000 / 1e6)
    assert s["final_balanced_accuracy"] == pytest.approx(np.mean([0.6, 0.55, 0.58]))
    assert s["fell_back"] and s["dips_after_crossing"] == 3
    held = summarize(rounds_of([0.5, 0.9, 0.91, 0.92]), NO_TRANSFERS, "balanced_accuracy", 0.8, 0.0, 3, 2).iloc[0]
    assert not held["fell_back"] and held["rounds_to_target"] == 2
    never = summarize(rounds_of([0.5, 0.9, 0.5, 0.9]), NO_TRANSFERS, "balanced_accuracy", 0.8, 0.0, 2, 1).iloc[0]
    assert np.isnan(never["rounds_to_target"]) and not never["fell_back"]  # ends at 0.9: crossed, did not hold


def seeds_table():
    # two methods x four seeds; fedprox misses the target on seed 3
    rows = []
    for seed, (a, b) in enumerate([(10, 8), (12, 9), (11, np.nan), (9, 7)], start=1):
        for method, h in (("fedavg", a), ("fedprox", b)):
            rows.append({"method": method, "seed": seed, "rounds_to_target": h, "hours_to_target": h,
                         "wire_MB_to_target": h / 10, "rounds": 20, "sim_hours": 20.0, "wire_MB": 2.0,
                         "final_f1": 0.5 + 0.01 * seed + (0.1 if method == "fedprox" else 0), "fell_back": False})
    return pd.DataFrame(rows)


def test_over_seeds_censors_unreached_seeds_and_gives_t_intervals():
    out = stats.over_seeds(seeds_table(), []).set_index("method")
    fp = out.loc["fedprox"]
    censored = [8, 9, 20, 7]  # the unreached seed counts with the whole run (20 h)
    assert fp["seeds"] == 4 and fp["reached"] == 3 and fp["censored"] == 1 and fp["reached_fraction"] == 0.75
    assert fp["hours_to_target_mean"] == pytest.approx(np.mean(censored))
    half = sps.t.ppf(0.975, 3) * np.std(censored, ddof=1) / 2
    assert fp["hours_to_target_ci95"] == pytest.approx(half)
    assert fp["hours_to_target_p90"] == np.inf  # the P90 of four seeds is the worst: not reached
    assert out.loc["fedavg", "hours_to_target_p90"] == 12
    assert stats.ci95([1.0]) != stats.ci95([1.0])  # NaN: no interval from one seed


def test_paired_differences_use_the_same_seed():
    p = stats.paired(seeds_table(), []).iloc[0]
    diffs = np.array([8 - 10, 9 - 12, 20 - 11, 7 - 9], dtype=float)
    assert p["method"] == "fedprox" and p["baseline"] == "fedavg" and p["pairs"] == 4 and p["censored_pairs"] == 1
    assert p["hours_to_target_diff_mean"] == pytest.approx(diffs.mean())
    assert p["hours_to_target_diff_ci95"] == pytest.approx(sps.t.ppf(0.975, 3) * diffs.std(ddof=1) / 2)
    assert p["final_f1_diff_mean"] == pytest.approx(0.1)
    assert stats.paired(seeds_table().query("method == 'fedprox'"), []).empty  # no baseline, no differences
