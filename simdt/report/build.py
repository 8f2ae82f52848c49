"""Reports for a run folder, a sweep folder (a run over seeds is a sweep without a grid) or a plan folder: the
answer first, then compact tables and figures, the scenario's facts last; tables also written as CSV."""
from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from simdt import units
from simdt.report import activity, cost, figures, fmt, headline, traffic
from simdt.report.page import Card, Page
from simdt.results import Results
from simdt.scenario import Scenario


def _link_text(p: dict | None) -> str:
    if not p:
        return "none"
    text = f"{fmt.bandwidth(p['up'])} up / {fmt.bandwidth(p['down'])} down, {fmt.duration(p['delay'])} one-way, loss {p['loss']:g}"
    if p.get("mtbf"):
        text += f", outages every {units.format_duration(p['mtbf'])} for {units.format_duration(p['mttr'])} (means)"
    if p.get("window_period"):
        text += f", up {units.format_duration(p['window_open'])} of every {units.format_duration(p['window_period'])}"
    return text


def _facts(page: Page, sc: Scenario, m: dict, extra: dict | None = None) -> None:
    links, target = m.get("links") or {}, sc.fl.target
    page.facts({"scenario": sc.name, "description": sc.description, "source": m.get("source", ""), "seed": sc.seed,
                "sites": f"{sc.sites.count} x {sc.sites.twin} on {sc.sites.device}",
                "site uplink": _link_text(links.get("uplink")), "backhaul": _link_text(links.get("backhaul")),
                "rounds": f"{sc.fl.rounds}, one every {units.format_duration(sc.fl.round_every)}, deadline "
                          f"{units.format_duration(sc.fl.round_deadline)}, FL starts after {units.format_duration(sc.fl.start_after)}",
                "target": f"{target.metric} >= {target.value:g}, reached when it holds for {target.hold} evaluations in a row",
                "final metrics": f"mean of the last {sc.evaluation.final_rounds} rounds",
                **(extra or {}), "simdt": m.get("versions", {}).get("simdt", "?")})


def _target(sc: Scenario) -> tuple[str, str]:
    return f"{sc.fl.target.metric} ≥ {sc.fl.target.value:g}", sc.fl.target.metric


