"""Reports lead with the answer: the headline names the fastest method with its time, bytes and monthly cost; no
figure is drawn without data; sweep axes are real, sorted and logarithmic where they span a decade; runs over
seeds report means with 95 % CIs and paired differences."""
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

import simdt
from simdt import scenario as scn
from simdt.cli import main
from simdt.report import build_page, cost, fmt
from simdt.report.charts import Chart, Figure, Series
from simdt.report.figures import grid_axis
from simdt.report.page import Page

SMALL = {"name": "small", "seed": 3, "sites": {"count": 2, "uplink": "rural_lte"},
         "fl": {"methods": ["fedavg", "fedprox"], "rounds": 4, "start_after": "1d",
                "target": {"metric": "balanced_accuracy", "value": 0.6, "hold": 2}},
         "evaluation": {"period": "1d", "final_rounds": 2}, "cost": {"per_gb": "9.5 USD", "per_month": "20 USD"}}


@pytest.fixture(scope="module")
def small(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("answer") / "small.yaml"
    path.write_text(yaml.safe_dump(SMALL))
    return path


@pytest.fixture(scope="module")
def run_dir(small) -> Path:
    return simdt.run(small).save(small.parent / "run")


def _charts(page: Page) -> list[Chart]:
    return [c for f in page.figures for c in f.panels]


def test_run_page_leads_with_the_fastest_method_and_its_cost(run_dir):
    page, tables = build_page(run_dir)
    s = tables["summary"]
    reached = s.dropna(subset=["hours_to_target"])
    html = page.render()
    headline = html.index('class="cards headline"')
    assert headline < html.index("<figure")  # the answer comes before any figure
    if len(reached):
        best = reached.loc[reached["hours_to_target"].idxmin()]
        card = html[headline:html.index("</div></div>", headline)]
        assert f"{best['method']}: {fmt.hours(best['hours_to_target'])}" in card
        month = 20 + 9.5 * best["site_MB_per_month"] / 1e3  # per site: fixed fee + price per GB x traffic
        assert fmt.money(month, "USD") in card
    per_site = tables["traffic_per_site"].groupby("method")["MB_per_month"].mean()
    assert s.set_index("method")["site_MB_per_month"].to_dict() == pytest.approx(per_site.to_dict())
    for chart in _charts(page):
        assert chart.points() > 0, chart.name  # no figure without data
    scales = {id(c.scale) for c in _charts(page) if c.kind == "heatmap"}
    assert len(scales) == 1  # one utilisation colour scale for every method


def test_a_figure_without_data_is_a_note():
    page = Page("t")
    page.figure(Figure("empty", "nothing here", [Chart("e", "e", "line", series=[Series("fedavg", [1.0], [math.nan])])]))
    assert page.figures == [] and "nothing here: no data to show." in page.render()


def test_grid_values_go_on_a_real_sorted_axis():
    xs, unit, log, _ = grid_axis(["10Mbps", "1Mbps", "20Mbps", "500kbps", "5Mbps"])
    assert unit == "Mbps" and log
    assert sorted(xs, key=xs.get) == ["500kbps", "1Mbps", "5Mbps", "10Mbps", "20Mbps"] and xs["500kbps"] == 0.5
    xs, unit, log, _ = grid_axis([1, 2, 5, 10])
    assert [xs[v] for v in (1, 2, 5, 10)] == [1, 2, 5, 10] and log and unit == ""
    xs, _, log, _ = grid_axis([0.3, 0.5])
    assert not log
    xs, _, log, ticks = grid_axis(["null", "8h"])  # not all quantities: in the order given, labelled
    assert xs == {"null": 0.0, "8h": 1.0} and ticks == {0.0: "null", 1.0: "8h"} and not log


def test_tariff_from_the_scenario_or_the_command_line():
    t = cost.parse_tariff("per_gb=9.5 USD,per_month=25 USD")
    assert (t.per_gb, t.per_month, t.currency) == (9.5, 25.0, "USD")
    assert cost.monthly(t, 2000) == pytest.approx(25 + 9.5 * 2)
    assert cost.tariff_of({"per_gb": 1.0, "currency": "EUR"}, None).currency == "EUR"
    assert cost.tariff_of({"per_gb": 1.0, "currency": "EUR"}, "per_gb=2 USD").per_gb == 2.0
    for bad in ("per_gb=9.5", "per_gb=1 USD,per_month=2 EUR", "per_gb=-1 USD", "9.5 USD"):
        with pytest.raises(scn.ScenarioError):
            cost.parse_tariff(bad)


def test_human_formats():
    assert [fmt.duration(s) for s in (0.0005, 1.84, 150, 7200, 3 * 86400)] == ["0.5 ms", "1.84 s", "2.5 min", "2.00 h", "3.00 d"]
    assert [fmt.size(b) for b in (512, 3306, 134_400, 4e6, 2.5e9)] == ["512 B", "3.31 kB", "134 kB", "4 MB", "2.5 GB"]
    assert [fmt.bandwidth(b) for b in (64e3, 4e6, 1.5e9)] == ["64 kbps", "4 Mbps", "1.5 Gbps"]
    assert fmt.hours(float("nan"), "not reached") == "not reached" and fmt.number(134400) == "134,400"
    assert fmt.percent(2e-6) == "< 0.001 %"


@pytest.mark.slow
def test_run_over_seeds_reports_means_with_confidence_intervals(small, tmp_path, capsys):
    out = tmp_path / "seeds"
    assert main(["run", str(small), "--seeds", "3", "--workers", "1", "--out", str(out), "--quiet"]) == 0
    printed = capsys.readouterr().out
    assert "mean ± 95 % CI" in printed and "paired differences against fedavg" in printed
    table = pd.read_csv(out / "sweep.csv")
    summary = pd.read_csv(out / "sweep_summary.csv").set_index("method")
    assert sorted(table["seed"].unique()) == [3, 4, 5]
    f1 = table[table["method"] == "fedprox"]["final_f1"]
    assert summary.loc["fedprox", "final_f1_mean"] == pytest.approx(f1.mean())
    assert summary.loc["fedprox", "final_f1_ci95"] == pytest.approx(4.3027 * f1.std(ddof=1) / np.sqrt(3), rel=1e-4)
    paired = pd.read_csv(out / "sweep_paired.csv").iloc[0]
    wide = table.pivot(index="seed", columns="method", values="final_f1")
    assert paired["final_f1_diff_mean"] == pytest.approx((wide["fedprox"] - wide["fedavg"]).mean())
    html = (out / "report" / "report.html").read_text()
    assert "Run over seeds" in html and 'class="cards headline"' in html and "Paired differences against fedavg" in html


@pytest.mark.slow
def test_sweep_report_plots_grid_values_in_order(small, tmp_path):
    out = tmp_path / "sweep"
    simdt.sweep(small, {"sites.uplink.up": ["5Mbps", "500kbps", "20Mbps"]}, [3], out, workers=1, progress=False)
    page, _ = build_page(out)
    charts = _charts(page)
    assert charts and all(c.x_log for c in charts)  # 0.5 to 20 Mbps spans a decade
    for c in charts:
        for s in c.series:
            assert s.x == sorted(s.x) and s.x[0] == pytest.approx(0.5) and c.points() > 0
    assert page.render().index('class="cards headline"') < page.render().index("<figure")


def test_python_api_verbs(run_dir):
    from simdt.results import Results

    for verb in (simdt.sweep, simdt.plan, simdt.report):
        assert callable(verb)
    assert simdt.sweep.parse_grid(["fl.rounds=1,2"]) == {"fl.rounds": [1, 2]}  # still the module too
    text = repr(Results.load(run_dir))
    assert text.startswith("<Results 'small' seed 3: 2 methods") and len(text) < 200
