"""Reports for a run folder, a sweep folder or a plan folder: tables written as CSV beside one HTML page."""
from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from simdt import units
from simdt.report import activity, figures, traffic
from simdt.report.page import Page
from simdt.results import Results
from simdt.scenario import Scenario

SUMMARY_COLS = ["method", "target", "rounds_to_target", "hours_to_target", "wire_MB_to_target", "rounds", "sim_hours",
                "wire_MB", "messages_failed", "final_accuracy", "final_balanced_accuracy", "final_precision",
                "final_recall", "final_f1", "final_fpr", "final_roc_auc"]


def _link_text(p: dict | None) -> str:
    if not p:
        return "none"
    text = f"{p['up'] / 1e6:g} Mbps up / {p['down'] / 1e6:g} Mbps down, "
    text += f"{p['delay'] * 1e3:g} ms one-way, loss {p['loss']:g}"
    if p.get("mtbf"):
        text += f", outages every {units.format_duration(p['mtbf'])} for {units.format_duration(p['mttr'])} (means)"
    if p.get("window_period"):
        text += f", up {units.format_duration(p['window_open'])} of every {units.format_duration(p['window_period'])}"
    return text


def run_report(results: Results, page: Page, tables: dict[str, pd.DataFrame]) -> None:
    """Fill ``page`` and ``tables`` (name -> frame, written as NAME.csv) from one run's results."""
    from simdt.world import site_names

    m = results.manifest
    sc = Scenario.model_validate(m["scenario"])
    sites = site_names(sc)
    fl_start, target = sc.fl.start_after, sc.fl.target
    links = m.get("links")
    page.facts({"scenario": sc.name, "description": sc.description, "source": m.get("source", ""), "seed": sc.seed,
                "sites": f"{sc.sites.count} x {sc.sites.twin} on {sc.sites.device}",
                "site uplink": _link_text((links or {}).get("uplink")), "backhaul": _link_text((links or {}).get("backhaul")),
                "rounds": f"{sc.fl.rounds}, one every {units.format_duration(sc.fl.round_every)}, deadline "
                          f"{units.format_duration(sc.fl.round_deadline)}, FL starts after {units.format_duration(fl_start)}",
                "target": f"{target.metric} >= {target.value:g}", "simdt": m.get("versions", {}).get("simdt", "?")})

    page.heading("Methods")
    summary = results.summary[[c for c in SUMMARY_COLS if c in results.summary]]
    tables["summary"] = summary
    page.table(summary, "summary.csv")
    page.note("hours are simulated hours since FL start; MB are wire megabytes (10^6 B) including headers, handshakes "
              "and retransmissions; '–' = not reached within the run.")

    page.heading(f"{target.metric} against rounds, simulated time and bytes")
    rounds = results.rounds
    tables["rounds"] = rounds
    page.figure(figures.curves(rounds, target.metric, target.value, fl_start), "target metric curves")

    t = results.transfers
    page.heading("Bytes on the wire by direction and category")
    tables["bytes_by_direction"] = traffic.by_direction(t)
    tables["bytes_by_category"] = traffic.by_category(t)
    page.table(tables["bytes_by_direction"], "bytes_by_direction.csv")
    page.table(tables["bytes_by_category"], "bytes_by_category.csv")
    page.note("bytes. up = toward the server or twin host, down = toward the sites. Categories add up to the wire total: "
              "payload by message kind, then TCP/IP headers and handshakes (wire - payload - retransmitted) and retransmitted bytes. "
              "Messages between co-located nodes (a twin host beside the server) cross no link and cost nothing.")
    page.figure(figures.stacked_bars([("by direction", tables["bytes_by_direction"]),
                                      ("by category", tables["bytes_by_category"])]), "bytes by direction and category")
    tables["bytes_by_codec"] = traffic.by_codec(t)
    page.table(tables["bytes_by_codec"], "bytes_by_codec.csv")
    page.note("per message kind, the codec its tensors crossed the link in (fl.compression); none = float32.")

    page.heading("Bytes by link direction")
    tables["bytes_by_link"] = traffic.by_link(t)
    page.table(tables["bytes_by_link"], "bytes_by_link.csv")
    page.figure(figures.links_bars(tables["bytes_by_link"]), "bytes by link")

    page.heading("Link utilisation over time")
    edges, util = traffic.utilisation(t, links)
    tables["link_utilisation"] = traffic.utilisation_table(t, links)
    page.note("each transfer's wire bytes spread evenly over its duration on every link of its path, divided by the "
              "link direction's capacity from the run's link profiles (fractions, 1 = full). FL traffic comes in short "
              "bursts, so the table leads with utilisation while busy; the 12 busiest link directions are shown.")
    if util:
        page.figure(figures.utilisation_heatmaps(edges, util, fl_start), "link utilisation heatmaps")
    page.table(tables["link_utilisation"].sort_values("utilisation_while_busy", ascending=False).head(12),
               "link_utilisation.csv")

    page.heading("Client activity")
    share_frames = []
    for method, r in rounds.groupby("method", sort=False):
        iv = activity.intervals(results, method, sites, r["t_end_s"].max())
        share_frames.append(activity.shares(iv, method, sites, fl_start, r["t_end_s"].max()))
        page.figure(figures.timeline(iv, sites[:40], r, method, fl_start), f"{method} client activity")
    tables["client_activity"] = pd.concat(share_frames, ignore_index=True)
    page.note("fraction of the FL period each client spent offline, training, sending, receiving (mean over sites; "
              "per site in the CSV); waiting = none of these. Timelines show at most 40 sites.")
    page.table(tables["client_activity"].drop(columns="site").groupby("method", sort=False).mean().reset_index(),
               "client_activity.csv")

    page.heading("Projected traffic per site")
    fl_days = {meth: (r["t_end_s"].max() - fl_start) / 86400 for meth, r in rounds.groupby("method", sort=False)}
    tables["traffic_per_site"] = traffic.per_site(t, fl_days, sites)
    agg = tables["traffic_per_site"].groupby("method", sort=False)[["MB_per_day", "MB_per_month"]].agg(["mean", "max"])
    agg.columns = [f"{a} ({b} over sites)" for a, b in agg.columns]
    page.table(agg.reset_index(), "traffic_per_site.csv")
    page.note("wire bytes a site sent and received per simulated day of FL (FL period per method), x 30 for a month; "
              "twin sync between server and twin host is not charged to sites.")
    page.figure(figures.per_site_month(tables["traffic_per_site"]), "projected traffic per site")


