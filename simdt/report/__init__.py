"""HTML + CSV reports for a run folder, a sweep folder (``sweep.json``) or a plan folder (``plan.json``)."""
from __future__ import annotations

from pathlib import Path

from simdt.atomic import atomic_folder
from simdt.report import build
from simdt.report.page import Page
from simdt.results import Results
from simdt.scenario import ScenarioError


def write_report(src: str | Path, out: str | Path | None = None) -> Path:
    """Build the report of ``src`` into ``out`` (default ``reports/<folder name>``); returns the HTML path.
    The folder is written atomically (temp folder + rename) so a report is never half-written."""
    src = Path(src)
    if not src.is_dir():
        raise ScenarioError("not a run, sweep or plan folder", file=str(src))
    tables: dict = {}
    if (src / "plan.json").is_file():
        page = Page(f"Capacity plan: {src.name}")
        build.plan_report(src, page, tables)
    elif (src / "sweep.json").is_file():
        page = Page(f"Sweep: {src.name}")
        build.sweep_report(src, page, tables)
    elif (src / "manifest.json").is_file():
        results = Results.load(src)
        page = Page(f"Communication-cost report: {results.manifest['scenario']['name']}")
        build.run_report(results, page, tables)
    else:
        raise ScenarioError("no manifest.json, sweep.json or plan.json: not a run, sweep or plan folder", file=str(src))
    out = Path(out) if out else Path("reports") / src.resolve().name
    with atomic_folder(out) as tmp:
        for name, table in tables.items():
            table.to_csv(tmp / f"{name}.csv", index=False)
        (tmp / "report.html").write_text(page.render(), encoding="utf-8")
    return out / "report.html"
