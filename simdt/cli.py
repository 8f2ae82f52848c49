"""Command line: ``simdt run | validate | list``."""
from __future__ import annotations

import argparse
import math
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import yaml

from simdt import scenario as scn

EPILOG_RUN = """examples:
  simdt run                                   # the default scenario (scenarios/default.yaml)
  simdt run scenarios/default.yaml --seed 7
  simdt run default --set fl.rounds=10 --set sites.uplink.up=2Mbps --out runs/slow-uplink
"""


def _parse_set(items: list[str]) -> dict:
    out = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise scn.ScenarioError(f"--set expects FIELD=VALUE, got {item!r}")
        out[key] = yaml.safe_load(value)
    return out


def _summary_table(summary) -> str:
    cols = [("method", "method", "{}"), ("rounds_to_target", "rounds to target", "{:.0f}"),
            ("hours_to_target", "sim hours to target", "{:.2f}"), ("wire_MB_to_target", "MB to target", "{:.3f}"),
            ("final_accuracy", "acc", "{:.3f}"), ("final_balanced_accuracy", "bal acc", "{:.3f}"),
            ("final_precision", "prec", "{:.3f}"), ("final_recall", "recall", "{:.3f}"), ("final_f1", "F1", "{:.3f}"),
            ("final_fpr", "FPR", "{:.3f}"), ("final_roc_auc", "AUC", "{:.3f}"), ("wire_MB", "MB total", "{:.3f}")]

    def fmt(key, value, pattern):
        if isinstance(value, float) and math.isnan(value):
            return "not reached" if key.endswith("_to_target") else "n/a"
        return pattern.format(value)

    rows = [[title for _, title, _ in cols]]
    for _, r in summary.iterrows():
        rows.append([fmt(key, r[key], pat) for key, _, pat in cols])
    widths = [max(len(row[i]) for row in rows) for i in range(len(cols))]
    lines = ["  ".join(cell.rjust(w) if i else cell.ljust(w) for i, (cell, w) in enumerate(zip(row, widths))) for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def cmd_run(args) -> int:
    from simdt.runner import run

    overrides = _parse_set(args.set)
    resolved = scn.load(args.scenario, {**overrides, **({"seed": args.seed} if args.seed is not None else {})})
    sc = resolved.scenario
    out = Path(args.out) if args.out else Path("runs") / f"{sc.name}-{datetime.now(timezone.utc):%Y%m%d-%H%M%S}"
    started = time.perf_counter()
    results = run(resolved, progress=not args.quiet)
    wall = time.perf_counter() - started
    results.manifest["wall_time_s"] = round(wall, 3)
    run_dir = results.save(out)
    target = sc.fl.target
    print(f"{sc.name}: {sc.sites.count} sites, {sc.fl.rounds} rounds, target {target.metric} >= {target.value:g}, seed {sc.seed}")
    print(_summary_table(results.summary))
    print(f"\nwall time {wall:.1f} s; results in {run_dir}")
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
    else:
        folder = {"twins": "twins", "networks": "networks", "scenarios": "scenarios"}[args.what]
        seen = set()
        for root in roots:
            for path in sorted((root / folder).glob("*.yaml")):
                if path.stem in seen:
                    continue
                seen.add(path.stem)
                data = yaml.safe_load(path.read_text()) or {}
                print(f"{path.stem:22s} {str(data.get('description', '')).strip().splitlines()[0] if data.get('description') else ''}")
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
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("validate", help="check scenario files without running them",
                       description="Validate scenarios: schema, units, catalog references. Exit 0 when all are valid, 2 otherwise.",
                       epilog="example:\n  simdt validate scenarios/default.yaml", formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("scenario", nargs="+", help="scenario YAML file(s) or names in scenarios/")
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser("list", help="show the catalogs: twins, networks, scenarios, methods, devices",
                       epilog="example:\n  simdt list networks", formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("what", choices=["twins", "networks", "scenarios", "methods", "devices"])
    p.set_defaults(func=cmd_list)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except scn.ScenarioError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
