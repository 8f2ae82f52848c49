"""Capacity planning: field parsing, and a threshold the transfer-time formula predicts exactly."""
import math

import pandas as pd
import pytest
import yaml

import simdt
from simdt import scenario as scn
from simdt.cli import main
from simdt.network.tcp import ideal_transfer_time
from simdt.plan import parse_target, parse_vary

# One site on an always-up lossless link, one round, deadline 1 s: the round reaches "participants >= 1"
# exactly when the update crosses the uplink before the round deadline.
ONE_SITE = {"name": "one-site", "seed": 3, "sites": {"count": 1, "uplink": {"up": "1Mbps", "down": "100Mbps", "delay": "20ms"}},
            "network": {"backhaul": "fiber_backhaul"},
            "fl": {"methods": ["fedavg"], "rounds": 1, "round_deadline": "1s", "start_after": "1d"},
            "evaluation": {"period": "1d"}}


def test_parse_vary_units_and_direction():
    v = parse_vary("sites.uplink.up=100kbps..20Mbps")
    assert (v.lo, v.hi, v.unit, v.better, v.geometric) == (1e5, 2e7, "bit/s", "higher", True)
    assert parse_vary("sites.uplink.delay=10ms..2s").better == "lower"
    assert parse_vary("sites.uplink.mttr=1min..2h").hi == 7200
    assert parse_vary("sites.uplink.mtbf=1h..1d").better == "higher"
    assert parse_vary("uplink.bandwidth=1Mbps..5Mbps").fields() == ("sites.uplink.up", "sites.uplink.down")
    assert parse_vary("fl.client_fraction=0.1..1", better="higher").unit == ""
    v = parse_vary("sites.uplink.loss=0..0.1")
    assert not v.geometric and v.scan(3) == [0, 0.05, 0.1] and v.between(0, 0.1) == 0.05
    for bad, better in (("sites.uplink.up=5Mbps..1Mbps", None), ("sites.uplink.up=1..", None),
                        ("sites.uplink.up=1parsec..2Mbps", None), ("fl.client_fraction=0.1..1", None)):
        with pytest.raises(scn.ScenarioError):
            parse_vary(bad, better)
    assert parse_target("participants=1") == ("participants", 1.0)
    with pytest.raises(scn.ScenarioError):
        parse_target("accuracy")


@pytest.mark.parametrize("text", ["f1=2", "f1=0", "balanced_accuracy=-0.1", "roc_auc=1.01", "participants=0", "f1=nan"])
def test_impossible_targets_are_refused_at_parse_time(text):
    with pytest.raises(scn.ScenarioError, match="target"):
        parse_target(text)


def test_listed_values_are_the_scan_points():
    v = parse_vary("sites.uplink.up=1Mbps,256kbps,512kbps")
    assert v.sizes == (256e3, 512e3, 1e6) and v.scan(5) == [1e6, 512e3, 256e3]  # good end first
    assert parse_vary("sites.uplink.delay=300ms,100ms").scan(5) == [0.1, 0.3]  # lower is better
    with pytest.raises(scn.ScenarioError):
        parse_vary("sites.uplink.up=1Mbps,1Mbps")


def test_never_and_always_reached_are_answers(tmp_path):
    path = tmp_path / "one.yaml"
    path.write_text(yaml.safe_dump(ONE_SITE))
    common = ["--deadline", "1h", "--vary", "sites.uplink.up=500kbps..1Mbps", "--scan", "2", "--workers", "1", "--quiet"]
    assert main(["plan", str(path), "--target", "participants=1", "--out", str(tmp_path / "always"), *common]) == 0
    always = pd.read_csv(tmp_path / "always" / "plan.csv").iloc[0]
    assert always["status"] == "passes over the whole range" and always["threshold"] == 5e5
    assert main(["plan", str(path), "--target", "f1=0.999", "--out", str(tmp_path / "never"), *common]) == 0  # no crash
    never = pd.read_csv(tmp_path / "never" / "plan.csv").iloc[0]
    assert never["status"] == "fails over the whole range" and math.isnan(never["threshold"])
    page = (tmp_path / "never" / "report" / "report.html").read_text()
    assert "never reaches the target in time, even at 1 Mbps" in page


def test_two_fields_give_a_pass_fail_map(tmp_path):
    path = tmp_path / "one.yaml"
    path.write_text(yaml.safe_dump(ONE_SITE))
    assert main(["plan", str(path), "--target", "participants=1", "--deadline", "1h", "--vary", "sites.uplink.up=5kbps,1Mbps",
                 "--vary", "sites.uplink.delay=10ms,100ms", "--workers", "1", "--out", str(tmp_path / "map"), "--quiet"]) == 0
    plan = pd.read_csv(tmp_path / "map" / "plan.csv")
    assert sorted(plan["value_2"]) == [0.01, 0.1]  # one answer per value of the second field
    assert (plan["threshold"] == 1e6).all() and (plan["fail_bound"] == 5e3).all()  # 5 kbps misses the 1 s round
    scan = pd.read_csv(tmp_path / "map" / "scan.csv")
    assert len(scan) == 4 and (scan["passed"] == (scan["value"] == 1e6)).all()
    assert "Pass/fail maps" in (tmp_path / "map" / "report" / "report.html").read_text()


@pytest.mark.slow
def test_plan_brackets_the_transfer_time_threshold(tmp_path):
    path = tmp_path / "one.yaml"
    path.write_text(yaml.safe_dump(ONE_SITE))
    # what comes before the upload (model download, training) does not depend on the uplink's up rate
    ref = simdt.run(path)
    up = ref.transfers[ref.transfers["kind"] == "update_up"].iloc[0]
    rtt = 2 * (0.020 + 0.005)  # access + fibre backhaul one-way delays
    assert up["t_end_s"] - up["t_start_s"] == pytest.approx(ideal_transfer_time(int(up["payload_bytes"]), 1e6, rtt), abs=1e-9)
    budget = 1.0 - (up["t_start_s"] - ref.rounds["t_start_s"].iloc[0])
    lo, hi = 1e3, 1e6  # ideal_transfer_time falls as bandwidth grows: bisect for where it equals the budget
    while hi / lo > 1 + 1e-9:
        mid = math.sqrt(lo * hi)
        lo, hi = (lo, mid) if ideal_transfer_time(int(up["payload_bytes"]), mid, rtt) <= budget else (mid, hi)
    threshold = hi

    out = tmp_path / "plan"
    assert main(["plan", str(path), "--target", "participants=1", "--deadline", "1h", "--vary",
                 "sites.uplink.up=5kbps..1Mbps", "--scan", "4", "--tolerance", "0.02", "--workers", "1",
                 "--out", str(out), "--quiet"]) == 0
    plan = pd.read_csv(out / "plan.csv").iloc[0]
    assert plan["status"] == "bracketed" and plan["better"] == "higher"
    assert plan["fail_bound"] < threshold <= plan["threshold"] <= plan["fail_bound"] * 1.02
    scan = pd.read_csv(out / "scan.csv")
    assert (scan["passed"] == (scan["value"] >= plan["threshold"])).all()  # monotone, as bisection assumes
    page = (out / "report" / "report.html").read_text()
    assert "Threshold per method" in page and (out / "report" / "figures" / "plan.png").is_file()
