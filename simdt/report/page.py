"""A self-contained HTML page: headings, notes, tables and base64 PNG figures. Every string that may come
from a user (scenario names, descriptions, method and site names, table cells) goes through ``html.escape``."""
from __future__ import annotations

import html
import math

import pandas as pd

CSS = """body{font-family:system-ui,sans-serif;margin:2em auto;max-width:1250px;color:#222}
h1{font-size:1.6em}h2{border-bottom:1px solid #ccc;padding-bottom:.2em;margin-top:1.6em}
table{border-collapse:collapse;font-size:.85em;margin:.6em 0}td,th{border:1px solid #ddd;padding:.25em .6em;text-align:right}
th{background:#f3f3f3}td:first-child,th:first-child{text-align:left}img{max-width:100%}
.scroll{overflow-x:auto}.note{color:#555;font-size:.9em}dl{display:grid;grid-template-columns:max-content auto;gap:.2em 1em}dt{font-weight:600}"""


def _cell(value) -> str:
    if isinstance(value, float):
        if math.isnan(value):
            return "–"
        return f"{value:,.0f}" if abs(value) >= 1e5 and value == int(value) else f"{value:,.4g}"
    if isinstance(value, int) and abs(value) >= 1e4:
        return f"{value:,}"
    return str(value)


class Page:
    def __init__(self, title: str):
        self.title = title
        self.parts: list[str] = []

    def heading(self, text: str) -> None:
        self.parts.append(f"<h2>{html.escape(text)}</h2>")

    def note(self, text: str) -> None:
        self.parts.append(f'<p class="note">{html.escape(text)}</p>')

    def facts(self, items: dict) -> None:
        rows = "".join(f"<dt>{html.escape(str(k))}</dt><dd>{html.escape(str(v))}</dd>" for k, v in items.items())
        self.parts.append(f"<dl>{rows}</dl>")

    def table(self, df: pd.DataFrame, csv_name: str | None = None) -> None:
        head = "".join(f"<th>{html.escape(str(c))}</th>" for c in df.columns)
        body = "".join("<tr>" + "".join(f"<td>{html.escape(_cell(v))}</td>" for v in row) + "</tr>"
                       for row in df.itertuples(index=False))
        link = f' <a href="{html.escape(csv_name)}">{html.escape(csv_name)}</a>' if csv_name else ""
        self.parts.append(f'<div class="scroll"><table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>'
                          + (f'<p class="note">CSV:{link}</p>' if link else ""))

    def figure(self, png_b64: str, alt: str) -> None:
        self.parts.append(f'<figure><img alt="{html.escape(alt)}" src="data:image/png;base64,{png_b64}"></figure>')

    def render(self) -> str:
        return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{html.escape(self.title)}</title>'
                f"<style>{CSS}</style></head><body><h1>{html.escape(self.title)}</h1>\n"
                + "\n".join(self.parts) + "\n</body></html>\n")
