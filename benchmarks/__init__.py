"""Performance benchmarks: each ``bench_*.py`` module has ``run(quick: bool) -> dict`` and writes its own
JSON under ``benchmarks/results/``; ``python -m benchmarks`` runs them all. Ratios are measured within one run."""
