"""Command line: ``simdt run | validate | list | report | sweep | plan``."""
from __future__ import annotations

import argparse
import os
import math
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import yaml

from simdt import scenario as scn
from simdt.atomic import MARKER, OutputFolderError, check_target

EPILOG_RUN = """examples:
  simdt run                                   # the default scenario (scenarios/default.yaml)
  simdt run scenarios/default.yaml --seed 7
  simdt run default --set fl.rounds=10 --set sites.uplink.up=2Mbps --out runs/slow-uplink
  simdt run default --seeds 5 --tariff 'per_gb=9.5 USD,per_month=25 USD'   # means, 95 % CIs, report
"""


def _parse_set(items: list[str]) -> dict:
    out = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise scn.ScenarioError(f"--set expects FIELD=VALUE, got {item!r}")
        out[key] = yaml.safe_load(value)
    return out


def cmd_run(args) -> int:
    from simdt.report import cost, fmt
    from simdt.report.headline import method_table
    from simdt.runner import run

    overrides = _parse_set(args.set)
    resolved = scn.load(args.scenario, {**overrides, **({"seed": args.seed} if args.seed is not None else {})})
    sc = resolved.scenario
    out = Path(args.out) if args.out else Path("runs") / f"{sc.name}-{datetime.now(timezone.utc):%Y%m%d-%H%M%S}"
    if args.tariff:
        cost.parse_tariff(args.tariff)  # a bad tariff fails before anything runs
    check_target(out, MARKER if args.seeds > 1 else "manifest.json")  # refused before, not after, the simulation
    if args.seeds > 1:
        return _run_seeds(args, overrides, sc, out)
    started = time.perf_counter()
    results = run(resolved, progress=not args.quiet)
    wall = time.perf_counter() - started
    results.manifest["wall_time_s"] = round(wall, 3)
    run_dir = results.save(out)
    target = sc.fl.target
    print(f"{sc.name}: {sc.sites.count} sites, {sc.fl.rounds} rounds, target {target.metric} >= {target.value:g}, seed {sc.seed}")
    print(fmt.text_table(method_table(results.summary, target.metric, cost.tariff_of(sc.model_dump(mode="json").get("cost"), args.tariff))))
    gap = results.manifest["twin_gap"]
    print(f"twin-vs-real gap (D_twin vs held-out real features): MMD^2 {gap['mmd']:.4f}, sliced Wasserstein {gap['swd']:.3f}")
    print(f"\nwall time {wall:.1f} s; results in {run_dir}")
    if args.tariff:
        from simdt.report import write_report

        print(f"report {write_report(run_dir, run_dir / 'report', tariff=args.tariff)}")
    return 0


def _run_seeds(args, overrides: dict, sc, out: Path) -> int:
    """``run --seeds N``: the scenario at N consecutive seeds (a sweep without a grid), then means with 95 % CIs
    and paired differences against FedAvg."""
    import pandas as pd

    from simdt.report import cost, fmt, write_report
    from simdt.report.headline import method_table, paired_table
    from simdt.sweep import sweep

    seeds = list(range(sc.seed, sc.seed + args.seeds))
    started = time.perf_counter()
    sweep(args.scenario, {}, seeds, out, base=overrides, workers=args.workers, progress=not args.quiet)
    summary = pd.read_csv(out / "sweep_summary.csv")
    target = sc.fl.target
    print(f"{sc.name}: {sc.sites.count} sites, {sc.fl.rounds} rounds, target {target.metric} >= {target.value:g}, "
          f"seeds {seeds[0]}..{seeds[-1]}: mean ± 95 % CI (unreached seeds count as the whole run)")
    tariff = cost.tariff_of(sc.model_dump(mode="json").get("cost"), args.tariff)
    print(fmt.text_table(method_table(summary, target.metric, tariff, seeds=True)))
    paired = pd.read_csv(out / "sweep_paired.csv")
    if not paired.empty:
        print(f"\npaired differences against {paired['baseline'].iloc[0]} (same seeds):")
        print(fmt.text_table(paired_table(paired, target.metric)))
    print(f"\nwall time {time.perf_counter() - started:.1f} s; runs in {out}; report {write_report(out, out / 'report', tariff=args.tariff)}")
    return 0


