"""The fault suite: every fault kind alone and all together completes, accounts for every byte and every
client's round exactly once, and does what it says (crashes cut work short, outages pause rounds, DT methods
fall back, partitions and blackouts cut sites off)."""
import pytest

import simdt

H = 3600.0
BASE = {"sites.count": 4, "evaluation.period": "1d", "fl.methods": ["fedavg"], "fl.rounds": 10,
        "fl.start_after": "6h", "fl.round_every": "30min", "fl.round_deadline": "2min",
        # a wide model in few large batches: seconds of simulated training and upload for little real work
        "fl.local_epochs": 10, "fl.batch_size": 500, "fl.client_fraction": 1.0, "fl.hidden": [128, 128],
        "sites.uplink": {"profile": "rural_lte", "up": "256kbps", "mtbf": None, "mttr": None},
        "network.on_outage": "fail"}
FAULTS = {
    "crash": {"crash": [{"mtbf": "5s", "mttr": "5s"}]},
    "server": {"server": [{"at": "50min", "duration": "70min"}]},
    "twin_host": {"twin_host": [{"at": "20min", "duration": "1h"}]},
    "partition": {"partition": [{"sites": ["site00", "site01"], "at": "0s", "duration": "2h"}]},
    "blackout": {"blackout": [{"at": "3h", "duration": "1h"}]},
}
FAULTS["all"] = {k: v for f in FAULTS.values() for k, v in f.items()}
JOB_ENDS = {"arrived", "late", "surplus", "dropped", "gated_out", "unfinished"}


@pytest.fixture(scope="module", params=list(FAULTS))
def faulty(request):
    methods = ["fedavg", "fpf"] if "twin_host" in FAULTS[request.param] else ["fedavg"]  # a DT method to fall back
    return request.param, simdt.run("default", overrides={**BASE, "fl.methods": methods, "faults": FAULTS[request.param]})


def test_completes_and_accounts_for_every_byte_and_round(faulty):
    kind, r = faulty
    assert (r.rounds.groupby("method").size() == 10).all()
    t = r.transfers
    assert (t["wire_bytes"] == t["delivered_bytes"] + t["lost_bytes"]).all()
    assert (t["lost_bytes"] >= 0).all() and (t["delivered_bytes"] >= 0).all()
    assert (r.rounds.groupby("method")["cum_wire_bytes"].max() == t.groupby("method")["wire_bytes"].sum()).all()
    p = r.participation
    ends = p[p["event"].isin(JOB_ENDS) | ((p["event"] == "crash") & ~p["detail"].str.endswith("while idle"))]
    invited = r.rounds.groupby("method")["selected"].sum()
    assert (ends.groupby("method").size().reindex(invited.index, fill_value=0) == invited).all()  # each job ends once
    assert (t[t["kind"] == "model_down"].groupby("method").size() == invited).all()
    arrived = p[p["event"] == "arrived"]
    assert not arrived.duplicated(["method", "round", "client"]).any()
    assert (arrived.groupby(["method", "round"]).size().reindex(
        pd_index(r.rounds), fill_value=0).to_numpy() == r.rounds["participants"].to_numpy()).all()


def pd_index(rounds):
    import pandas as pd

    return pd.MultiIndex.from_frame(rounds[["method", "round"]])


def _window(at_h: float, hours: float) -> tuple[float, float]:
    start = 6 * H + at_h * H
    return start, start + hours * H


def test_each_fault_does_what_it_says(faulty):
    kind, r = faulty
    rounds, p = r.rounds, r.participation
    if kind in ("crash", "all"):
        crashes = p[p["event"] == "crash"]
        assert crashes["detail"].str.contains("while training").any() and crashes["detail"].str.contains("while upload").any()
        assert (crashes["t_end_s"] > crashes["t_start_s"]).all()
        assert (r.transfers["outcome"] == "cancelled").any()   # uploads cut off mid-way
    if kind == "server":
        lo, hi = _window(50 / 60, 70 / 60)
        assert not rounds["t_start_s"].between(lo, hi, inclusive="neither").any()   # no round starts while it is down
        assert rounds["t_start_s"].eq(hi).any()                                     # the paused round starts on return
    if kind in ("twin_host", "all"):
        lo, hi = _window(20 / 60, 1)
        fallbacks = p[(p["event"] == "twin_fallback") & (p["method"] == "fpf")]
        assert len(fallbacks) and fallbacks["t_start_s"].between(lo, hi).all()
        twin = r.compute[(r.compute["kind"] == "twin_train") & (r.compute["method"] == "fpf")]
        assert not twin["t_start_s"].between(lo, hi, inclusive="neither").any()
        assert not (p["method"] == "fedavg").pipe(lambda m: p[m & (p["event"] == "twin_fallback")]).shape[0]
    if kind in ("partition", "all"):
        lo, hi = _window(0, 2)
        cut = p[(p["event"] == "arrived") & p["client"].isin(["site00", "site01"])]
        assert not cut["t_end_s"].between(lo, hi).any()
        in_window = rounds[rounds["t_start_s"].between(lo, hi, inclusive="left")]
        assert (in_window["reachable"] <= 2).all() and len(in_window)
    if kind in ("blackout", "all"):
        lo, hi = _window(3, 1)                      # longer than the 2 min deadline: whole rounds without clients
        dark = rounds[rounds["t_start_s"].between(lo, hi, inclusive="left")]
        assert len(dark) >= 2 and (dark["reachable"] == 0).all() and (dark["participants"] == 0).all()
        assert (p.loc[p["event"] == "crash", "detail"].str.startswith("blackout")).sum() >= 4


def test_a_topology_link_can_be_partitioned():
    r = simdt.run("rig_cluster", overrides={"fl.rounds": 3, "fl.methods": ["fedavg"], "fl.round_every": "1h",
                                            "faults": {"partition": [{"link": "vsat_a", "at": "30min", "duration": "2h"}]}})
    start, events = r.manifest["scenario"]["fl"]["start_after"], r.links[r.links["link"] == "vsat_a"]

    def up_at(t):  # (GEO VSAT has rain fades of its own: it may be down already, or stay down longer)
        before = events[events["t_s"] <= t]
        return before["up"].iloc[-1] if len(before) else True

    assert not any(up_at(start + 1800 + dt) for dt in (0, 600, 3600, 7199))
    assert (r.rounds["reachable"].iloc[1:] < r.rounds["reachable"].iloc[0]).all()