def run_report(results: Results, page: Page, tables: dict[str, pd.DataFrame], tariff=None, lead: bool = True) -> None:
    """Fill ``page`` and ``tables`` (name -> frame, written as NAME.csv) from one run. ``lead``: start with the
    headline and method table (a report over seeds leads with its own and shows one seed's figures)."""
    from simdt.world import site_names

    m = results.manifest
    sc = Scenario.model_validate(m["scenario"])
    tariff = cost.tariff_of(m["scenario"].get("cost"), tariff)
    sites, fl_start = site_names(sc), sc.fl.start_after
    target_text, metric = _target(sc)
    tables["summary"] = results.summary
    if lead:
        headline.show(page, results.summary, target_text, metric, tariff, sc.fl.target.hold)
        page.heading("Methods")
        page.table(headline.method_table(results.summary, metric, tariff), "summary.csv")
        page.table(headline.metrics_table(results.summary), "summary.csv")
        page.note(f"time = simulated time since FL start to the end of the round from which {metric} stays at or above "
                  f"the target for {sc.fl.target.hold} evaluations; wire = bytes on the wire incl. headers, handshakes and "
                  f"retransmissions; per site / month = a site's traffic in a simulated day of FL x 30; final = mean of "
                  f"the last {sc.evaluation.final_rounds} rounds.")

    rounds, t = results.rounds, results.transfers
    tables["rounds"] = rounds
    page.heading(f"{metric} against rounds, simulated time and bytes")
    page.figure(figures.curves(rounds, metric, sc.fl.target.value, fl_start))

    page.heading("Where the bytes go")
    tables["bytes_by_direction"] = traffic.by_direction(t)
    tables["bytes_by_category"] = traffic.by_category(t)
    page.figure(figures.bytes_bars(tables["bytes_by_direction"], tables["bytes_by_category"]))
    page.note("up = toward the server or twin host, down = toward the sites. Categories add up to the wire total: payload "
              "by message kind, then TCP/IP headers and handshakes (wire - payload - retransmitted) and retransmitted "
              "bytes. Messages between co-located nodes (a twin host beside the server) cross no link and cost nothing.")
    tables["bytes_by_codec"] = traffic.by_codec(t)
    page.table(tables["bytes_by_codec"], "bytes_by_codec.csv")
    page.note("per message kind, the codec its tensors crossed the link in (fl.compression); none = float32.")
    tables["bytes_by_link"] = traffic.by_link(t)
    page.figure(figures.links_dots(tables["bytes_by_link"]))

    page.heading("Link utilisation over time")
    links = m.get("links")
    edges, util = traffic.utilisation(t, links)
    tables["link_utilisation"] = traffic.utilisation_table(t, links)
    page.note("each transfer's wire bytes spread evenly over its duration on every link of its path, divided by the link "
              "direction's capacity: absolute utilisation on one log colour scale for every method; the 12 busiest link "
              "directions over all methods, in the same order in every panel.")
    for fig in figures.utilisation(edges, util, fl_start) if util else []:
        page.figure(fig)
    busy = tables["link_utilisation"].sort_values("utilisation_while_busy", ascending=False).head(12)
    page.table(pd.DataFrame({"method": busy["method"], "link direction": busy["link_dir"],
                             "capacity": busy["capacity_bps"].map(fmt.bandwidth), "wire": busy["wire_bytes"].map(fmt.size),
                             "busy": busy["busy_s"].map(fmt.duration),
                             "while busy": busy["utilisation_while_busy"].map(fmt.percent),
                             "mean": busy["mean_utilisation"].map(fmt.percent)}), "link_utilisation.csv")

    page.heading("Client activity")
    share_frames = []
    for method, r in rounds.groupby("method", sort=False):
        iv = activity.intervals(results, method, sites, r["t_end_s"].max())
        share_frames.append(activity.shares(iv, method, sites, fl_start, r["t_end_s"].max()))
        page.figure(figures.timeline(iv, sites[:40], r, method, fl_start))
    tables["client_activity"] = pd.concat(share_frames, ignore_index=True)
    mean = tables["client_activity"].drop(columns="site").groupby("method", sort=False).mean()
    page.table(mean.map(fmt.percent).reset_index(), "client_activity.csv")
    page.note("share of the FL period each client spent in each state (mean over sites; per site in the CSV); states "
              "may overlap (sending while receiving); waiting = none of them. Timelines show at most 40 sites.")

    page.heading("Projected traffic per site")
    fl_days = {meth: (r["t_end_s"].max() - fl_start) / 86400 for meth, r in rounds.groupby("method", sort=False)}
    tables["traffic_per_site"] = traffic.per_site(t, fl_days, sites)
    page.figure(figures.per_site_month(tables["traffic_per_site"], tariff))
    page.note("wire bytes a site sent and received per simulated day of FL (FL period per method), x 30 for a month; "
              "twin sync between server and twin host is not charged to sites."
              + (f" Tariff: {tariff.per_gb:g} {tariff.currency} per GB, {tariff.per_month:g} {tariff.currency} per site "
                 "per month." if tariff else ""))
    _facts(page, sc, m)


def seeds_report(sweep_dir: Path, spec: dict, page: Page, tables: dict[str, pd.DataFrame], tariff=None) -> None:
    """A run over seeds: headline and table of means with 95 % CIs, paired differences against FedAvg, then the
    figures of the first seed's run."""
    summary = pd.read_csv(sweep_dir / "sweep_summary.csv")
    paired = _read(sweep_dir / "sweep_paired.csv")
    first = Results.load(sweep_dir / "runs" / pd.read_csv(sweep_dir / "sweep.csv")["run"].iloc[0])
    sc = Scenario.model_validate(first.manifest["scenario"])
    tariff = cost.tariff_of(first.manifest["scenario"].get("cost"), tariff)
    target_text, metric = _target(sc)
    headline.show(page, summary, target_text, metric, tariff, sc.fl.target.hold, seeds=True)
    page.heading(f"Methods over {len(spec['seeds'])} seeds")
    tables["sweep_summary"] = summary
    page.table(headline.method_table(summary, metric, tariff, seeds=True), "sweep_summary.csv")
    page.table(headline.metrics_table(summary, seeds=True))
    page.note("mean over all seeds ± half-width of the 95 % confidence interval (Student's t). A seed that does not reach "
              "the target counts with the run's totals (its whole simulated time, rounds and bytes): a censored value, "
              "so where 'reached' is below all seeds the to-target means are lower bounds.")
    if not paired.empty:
        tables["sweep_paired"] = paired
        page.heading(f"Paired differences against {paired['baseline'].iloc[0]} (same seeds)")
        page.table(headline.paired_table(paired, metric), "sweep_paired.csv")
        page.note("per seed, method minus baseline on the same seed, then mean ± 95 % CI over seeds; an interval that "
                  "excludes 0 is a difference the seeds support. Censored pairs (either side unreached) enter with the "
                  "run's totals.")
    page.heading(f"Seed {sc.seed} in detail")
    run_report(first, page, {}, tariff, lead=False)


