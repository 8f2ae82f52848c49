"""The answer first: headline cards, warnings and the compact method table of a run (one seed or several), and the
one-sentence answer of a capacity plan."""
from __future__ import annotations

import math

import pandas as pd

from simdt.metrics import METRICS
from simdt.report import cost, fmt
from simdt.report.page import Card, Page

SHORT = {"accuracy": "acc", "balanced_accuracy": "bal acc", "precision": "prec", "recall": "recall", "f1": "F1",
         "fpr": "FPR", "roc_auc": "AUC", "pr_auc": "PR-AUC"}


def _v(row, col: str, seeds: bool):
    """A summary value: the mean over seeds (``col_mean``) or the run's own (``col``)."""
    return row.get(f"{col}_mean", math.nan) if seeds else row.get(col, math.nan)


def _half(row, col: str, seeds: bool):
    return row.get(f"{col}_ci95", math.nan) if seeds else math.nan


def _reached(row, seeds: bool) -> bool:
    return row.get("reached", 0) > 0 if seeds else not math.isnan(row.get("rounds_to_target", math.nan))


def _money_line(row, tariff, seeds: bool) -> str:
    mb = _v(row, "site_MB_per_month", seeds)
    traffic = f"{fmt.megabytes(mb)} per site per month"
    if tariff is None:
        return f"{traffic} (no tariff: give cost: {{per_gb: ..}} or --tariff for money)"
    return f"{traffic} → {fmt.money(cost.monthly(tariff, mb), tariff.currency)} per site per month"


def cards(summary: pd.DataFrame, target: str, metric: str, tariff, seeds: bool = False) -> list[Card]:
    """The method reaching the target soonest in simulated time (hours, wire MB, monthly cost per site), the one
    needing the fewest bytes if different; with seeds, means over seeds, unreached seeds censored."""
    rows = summary.to_dict("records")
    reached = [r for r in rows if _reached(r, seeds)]
    n_seeds = f" in {{}} of {int(rows[0]['seeds'])} seeds" if seeds and rows else ""
    if not reached:
        best = max(rows, key=lambda r: -math.inf if math.isnan(_v(r, f"final_{metric}", seeds)) else _v(r, f"final_{metric}", seeds))
        return [Card(f"No method reaches {target}", f"best: {best['method']}",
                     [f"final {metric} {fmt.metric(_v(best, f'final_{metric}', seeds))} after "
                      f"{fmt.hours(_v(best, 'sim_hours', seeds))} of FL", _money_line(best, tariff, seeds)])]

    def key(col):
        # seeds: fewer censored seeds first, then the (censored) mean
        return lambda r: ((r.get("censored", 0) if seeds else 0), _v(r, col, seeds))

    def card(label, r):
        lines = [f"round {fmt.number(round(_v(r, 'rounds_to_target', seeds), 1))}, "
                 f"{fmt.ci(fmt.megabytes(_v(r, 'wire_MB_to_target', seeds)), fmt.megabytes(_half(r, 'wire_MB_to_target', seeds)))}"
                 " on the wire to target"]
        if seeds:
            lines.append("reached" + n_seeds.format(int(r["reached"])) +
                         (" (unreached seeds count as the whole run: a lower bound)" if r["censored"] else ""))
        lines += [_money_line(r, tariff, seeds), f"final {metric} {fmt.metric(_v(r, f'final_{metric}', seeds))}"]
        value = fmt.ci(fmt.hours(_v(r, "hours_to_target", seeds)), fmt.hours(_half(r, "hours_to_target", seeds)))
        return Card(label, f"{r['method']}: {value}", lines)

    fastest = min(reached, key=key("hours_to_target"))
    out = [card(f"Fastest to {target} (simulated time)", fastest)]
    cheapest = min(reached, key=key("wire_MB_to_target"))
    if cheapest["method"] != fastest["method"]:
        out.append(card("Fewest bytes to target", cheapest))
    missed = [r["method"] for r in rows if not _reached(r, seeds)]
    if missed:
        out.append(Card("Not reached", ", ".join(missed), [f"within the run's {fmt.hours(_v(rows[0], 'sim_hours', seeds))} of FL"]))
    return out


def warnings(summary: pd.DataFrame, metric: str, hold: int, seeds: bool = False) -> list[str]:
    """Methods that crossed the target and ended below it: their rounds to target would mislead."""
    out = []
    for r in summary.to_dict("records"):
        if seeds and r.get("fell_back"):
            out.append(f"{r['method']} crossed the target and ended below it in {int(r['fell_back'])} of {int(r['seeds'])} "
                       f"seeds; a seed counts as reached only where it held for {hold} evaluations in a row.")
        elif not seeds and r.get("fell_back"):
            out.append(f"{r['method']} crossed the target at round {fmt.number(r['first_crossing_round'])} but ended below it "
                       f"(final {metric} {fmt.metric(r[f'final_{metric}'])}, {fmt.number(r['dips_after_crossing'])} "
                       f"evaluations below after the first crossing); it counts as reached only where it held for {hold} "
                       f"evaluations in a row.")
    return out


