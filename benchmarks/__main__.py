"""Run every benchmark (or those named) and write benchmarks/results/summary.json with the machine description.

    python -m benchmarks            # full size, by hand
    python -m benchmarks --quick    # reduced size (what CI runs, to prove they work)
    python -m benchmarks training network
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import time
import traceback
from importlib import import_module
from pathlib import Path

import torch

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"


def available() -> list[str]:
    return sorted(p.stem.removeprefix("bench_") for p in HERE.glob("bench_*.py"))


def machine() -> dict:
    return {"platform": platform.platform(), "processor": platform.processor() or platform.machine(),
            "cpus": os.cpu_count(), "python": platform.python_version(), "torch": torch.__version__,
            "torch_threads": torch.get_num_threads()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("names", nargs="*", help=f"benchmarks to run (default: all of {', '.join(available())})")
    parser.add_argument("--quick", action="store_true", help="reduced sizes, to prove the benchmarks work")
    args = parser.parse_args(argv)
    names = args.names or available()
    unknown = sorted(set(names) - set(available()))
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(unknown)}")
    summary = {"machine": machine(), "quick": args.quick, "benchmarks": {}}
    failed = []
    for name in names:
        print(f"\n== {name} ==", flush=True)
        t0 = time.perf_counter()
        try:
            result = import_module(f"benchmarks.bench_{name}").run(quick=args.quick)
        except Exception:  # one broken benchmark must not hide the others' figures
            traceback.print_exc()
            failed.append(name)
            continue
        summary["benchmarks"][name] = {"wall_s": time.perf_counter() - t0, "result": result}
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / ("summary-quick.json" if args.quick else "summary.json")
    tmp = out.with_suffix(".tmp")
    tmp.write_text(json.dumps(summary, indent=2, default=str))
    tmp.replace(out)
    print(f"\nwrote {out.relative_to(HERE.parent)}" + (f"; FAILED: {', '.join(failed)}" if failed else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