def _read(path: Path) -> pd.DataFrame:
    try:
        return pd.read_csv(path, keep_default_na=False, na_values=[""])
    except (FileNotFoundError, pd.errors.EmptyDataError):
        return pd.DataFrame()


def sweep_report(sweep_dir: Path, page: Page, tables: dict[str, pd.DataFrame], tariff=None) -> None:
    spec = json.loads((sweep_dir / "sweep.json").read_text())
    if not spec["grid"]:
        seeds_report(sweep_dir, spec, page, tables, tariff)
        return
    summary = _read(sweep_dir / "sweep_summary.csv")  # "null" is a point, not a missing value
    fields = list(spec["grid"])
    for f in fields:  # the grid's own values, as given (the CSV turned them into text or numbers), in axis order
        summary[f] = summary[f].map(lambda v, vals=spec["grid"][f]: next((g for g in vals if str(g) == str(v)), v))
    order = [figures.grid_axis(list(dict.fromkeys(summary[f])))[0] for f in fields]
    summary = summary.assign(**{f"_{i}": summary[f].map(o) for i, (f, o) in enumerate(zip(fields, order))})
    summary = summary.sort_values([f"_{i}" for i in range(len(fields))], kind="stable").drop(
        columns=[f"_{i}" for i in range(len(fields))]).reset_index(drop=True)
    first = Results.load(sweep_dir / "runs" / pd.read_csv(sweep_dir / "sweep.csv")["run"].iloc[0])
    sc = Scenario.model_validate(first.manifest["scenario"])
    target_text, metric = _target(sc)
    page.cards(_sweep_cards(summary, fields, target_text))
    tables["sweep_summary"] = summary
    for field in fields:
        page.heading(f"Against {field}")
        page.figure(figures.sweep_lines(summary, field, [f for f in fields if f != field], metric))
    page.heading("Summary over seeds")
    shown = summary[[*fields, "method"]].astype(str).copy()
    shown["reached"] = [f"{int(a)}/{int(b)}" for a, b in zip(summary["reached"], summary["seeds"])]
    for col, title, f in (("hours_to_target", "time to target", fmt.hours), ("wire_MB_to_target", "wire to target", fmt.megabytes),
                          ("wire_MB", "wire total", fmt.megabytes)):
        shown[title] = [fmt.ci(f(a), f(b)) for a, b in
                                                                  zip(summary[f"{col}_mean"], summary[f"{col}_ci95"])]
    shown[f"final {metric}"] = [fmt.ci(fmt.metric(a), fmt.metric(b)) for a, b in
                                zip(summary[f"final_{metric}_mean"], summary[f"final_{metric}_ci95"])]
    page.table(shown, "sweep_summary.csv")
    page.note("mean over all seeds ± 95 % CI; unreached seeds count with the run's totals (censored: a lower bound "
              "where 'reached' is below all seeds).")
    paired = _read(sweep_dir / "sweep_paired.csv")
    if not paired.empty:
        tables["sweep_paired"] = paired
    page.facts({"scenario": spec["scenario"], "grid": "; ".join(f"{k} = {v}" for k, v in spec["grid"].items()),
                "seeds": ", ".join(map(str, spec["seeds"])), "runs": spec["points"], "target": target_text,
                "simdt": first.manifest.get("versions", {}).get("simdt", "?")}, "Sweep")