LEAD_METRICS = ("f1", "roc_auc", "pr_auc")  # beside the target metric in the compact table; all in metrics_table


def _metrics(summary: pd.DataFrame) -> list[str]:
    return [m for m in METRICS if f"final_{m}" in summary or f"final_{m}_mean" in summary]


def _both(r, col, f, seeds):
    half = _half(r, col, seeds)
    mean = f(_v(r, col, seeds), "not reached" if col.endswith("_to_target") else "–")
    return mean if half == 0 else fmt.ci(mean, f(half))


def metrics_table(summary: pd.DataFrame, seeds: bool = False) -> pd.DataFrame:
    """Every final detection metric per method (mean of the last rounds; with seeds, mean ± 95 % CI)."""
    return pd.DataFrame([{"method": r["method"], **{SHORT.get(m, m): _both(r, f"final_{m}", fmt.metric, seeds)
                                                    for m in _metrics(summary)}} for r in summary.to_dict("records")])


def method_table(summary: pd.DataFrame, metric: str, tariff, seeds: bool = False) -> pd.DataFrame:
    """Compact, human-formatted: one row per method, units chosen per value, '±' = 95 % CI half-width over seeds."""
    metrics = [metric, *[m for m in LEAD_METRICS if m in _metrics(summary) and m != metric]]
    rows = []
    for r in summary.to_dict("records"):
        def both(col, f):
            return _both(r, col, f, seeds)

        row = {"method": r["method"]}
        if seeds:
            row["reached"] = f"{int(r['reached'])}/{int(r['seeds'])}"
        row.update({"time to target": both("hours_to_target", fmt.hours),
                    "rounds to target": both("rounds_to_target", lambda v, m="–": fmt.number(round(v, 1)) if v == v else m),
                    "wire to target": both("wire_MB_to_target", fmt.megabytes),
                    "wire total": both("wire_MB", fmt.megabytes),
                    "per site / month": both("site_MB_per_month", fmt.megabytes)})
        if tariff is not None:
            row[f"cost / site / month ({tariff.currency})"] = fmt.money(cost.monthly(tariff, _v(r, "site_MB_per_month", seeds)), "").strip()
        row.update({f"final {SHORT.get(m, m)}": both(f"final_{m}", fmt.metric) for m in metrics})
        rows.append(row)
    return pd.DataFrame(rows)


def paired_table(paired: pd.DataFrame, metric: str) -> pd.DataFrame:
    """Paired differences (method - baseline, same seeds), formatted; '≥'/'≤' not claimed: censored pairs counted."""
    rows = []
    for r in paired.to_dict("records"):
        rows.append({"method": r["method"], "vs": r["baseline"], "pairs": int(r["pairs"]),
                     "censored pairs": int(r["censored_pairs"]),
                     "Δ time to target": fmt.ci(_signed(r["hours_to_target_diff_mean"], fmt.hours),
                                                fmt.hours(r["hours_to_target_diff_ci95"])),
                     "Δ wire to target": fmt.ci(_signed(r["wire_MB_to_target_diff_mean"], fmt.megabytes),
                                                fmt.megabytes(r["wire_MB_to_target_diff_ci95"])),
                     f"Δ final {SHORT.get(metric, metric)}": fmt.ci(f"{r[f'final_{metric}_diff_mean']:+.3f}",
                                                                    fmt.metric(r[f"final_{metric}_diff_ci95"]))})
    return pd.DataFrame(rows)


def _signed(value, f) -> str:
    if value != value:
        return "–"
    return ("-" if value < 0 else "+") + f(abs(value))


def plan_sentence(row: dict, unit: str, better: str) -> str:
    """One plan row as a sentence: the threshold, or why there is none."""
    value = fmt.value_of(unit)
    word = "at least" if better == "higher" else "at most"
    if row["status"] == "fails over the whole range":
        return f"never reaches the target in time, even at {value(row['fail_bound'])}"
    if row["status"] == "passes over the whole range":
        return f"reaches the target in time at every value tried, to {value(row['threshold'])}"
    return f"needs {word} {value(row['threshold'])} (fails at {value(row['fail_bound'])})"


def show(page: Page, summary: pd.DataFrame, target: str, metric: str, tariff, hold: int, seeds: bool = False) -> None:
    page.cards(cards(summary, target, metric, tariff, seeds))
    for text in warnings(summary, metric, hold, seeds):
        page.warn(text)
