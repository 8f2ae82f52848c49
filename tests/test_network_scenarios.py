"""Network scenarios end to end: a file topology, and a link too slow for any model update."""
import pytest

import simdt


def test_rig_cluster_runs_over_its_topology():
    r = simdt.run("rig_cluster", overrides={"fl.rounds": 2, "fl.methods": ["fedavg"]})
    assert (r.rounds["participants"] > 0).all()
    paths = set(r.transfers.loc[r.transfers["kind"] == "update_up", "path"])
    assert paths and all("vsat_" in p and p.endswith("backhaul:up") for p in paths)


def test_lorawan_warns_up_front_and_ends_with_no_participants():
    with pytest.warns(UserWarning, match=r"3 of 3 sites cannot exchange .* deadline of 240 s.*-access, 50 bit/s"):
        r = simdt.run("lorawan_negative")
    assert (r.rounds["participants"] == 0).all() and len(r.rounds) == 3
    assert (r.transfers["outcome"] == "cancelled").all()


def test_fast_links_do_not_warn(recwarn):
    simdt.run("default", overrides={"fl.rounds": 1, "sites.count": 2, "evaluation.period": "1d"})
    assert not [w for w in recwarn if "cannot exchange" in str(w.message)]