def _sweep_cards(summary: pd.DataFrame, fields: list[str], target: str) -> list[Card]:
    """Per grid point, the method reaching the target soonest (mean over seeds, all seeds reaching first)."""
    lines = []
    for key, g in summary.groupby(fields, sort=False):
        key = key if isinstance(key, tuple) else (key,)
        where = ", ".join(f"{v}" for v in key)
        full = g[g["reached"] == g["seeds"]]
        if full.empty:
            lines.append(f"{where}: no method reaches it in every seed")
            continue
        best = full.loc[full["hours_to_target_mean"].idxmin()]
        lines.append(f"{where}: {best['method']} in {fmt.hours(best['hours_to_target_mean'])}, "
                     f"{fmt.megabytes(best['wire_MB_to_target_mean'])}")
    return [Card(f"Fastest to {target} at each point of {' x '.join(fields)}", f"{len(lines)} points", lines)]


def plan_report(plan_dir: Path, page: Page, tables: dict[str, pd.DataFrame]) -> None:
    spec = json.loads((plan_dir / "plan.json").read_text())
    plan, scan = pd.read_csv(plan_dir / "plan.csv"), pd.read_csv(plan_dir / "scan.csv")
    varies = spec.get("varies") or [{k: spec[k] for k in ("field", "lo", "hi", "unit", "better")}]
    vary, value = varies[0], fmt.value_of(varies[0]["unit"])
    lines = []
    for r in plan.to_dict("records"):
        where = f" at {varies[1]['field']} = {fmt.value_of(varies[1]['unit'])(r['value_2'])}" if len(varies) > 1 else ""
        lines.append(f"{r['method']}{where}: {headline.plan_sentence(r, vary['unit'], vary['better'])}")
    page.cards([Card(f"{'Smallest' if vary['better'] == 'higher' else 'Largest'} {vary['field']} reaching {spec['target']} "
                     f"within {spec['deadline']}", f"{len(plan)} answers", lines)])
    page.heading("Threshold per method")
    shown = pd.DataFrame({"method": plan["method"], "status": plan["status"], "threshold": plan["threshold"].map(value),
                          "fails at": plan["fail_bound"].map(value), "runs": plan["runs"]})
    if len(varies) > 1:
        shown.insert(1, varies[1]["field"], plan["value_2"].map(fmt.value_of(varies[1]["unit"])))
    tables["plan"], tables["scan"] = plan, scan
    page.table(shown, "plan.csv")
    page.note(f"threshold = the {'smallest' if vary['better'] == 'higher' else 'largest'} {vary['field']} at which the "
              f"target is reached within the deadline by at least {spec['pass_fraction']:.0%} of the seeds: the passing "
              "end of the final bracket [threshold, fails at]. 'reached' = holds for "
              f"{spec.get('hold', 1)} evaluations in a row.")
    if len(varies) > 1:
        page.heading("Pass/fail maps")
        for fig in figures.plan_maps(scan, varies):
            page.figure(fig)
    else:
        page.heading("Time to target over the range")
        page.figure(figures.plan_curve(scan, plan, vary, spec["deadline_s"], spec["pass_fraction"]))
    page.heading("Every point evaluated")
    page.table(pd.DataFrame({"method": scan["method"], "stage": scan["stage"], vary["field"]: scan["value"].map(value),
                             **({varies[1]["field"]: scan["value_2"].map(fmt.value_of(varies[1]["unit"]))} if len(varies) > 1 else {}),
                             "seeds in time": scan["pass_fraction"].map(fmt.percent),
                             "mean time to target": (scan["hours_to_target_mean"]).map(fmt.hours),
                             "P90": scan["hours_to_target_p90"].map(fmt.hours),
                             "passed": scan["passed"].map(lambda p: "yes" if p else "no")}), "scan.csv")
    page.facts({"scenario": spec["scenario"], "target": spec["target"], "deadline": spec["deadline"],
                "varied": "; ".join(f"{v['field']} from {fmt.value_of(v['unit'])(v['lo'])} to {fmt.value_of(v['unit'])(v['hi'])} "
                                    f"({v['better']} is better)" for v in varies),
                "seeds": f"{', '.join(map(str, spec['seeds']))}; a point passes when at least {spec['pass_fraction']:.0%} of them "
                         "reach the target in time",
                "tolerance": f"bisection stops when the bracket is within {spec['tolerance']:g} (relative)"}, "Plan")
