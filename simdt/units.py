"""Quantities with units, as written in scenarios: ``10Mbps``, ``300ms``, ``2d``, ``4KiB``.

Bandwidth is bit/s with SI prefixes (1 Mbps = 1e6 bit/s); sizes are bytes (SI kB = 1000 B,
IEC KiB = 1024 B); durations are seconds. A bare number is taken in the base unit.
"""
from __future__ import annotations

import re

_NUMBER = r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?"
_QUANTITY = re.compile(rf"^\s*({_NUMBER})\s*([A-Za-z/]*)\s*$")

BANDWIDTH_UNITS = {
    "bps": 1.0, "bit/s": 1.0,
    "kbps": 1e3, "Kbps": 1e3, "kbit/s": 1e3,
    "Mbps": 1e6, "Mbit/s": 1e6,
    "Gbps": 1e9, "Gbit/s": 1e9,
    "Tbps": 1e12,
    "Bps": 8.0, "kBps": 8e3, "KBps": 8e3, "MBps": 8e6, "GBps": 8e9,
}
DURATION_UNITS = {
    "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "sec": 1.0,
    "min": 60.0, "h": 3600.0, "hr": 3600.0, "d": 86400.0, "day": 86400.0, "days": 86400.0,
    "w": 604800.0, "week": 604800.0, "weeks": 604800.0,
}
SIZE_UNITS = {
    "B": 1, "kB": 1000, "KB": 1000, "MB": 1000**2, "GB": 1000**3, "TB": 1000**4,
    "KiB": 1024, "MiB": 1024**2, "GiB": 1024**3, "TiB": 1024**4,
}


class UnitError(ValueError):
    """A quantity that could not be read; the message says what was expected."""


def _parse(value: object, units: dict[str, float], kind: str, example: str) -> float:
    if isinstance(value, bool):
        raise UnitError(f"expected a {kind} such as {example!r}, got {value!r}")
    if isinstance(value, (int, float)):
        return float(value)
    if not isinstance(value, str):
        raise UnitError(f"expected a {kind} such as {example!r}, got {value!r}")
    match = _QUANTITY.match(value)
    if not match:
        raise UnitError(f"cannot read {value!r} as a {kind} (write it like {example!r})")
    number, unit = match.groups()
    if unit == "":
        return float(number)
    if unit not in units:
        known = ", ".join(sorted(units, key=units.get))
        raise UnitError(f"unknown {kind} unit {unit!r} in {value!r} (known units: {known})")
    return float(number) * units[unit]


def bandwidth_bps(value: object) -> float:
    """Bit/s from '10Mbps', '2.5 Gbps', '500kbps' or a bare number of bit/s."""
    return _parse(value, BANDWIDTH_UNITS, "bandwidth", "10Mbps")


def duration_s(value: object) -> float:
    """Seconds from '300ms', '2d', '1.5h' or a bare number of seconds."""
    return _parse(value, DURATION_UNITS, "duration", "300ms")


def size_bytes(value: object) -> float:
    """Bytes from '4KiB', '1.5MB' or a bare number of bytes."""
    return _parse(value, SIZE_UNITS, "size", "4KiB")


_MONEY = re.compile(rf"^\s*({_NUMBER})\s*([A-Z]{{3}})?\s*$")


def money(value: object) -> tuple[float, str | None]:
    """(amount, ISO 4217 currency code or None) from '9.5 USD', '20EUR' or a bare number."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value), None
    match = _MONEY.match(value) if isinstance(value, str) else None
    if not match:
        raise UnitError(f"expected an amount of money such as '9.5 USD', got {value!r}")
    return float(match.group(1)), match.group(2)


def format_bytes(n: float) -> str:
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if abs(n) >= scale:
            return f"{n / scale:.2f} {unit}"
    return f"{n:.0f} B"


def format_duration(seconds: float) -> str:
    if seconds >= 86400:
        return f"{seconds / 86400:.2f} d"
    if seconds >= 3600:
        return f"{seconds / 3600:.2f} h"
    if seconds >= 60:
        return f"{seconds / 60:.1f} min"
    if seconds >= 1 or seconds == 0:
        return f"{seconds:.2f} s"
    return f"{seconds * 1e3:.3g} ms"


def format_bandwidth(bps: float) -> str:
    for unit, scale in (("Tbps", 1e12), ("Gbps", 1e9), ("Mbps", 1e6), ("kbps", 1e3)):
        if abs(bps) >= scale:
            return f"{bps / scale:.3g} {unit}"
    return f"{bps:.3g} bps"
