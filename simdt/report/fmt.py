"""Numbers as a person reads them: each value in the unit that suits its magnitude (ms/s/min/h/d, B/kB/MB/GB,
bps/kbps/Mbps), three significant figures, thousands separated, 'not reached' for a missing time to target."""
from __future__ import annotations

import math

from simdt import units


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def duration(seconds, missing: str = "–") -> str:
    if _missing(seconds):
        return missing
    if math.isinf(seconds):
        return "never"
    return units.format_duration(seconds)


def hours(h, missing: str = "–") -> str:
    return duration(h * 3600 if not _missing(h) else h, missing)


def size(n_bytes, missing: str = "–") -> str:
    if _missing(n_bytes):
        return missing
    for unit, scale in (("TB", 1e12), ("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if abs(n_bytes) >= scale:
            return f"{n_bytes / scale:.3g} {unit}"
    return f"{n_bytes:.0f} B"


def megabytes(mb, missing: str = "–") -> str:
    return size(mb * 1e6 if not _missing(mb) else mb, missing)


def bandwidth(bps, missing: str = "–") -> str:
    return missing if _missing(bps) else units.format_bandwidth(bps)


def money(amount, currency: str, missing: str = "–") -> str:
    if _missing(amount):
        return missing
    return f"{amount:,.2f} {currency}" if abs(amount) < 1e5 else f"{amount:,.0f} {currency}"


def number(value, missing: str = "–") -> str:
    """Counts and plain quantities: integers with separators, others to three significant figures."""
    if _missing(value):
        return missing
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int) or (isinstance(value, float) and value.is_integer() and abs(value) < 1e15):
        return f"{int(value):,}"
    return f"{value:,.3g}" if abs(value) >= 1000 else f"{value:.3g}"


def metric(value, missing: str = "–") -> str:
    """A detection metric in [0, 1], to three decimals so methods line up."""
    return missing if _missing(value) else f"{value:.3f}"


def percent(fraction, missing: str = "–") -> str:
    if _missing(fraction):
        return missing
    p = 100 * fraction
    if p >= 10 or p == 0:
        return f"{p:.0f} %"
    return f"{p:.2g} %" if p >= 0.001 else "< 0.001 %"


def ci(mean: str, half: str) -> str:
    """'4.2 h ± 0.3 h' (95 % CI half-width); the mean alone when there is no interval."""
    return mean if half in ("–", "") else f"{mean} ± {half}"


def value_of(unit: str):
    """The formatter for a plan's or sweep's varied field in base unit ``unit`` ('bit/s', 's', '' ...)."""
    return {"bit/s": bandwidth, "s": duration, "B": size}.get(unit, number)


AXIS_UNITS = {  # kind -> (unit, size of one unit in base units), smallest first
    "duration": (("ms", 1e-3), ("s", 1.0), ("min", 60.0), ("h", 3600.0), ("d", 86400.0)),
    "size": (("B", 1.0), ("kB", 1e3), ("MB", 1e6), ("GB", 1e9), ("TB", 1e12)),
    "bandwidth": (("bps", 1.0), ("kbps", 1e3), ("Mbps", 1e6), ("Gbps", 1e9), ("Tbps", 1e12)),
}
UNIT_KINDS = {"s": "duration", "B": "size", "bit/s": "bandwidth"}


def axis_unit(kind: str | None, values) -> tuple[str, float]:
    """(unit, divisor) so that most of ``values`` (in base units) read between 1 and 1000 on an axis; ('', 1)
    for plain numbers."""
    if kind not in AXIS_UNITS:
        return "", 1.0
    finite = sorted(abs(v) for v in values if v is not None and math.isfinite(v) and v != 0)
    if not finite:
        return AXIS_UNITS[kind][1] if kind == "duration" else AXIS_UNITS[kind][0]
    median = finite[len(finite) // 2]
    unit = AXIS_UNITS[kind][0]
    for candidate in AXIS_UNITS[kind]:
        if median >= candidate[1]:
            unit = candidate
    return unit


def text_table(df) -> str:
    """A formatted frame as aligned plain text for the terminal (first column left, the rest right)."""
    rows = [list(map(str, df.columns))] + [[v if isinstance(v, str) else number(v) for v in r] for r in df.itertuples(index=False)]
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths))) for r in rows]
    return "\n".join([lines[0], "  ".join("-" * w for w in widths), *lines[1:]])
