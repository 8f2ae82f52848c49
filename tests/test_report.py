"""The communication-cost report: tables agree with the run's own data, user strings are escaped, figures exist."""
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

import simdt
from simdt.cli import main
from simdt.report import activity, traffic, write_report
from simdt.report import fmt
from simdt.results import Results

EVIL = "<script>alert(1)</script>"


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("report")
    scenario = {"name": EVIL, "description": "a <b>bold</b> & risky description", "seed": 5,
                "sites": {"count": 3, "uplink": {"profile": "rural_lte", "mtbf": "20min", "mttr": "10min"}},
                "fl": {"methods": ["fedavg", "fedprox"], "rounds": 2, "start_after": "1d", "round_every": "30min"},
                "evaluation": {"period": "1d"}}
    path = folder / "evil.yaml"
    path.write_text(yaml.safe_dump(scenario))
    return simdt.run(path).save(folder / "run")


@pytest.fixture(scope="module")
def report_dir(run_dir) -> Path:
    return write_report(run_dir, run_dir.parent / "rep").parent


def test_report_escapes_user_strings_and_embeds_figures(report_dir):
    page = (report_dir / "report.html").read_text()
    assert EVIL not in page and "<b>bold</b>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "&lt;b&gt;bold&lt;/b&gt; &amp; risky" in page
    # the only scripts are BokehJS and the figures' own (JSON data, escaped by Bokeh)
    assert set(re.findall(r"<script[^>]*>", page.lower())) <= {"<script>", '<script type="text/javascript">',
                                                                '<script type="application/json" id="">'} | set(
        re.findall(r'<script type="application/json" id="[0-9a-f-]+">', page.lower()))
    figures = sorted(p.stem for p in (report_dir / "figures").glob("*.png"))
    assert figures == ["bytes", "curves", "links", "per-site", "timeline-fedavg", "timeline-fedprox", "util-fedavg",
                       "util-fedprox"]
    assert all(f'src="figures/{name}.png"' in page for name in figures)  # print uses the PNGs
    for section in ("Methods", "Where the bytes go", "Link utilisation over time", "Client activity",
                    "Projected traffic per site"):
        assert f"<h2>{section}" in page


def test_report_tables_match_the_run(run_dir, report_dir):
    t = pd.read_parquet(run_dir / "transfers.parquet")
    wire = t.groupby("method")["wire_bytes"].sum()
    cat = pd.read_csv(report_dir / "bytes_by_category.csv").set_index("method").sort_index()
    assert (cat.sum(axis=1) == wire).all()  # the categories add up to the wire total
    assert (cat >= 0).all().all()
    up = t[t["kind"] == "update_up"]
    sent = up.assign(p=np.minimum(up["payload_bytes"], up["wire_bytes"] - up["retrans_bytes"]))  # cut-short sends
    assert (cat["update upload"] == sent.groupby("method")["p"].sum()).all()
    d = pd.read_csv(report_dir / "bytes_by_direction.csv").set_index("method").sort_index()
    assert (d["up"] == t[t["dst"] == "server"].groupby("method")["wire_bytes"].sum()).all()
    assert (d["up"] + d["down"] == wire).all()
    links = pd.read_csv(report_dir / "bytes_by_link.csv").set_index("link_dir")
    on_link = t[t["path"].str.contains("site01-access:up", regex=False)].groupby("method")["wire_bytes"].sum()
    assert (links.loc["site01-access:up", on_link.index] == on_link).all()
    assert (links.loc["backhaul:up"] + links.loc["backhaul:down"] == wire[links.columns]).all()

    rounds = pd.read_parquet(run_dir / "rounds.parquet")
    per_site = pd.read_csv(report_dir / "traffic_per_site.csv")
    row = per_site[(per_site["method"] == "fedavg") & (per_site["site"] == "site02")].iloc[0]
    fa = t[t["method"] == "fedavg"]
    days = (rounds.loc[rounds["method"] == "fedavg", "t_end_s"].max() - 86400) / 86400
    site_bytes = fa.loc[(fa["src"] == "site02") | (fa["dst"] == "site02"), "wire_bytes"].sum()
    assert row["MB_per_month"] == pytest.approx(30 * site_bytes / days / 1e6)

    summary = pd.read_csv(report_dir / "summary.csv")
    assert summary["wire_MB"].tolist() == pytest.approx((wire[summary["method"]] / 1e6).tolist())
    page = (report_dir / "report.html").read_text()
    assert f"<td>{fmt.metric(float(summary['final_balanced_accuracy'][0]))}</td>" in page


def test_utilisation_conserves_bytes(run_dir):
    t = pd.read_parquet(run_dir / "transfers.parquet")
    links = json.loads((run_dir / "manifest.json").read_text())["links"]
    edges, util = traffic.utilisation(t, links, bins=50)
    width = np.diff(edges)
    for method, u in util.items():
        cap = np.array([traffic.capacity_bps(ld, links) for ld in u.index])
        carried = (u.to_numpy() * cap[:, None] * width[None, :] / 8).sum(axis=1)
        expected = traffic.hops(t[t["method"] == method]).groupby("link_dir")["wire_bytes"].sum()[u.index]
        np.testing.assert_allclose(carried, expected.to_numpy(), rtol=1e-9)


def test_client_activity_intervals_and_shares(run_dir):
    results = Results.load(run_dir)
    sites = ["site00", "site01", "site02"]
    end = results.rounds["t_end_s"].max()
    iv = activity.intervals(results, "fedavg", sites, end)
    assert set(iv["state"]) >= {"training", "sending", "receiving", "offline"}  # 20 min MTBF: outages happen
    assert (iv["t1_s"] >= iv["t0_s"]).all()
    shares = activity.shares(iv, "fedavg", sites, 86400, end)
    assert ((shares[["offline", "training", "sending", "receiving", "waiting"]] >= 0).all().all())
    assert (shares["waiting"] <= 1).all()
    assert activity.union_s([(0, 2), (1, 3), (5, 6)], 0, 10) == 4


def test_report_cli(run_dir, tmp_path, capsys):
    assert main(["report", str(run_dir), "--out", str(tmp_path / "r")]) == 0
    assert (tmp_path / "r" / "report.html").is_file()
    assert main(["report", str(tmp_path / "missing")]) == 2
    assert "not a run, sweep or plan folder" in capsys.readouterr().err
