"""HTML + CSV reports for a run folder, a sweep folder (``sweep.json``) or a plan folder (``plan.json``)."""
from __future__ import annotations

import json
from pathlib import Path

from simdt.atomic import atomic_folder, check_target
from simdt.callable_module import make_callable
from simdt.scenario import ScenarioError


def build_page(src: str | Path, tariff=None):
    """The report of folder ``src`` as a page and its tables (name -> frame), without writing anything."""
    from simdt.report import build
    from simdt.report.page import Page
    from simdt.results import Results

    src = Path(src)
    if not src.is_dir():
        raise ScenarioError("not a run, sweep or plan folder", file=str(src))
    tables: dict = {}
    if (src / "plan.json").is_file():
        page = Page(f"Capacity plan: {src.name}")
        build.plan_report(src, page, tables)
    elif (src / "sweep.json").is_file():
        grid = json.loads((src / "sweep.json").read_text())["grid"]
        page = Page(f"Sweep: {src.name}" if grid else f"Run over seeds: {src.name}")
        build.sweep_report(src, page, tables, tariff)
    elif (src / "manifest.json").is_file():
        results = Results.load(src)
        page = Page(f"Communication-cost report: {results.manifest['scenario']['name']}")
        build.run_report(results, page, tables, tariff)
    else:
        raise ScenarioError("no manifest.json, sweep.json or plan.json: not a run, sweep or plan folder", file=str(src))
    return page, tables


def write_report(src: str | Path, out: str | Path | None = None, *, tariff=None, png: bool = True) -> Path:
    """Build the report of ``src`` into ``out`` (default ``reports/<folder name>``); returns the HTML path.
    ``tariff``: a ``CostSpec`` or 'per_gb=9.5 USD,per_month=25 USD', before the scenario's ``cost``.
    ``png``: also draw every figure as figures/NAME.png (print uses them). Written atomically (temp folder +
    rename), so a report is never half-written."""
    out = Path(out) if out else Path("reports") / Path(src).resolve().name
    check_target(out, "report.html")  # before the work of building the page
    page, tables = build_page(src, tariff)
    with atomic_folder(out, "report.html") as tmp:
        for name, table in tables.items():
            table.to_csv(tmp / f"{name}.csv", index=False)
        (tmp / "report.html").write_text(page.render(), encoding="utf-8")
        if png and page.figures:
            (tmp / "figures").mkdir()
            for name, data in page.pngs().items():
                (tmp / "figures" / f"{name}.png").write_bytes(data)
    return out / "report.html"


make_callable(__name__, write_report)