def cmd_validate(args) -> int:
    for name in args.scenario:
        resolved = scn.load(name)
        sc = resolved.scenario
        methods = ", ".join(n for n, _ in resolved.methods)
        print(f"{resolved.source}: ok ({sc.name}: {sc.sites.count} x {sc.sites.twin}, methods {methods}, {sc.fl.rounds} rounds)")
    return 0


def cmd_list(args) -> int:
    from simdt.devices import DEVICES
    from simdt.fl.methods import METHODS

    roots = scn.catalog_dirs(None)
    if args.what == "methods":
        for name, cls in METHODS.items():
            print(f"{name:10s} {(cls.__doc__ or sys.modules[cls.__module__].__doc__ or '').strip().splitlines()[0]}")
    elif args.what == "devices":
        for d in DEVICES.values():
            print(f"{d.name:16s} {d.effective_flops / 1e9:8.2f} GFLOP/s effective  ({d.source})")
    elif args.what == "mechanisms":
        for where, model in scn.MECHANISMS.items():
            print(f"{where}: {' '.join(model.__doc__.split())}")
            for name, f in model.model_fields.items():
                default = "required" if f.is_required() else f"default {f.default!r}"
                print(f"    {name:22s} {default}{'; ' + f.description if f.description else ''}")
    else:
        folder = {"twins": "twins", "networks": "networks", "scenarios": "scenarios"}[args.what]
        seen = set()
        for root in roots:
            for path in sorted((root / folder).glob("*.yaml")):
                if path.stem in seen:
                    continue
                seen.add(path.stem)
                data = yaml.safe_load(path.read_text()) or {}
                text = " ".join(str(data.get("description") or "").split())
                print(f"{path.stem:22s} {text if len(text) <= 100 else text[:99] + '…'}")
    return 0


EPILOG_REPORT = """examples:
  simdt report runs/pump-fleet-lte-20260101-120000         # -> reports/pump-fleet-lte-20260101-120000/report.html
  simdt report runs/sweep-pump-fleet-lte --out reports/uplink-sweep
"""

EPILOG_SWEEP = """examples:
  simdt sweep default --grid sites.uplink.up=1Mbps,5Mbps --grid fl.client_fraction=0.3,0.5 --seeds 3
  simdt sweep default --grid sites.uplink.up=1Mbps,5Mbps --scheduler tcp://127.0.0.1:8786 --out runs/uplink
Rerun the same command to resume an interrupted sweep: finished runs are kept, the rest run.
"""

EPILOG_PLAN = """examples:
  simdt plan job_oil_rig_vsat --target balanced_accuracy=0.8 --deadline 20s --vary sites.uplink.up=4kbps..1Mbps
  simdt plan job_oil_rig_vsat --target balanced_accuracy=0.8 --deadline 20s --vary sites.uplink.up=8kbps,64kbps,256kbps,1Mbps
  simdt plan default --target f1=0.7 --deadline 2d --vary sites.uplink.mttr=1min..2h --seeds 3 --pass-fraction 0.67
Bandwidth and MTBF: higher is better (finds the smallest that passes); delay, loss, MTTR: lower is better
(finds the largest that passes); other numeric fields need --better.
"""


def _seeds(scenario: str, base: dict, n: int) -> list[int]:
    if n < 1:
        raise scn.ScenarioError(f"--seeds must be at least 1, got {n}")
    first = scn.load(scenario, base).scenario.seed
    return list(range(first, first + n))


def _out_dir(args, kind: str, scenario: str, base: dict) -> Path:
    """Default: runs/KIND-NAME, a fixed name, so that rerunning the same command resumes it."""
    return Path(args.out) if args.out else Path("runs") / f"{kind}-{scn.load(scenario, base).scenario.name}"


def cmd_report(args) -> int:
    from simdt.report import write_report

    print(f"report written to {write_report(args.folder, args.out, tariff=args.tariff)}")
    return 0


