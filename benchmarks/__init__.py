"""Performance benchmarks: each ``bench_*.py`` module has ``run(quick: bool) -> dict`` and writes its own
JSON under ``benchmarks/results/``; ``python -m benchmarks`` runs them all. Ratios are measured within one run."""
from __future__ import annotations

import json
from pathlib import Path


def write_result(path: Path, result: dict) -> None:
    """A benchmark's JSON, written atomically (temporary file, then rename)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(result, indent=2))
    tmp.replace(path)
