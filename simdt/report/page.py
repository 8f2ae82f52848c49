"""One self-contained HTML page: the answer first (headline cards, warnings), then compact tables and interactive
figures (BokehJS inline: it opens offline), the scenario's facts last. Each figure is also drawn as a PNG beside the
page (``figures/NAME.png``), which print uses. Every string that may come from a user (scenario names,
descriptions, method and site names, table cells) goes through ``html.escape``."""
from __future__ import annotations

import html
from dataclasses import dataclass, field

import pandas as pd

from simdt.report import fmt
from simdt.report.charts import Figure

CSS = """body{font-family:system-ui,sans-serif;margin:1.2em auto;max-width:1250px;color:#222;padding:0 1em}
h1{font-size:1.5em;margin:.2em 0 .5em}h2{border-bottom:1px solid #ccc;padding-bottom:.2em;margin-top:1.4em;font-size:1.2em}
table{border-collapse:collapse;font-size:.85em;margin:.5em 0}td,th{border:1px solid #ddd;padding:.25em .6em;text-align:right}
th{background:#f3f3f3;font-weight:600}td:first-child,th:first-child{text-align:left}img{max-width:100%}
.scroll{overflow-x:auto}.note{color:#555;font-size:.88em;margin:.3em 0}
.cards{display:flex;flex-wrap:wrap;gap:1em;margin:.5em 0 1em}
.card{border:1px solid #cfd8e3;border-left:6px solid #4c78a8;border-radius:6px;padding:.7em 1.1em;background:#f7f9fc;min-width:260px;flex:1}
.card .label{font-size:.8em;text-transform:uppercase;letter-spacing:.04em;color:#555}
.card .value{font-size:1.6em;font-weight:650;margin:.15em 0}.card .lines{font-size:.92em;line-height:1.45}
.warn{background:#fff4e5;border-left:5px solid #f58518;padding:.45em .8em;margin:.4em 0;font-size:.92em}
dl{display:grid;grid-template-columns:max-content auto;gap:.2em 1em;font-size:.9em}dt{font-weight:600}
figure{margin:.6em 0}figcaption{color:#555;font-size:.85em}.png{display:none}
@media print{.bk-root,.bk-Row,.bk-Figure,div[data-root-id]{display:none!important}.png{display:block}}"""


@dataclass
class Card:
    label: str
    value: str
    lines: list[str] = field(default_factory=list)


def _cell(value) -> str:
    if isinstance(value, str):
        return value
    return fmt.number(value)


class Page:
    def __init__(self, title: str):
        self.title = title
        self.parts: list[str] = []
        self.figures: list[Figure] = []
        self.scripts: list[str] = []

    def cards(self, cards: list[Card]) -> None:
        body = "".join(f'<div class="card"><div class="label">{html.escape(c.label)}</div><div class="value">'
                       f'{html.escape(c.value)}</div><div class="lines">{"<br>".join(map(html.escape, c.lines))}</div></div>'
                       for c in cards)
        self.parts.append(f'<div class="cards headline">{body}</div>')

    def warn(self, text: str) -> None:
        self.parts.append(f'<p class="warn">{html.escape(text)}</p>')

    def heading(self, text: str) -> None:
        self.parts.append(f"<h2>{html.escape(text)}</h2>")

    def note(self, text: str) -> None:
        self.parts.append(f'<p class="note">{html.escape(text)}</p>')

    def facts(self, items: dict, summary: str = "Scenario") -> None:
        rows = "".join(f"<dt>{html.escape(str(k))}</dt><dd>{html.escape(str(v))}</dd>" for k, v in items.items())
        self.parts.append(f"<details><summary>{html.escape(summary)}</summary><dl>{rows}</dl></details>")

    def table(self, df: pd.DataFrame, csv_name: str | None = None) -> None:
        """A table as given: format cells beforehand (``fmt``); other numbers get thousands separators."""
        head = "".join(f"<th>{html.escape(str(c))}</th>" for c in df.columns)
        body = "".join("<tr>" + "".join(f"<td>{html.escape(_cell(v))}</td>" for v in row) + "</tr>"
                       for row in df.itertuples(index=False))
        link = f' <a href="{html.escape(csv_name)}">{html.escape(csv_name)}</a>' if csv_name else ""
        self.parts.append(f'<div class="scroll"><table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>'
                          + (f'<p class="note">CSV:{link}</p>' if link else ""))

    def figure(self, fig: Figure) -> None:
        """An interactive figure (and its PNG); a figure without data is replaced by a note saying so."""
        from simdt.report import interactive

        if not fig.drawable():
            self.note(f"{fig.caption}: no data to show.")
            return
        self.figures.append(fig)
        script, div = interactive.render(fig)
        self.scripts.append(script)
        name = html.escape(fig.name)
        self.parts.append(f'<figure id="fig-{name}">{div}<img class="png" alt="{html.escape(fig.caption)}" '
                          f'src="figures/{name}.png"><figcaption>{html.escape(fig.caption)} '
                          f'(<a href="figures/{name}.png">PNG</a>)</figcaption></figure>')

    def pngs(self) -> dict[str, bytes]:
        from simdt.report import static

        return {fig.name: static.render(fig) for fig in self.figures}

    def render(self) -> str:
        from simdt.report import interactive

        js = interactive.head() if self.figures else ""
        return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{html.escape(self.title)}</title>'
                f"<style>{CSS}</style>{js}</head><body><h1>{html.escape(self.title)}</h1>\n"
                + "\n".join(self.parts) + "\n" + "\n".join(self.scripts) + "\n</body></html>\n")