def cmd_sweep(args) -> int:
    from simdt.sweep import parse_grid, sweep

    base, grid = _parse_set(args.set), parse_grid(args.grid)
    out = _out_dir(args, "sweep", args.scenario, base)
    table = sweep(args.scenario, grid, _seeds(args.scenario, base, args.seeds), out, base=base, workers=args.workers,
                  scheduler=args.scheduler, progress=not args.quiet)
    print(f"{len(table)} rows ({table['run'].nunique()} runs) in {out / 'sweep.csv'}; means and 95 % CIs over seeds in {out / 'sweep_summary.csv'}")
    return 0


def cmd_plan(args) -> int:
    from simdt import units
    from simdt.plan import parse_target, parse_vary, plan
    from simdt.report import fmt, write_report
    from simdt.report.headline import plan_sentence

    base = _parse_set(args.set)
    target = parse_target(args.target)
    varies = [parse_vary(text, args.better if i == 0 else None) for i, text in enumerate(args.vary)]
    try:
        deadline = units.duration_s(args.deadline)
    except units.UnitError as exc:
        raise scn.ScenarioError(str(exc), field="--deadline") from None
    out = _out_dir(args, "plan", args.scenario, base)
    table = plan(args.scenario, varies, target, deadline, out, seeds=_seeds(args.scenario, base, args.seeds), base=base,
                 pass_fraction=args.pass_fraction, scan_points=args.scan, tolerance=args.tolerance,
                 workers=args.workers, scheduler=args.scheduler, progress=not args.quiet)
    for r in table.to_dict("records"):
        where = f" at {varies[1].field} = {fmt.value_of(varies[1].unit)(r['value_2'])}" if "value_2" in r else ""
        print(f"{r['method']}{where}: {plan_sentence(r, varies[0].unit, varies[0].better)}")
    print(f"plan in {out / 'plan.csv'}; report {write_report(out, out / 'report')}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="simdt",
        description="Simulate federated anomaly detection for industrial IoT over simulated networks: "
                    "compare methods in simulated hours and bytes on the wire.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="Run 'simdt COMMAND --help' for a command's options.",
    )
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("run", help="simulate a scenario and write a run folder",
                       description="Simulate every method of a scenario on one clock; print a summary "
                                   "and write tables (Parquet + CSV) and a manifest to a run folder.",
                       epilog=EPILOG_RUN, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("scenario", nargs="?", default=scn.DEFAULT_SCENARIO,
                   help="scenario YAML file or a name in scenarios/ (default: %(default)s)")
    p.add_argument("--seed", type=int, help="override the scenario's seed")
    p.add_argument("--set", action="append", default=[], metavar="FIELD=VALUE",
                   help="override a scenario field, e.g. fl.rounds=10 (repeatable)")
    p.add_argument("--out", help="run folder (default: runs/NAME-TIMESTAMP)")
    p.add_argument("--seeds", type=int, default=1, metavar="N",
                   help="run N consecutive seeds from the scenario's (or --seed): means with 95 %% CIs, paired "
                        "differences against FedAvg, and a report (default 1)")
    p.add_argument("--workers", type=int, help="with --seeds: local worker processes (default: one per core)")
    p.add_argument("--tariff", metavar="per_gb=AMOUNT,per_month=AMOUNT",
                   help="traffic tariff for the report, e.g. 'per_gb=9.5 USD,per_month=25 USD' (before the scenario's cost)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("validate", help="check scenario files without running them",
                       description="Validate scenarios: schema, units, catalog references. Exit 0 when all are valid, 2 otherwise.",
                       epilog="example:\n  simdt validate scenarios/default.yaml", formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("scenario", nargs="+", help="scenario YAML file(s) or names in scenarios/")
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser("list", help="show the catalogs: twins, networks, scenarios, methods, devices; and the "
                       "scenario fields of mechanisms (compression, gating, aggregation, fleets, faults)",
                       epilog="example:\n  simdt list networks", formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("what", choices=["twins", "networks", "scenarios", "methods", "devices", "mechanisms"])
    p.set_defaults(func=cmd_list)

    p = sub.add_parser("report", help="HTML + CSV communication-cost report of a run, sweep or plan folder",
                       description="Write report.html (figures embedded) and CSV tables for a run folder (from 'simdt run'), "
                                   "a sweep folder or a plan folder.",
                       epilog=EPILOG_REPORT, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("folder", help="run, sweep or plan folder")
    p.add_argument("--out", help="report folder (default: reports/FOLDER-NAME)")
    p.add_argument("--tariff", metavar="per_gb=AMOUNT,per_month=AMOUNT",
                   help="traffic tariff, e.g. 'per_gb=9.5 USD,per_month=25 USD' (before the scenario's cost section)")
    p.set_defaults(func=cmd_report)

    def parallel(p):
        p.add_argument("--seeds", type=int, default=1, help="seeds per point: the scenario's seed and the next N-1 (default 1)")
        p.add_argument("--set", action="append", default=[], metavar="FIELD=VALUE", help="fixed override (repeatable)")
        p.add_argument("--workers", type=int, help="local worker processes (default: one per core)")
        p.add_argument("--scheduler", metavar="ADDRESS", help="run on this Dask scheduler instead, e.g. tcp://host:8786")
        p.add_argument("--quiet", action="store_true", help="no progress bar")

    p = sub.add_parser("sweep", help="run a scenario over a grid of field values and seeds (local processes or Dask)",
                       description="Run every combination of --grid values x seeds; each run is stored under "
                                   "OUT/runs/<hash of its resolved config>, so reruns resume; writes sweep.csv/.parquet "
                                   "(one row per run and method) and sweep_summary.csv (means and 95 % CIs over seeds), sweep_paired.csv (paired differences against FedAvg).",
                       epilog=EPILOG_SWEEP, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("scenario", help="scenario YAML file or a name in scenarios/")
    p.add_argument("--grid", action="append", required=True, metavar="FIELD=V1,V2",
                   help="a dotted scenario field and its values, each read as YAML (repeatable)")
    p.add_argument("--out", help="sweep folder (default: runs/sweep-SCENARIO-NAME)")
    parallel(p)
    p.set_defaults(func=cmd_sweep)

    p = sub.add_parser("plan", help="capacity planning: the worst link value at which each method still meets a target",
                       description="For each method, find by a log-spaced scan and bisection the worst value of --vary at "
                                   "which the target is reached within --deadline (simulated time since FL start); "
                                   "writes plan.csv, scan.csv and a report.",
                       epilog=EPILOG_PLAN, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("scenario", help="scenario YAML file or a name in scenarios/")
    p.add_argument("--target", required=True, metavar="METRIC=VALUE", help="e.g. balanced_accuracy=0.8 (reached when >= VALUE)")
    p.add_argument("--deadline", required=True, metavar="DURATION", help="simulated time since FL start, e.g. 2d")
    p.add_argument("--vary", required=True, action="append", metavar="FIELD=LO..HI|V1,V2,...",
                   help="e.g. sites.uplink.up=100kbps..20Mbps, uplink.bandwidth=1Mbps..50Mbps (both directions), "
                        "sites.uplink.mttr=1min..2h; a list (sites.uplink.up=256kbps,512kbps,1Mbps) tries only those "
                        "values (standard plan sizes); given twice: a pass/fail map over both fields")
    p.add_argument("--better", choices=["higher", "lower"], help="which direction of the first --vary field is better (default: from its name)")
    p.add_argument("--pass-fraction", type=float, default=1.0, help="fraction of seeds that must pass (default 1)")
    p.add_argument("--scan", type=int, default=5, help="points in the coarse scan (default 5)")
    p.add_argument("--tolerance", type=float, default=0.05, help="relative bracket width to stop bisecting (default 0.05)")
    p.add_argument("--out", help="plan folder (default: runs/plan-SCENARIO-NAME)")
    parallel(p)
    p.set_defaults(func=cmd_plan)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except (scn.ScenarioError, OutputFolderError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # output piped into `head` and the like
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


if __name__ == "__main__":
    sys.exit(main())