def sweep_report(sweep_dir: Path, page: Page, tables: dict[str, pd.DataFrame]) -> None:
    spec = json.loads((sweep_dir / "sweep.json").read_text())
    summary = pd.read_csv(sweep_dir / "sweep_summary.csv", keep_default_na=False, na_values=[""])  # "null" is a point
    page.facts({"scenario": spec["scenario"], "grid": "; ".join(f"{k} = {v}" for k, v in spec["grid"].items()),
                "seeds": ", ".join(map(str, spec["seeds"])), "runs": spec["points"]})
    page.heading("Summary over seeds (mean and std)")
    tables["sweep_summary"] = summary
    page.table(summary, "sweep_summary.csv")
    fields = list(spec["grid"])
    for field in fields:
        page.heading(f"Against {field}")
        page.figure(figures.sweep_lines(summary, field, [f for f in fields if f != field]), f"sweep over {field}")


def plan_report(plan_dir: Path, page: Page, tables: dict[str, pd.DataFrame]) -> None:
    spec = json.loads((plan_dir / "plan.json").read_text())
    plan, scan = pd.read_csv(plan_dir / "plan.csv"), pd.read_csv(plan_dir / "scan.csv")
    page.facts({"scenario": spec["scenario"], "target": spec["target"], "deadline": spec["deadline"],
                "varied": f"{spec['field']} from {spec['lo']:g} to {spec['hi']:g} {spec['unit']} ({spec['better']} is better)",
                "seeds": f"{', '.join(map(str, spec['seeds']))}; a point passes when at least {spec['pass_fraction']:.0%} of them reach the target in time",
                "tolerance": f"bisection stops when the bracket is within {spec['tolerance']:g} (relative)"})
    page.heading("Threshold per method")
    page.note(f"threshold = the {'smallest' if spec['better'] == 'higher' else 'largest'} {spec['field']} at which the "
              f"target is reached within the deadline: the passing end of the final bracket [fail, pass].")
    tables["plan"], tables["scan"] = plan, scan
    page.table(plan, "plan.csv")
    page.heading("Time to target over the range")
    page.figure(figures.plan_curve(scan, plan, spec["field"], spec["deadline_s"] / 3600, spec["unit"]), "plan curve")
    page.table(scan, "scan.csv")
