"""Extreme but valid link rates run: a 50 bps uplink takes its bytes' time and overflows nothing."""
import pandas as pd

from simdt import cli


def test_a_50_bps_uplink_runs_and_uploads_take_at_least_their_serialization_time(tmp_path):
    out = tmp_path / "slow"
    assert cli.main(["run", "default", "--set", "sites.uplink.up=50bps", "--set", "fl.rounds=2",
                     "--set", "sites.count=2", "--quiet", "--out", str(out)]) == 0
    t = pd.read_parquet(out / "transfers.parquet")
    up = t[(t["kind"] == "update_up") & (t["outcome"] == "delivered")]
    assert len(up) > 0
    duration = up["t_end_s"] - up["t_start_s"]
    assert (duration >= up["payload_bytes"] * 8 / 50).all()  # never faster than the link's bit rate
