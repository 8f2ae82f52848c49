import pytest

from simdt import units


@pytest.mark.parametrize("text, bps", [
    ("10Mbps", 10e6), ("2.5 Gbps", 2.5e9), ("500kbps", 500e3), ("64Kbps", 64e3), ("1bps", 1.0),
    ("1MBps", 8e6), (1200, 1200.0), ("1e3 Mbps", 1e9),
])
def test_bandwidth(text, bps):
    assert units.bandwidth_bps(text) == pytest.approx(bps)


@pytest.mark.parametrize("text, seconds", [
    ("300ms", 0.3), ("2d", 172800.0), ("1.5h", 5400.0), ("10min", 600.0), ("250us", 250e-6), ("45s", 45.0),
    ("1w", 604800.0), (12, 12.0),
])
def test_duration(text, seconds):
    assert units.duration_s(text) == pytest.approx(seconds)


@pytest.mark.parametrize("text, nbytes", [("4KiB", 4096), ("1.5MB", 1.5e6), ("2MiB", 2 * 1024**2), ("100B", 100), ("1kB", 1000)])
def test_size(text, nbytes):
    assert units.size_bytes(text) == pytest.approx(nbytes)


@pytest.mark.parametrize("parse, bad, fragment", [
    (units.bandwidth_bps, "10 Mbs", "unknown bandwidth unit 'Mbs'"),
    (units.bandwidth_bps, "fast", "cannot read 'fast'"),
    (units.duration_s, "3 hours", "unknown duration unit 'hours'"),
    (units.size_bytes, "4 KIB", "unknown size unit 'KIB'"),
    (units.duration_s, True, "expected a duration"),
    (units.duration_s, [1], "expected a duration"),
])
def test_bad_quantities(parse, bad, fragment):
    with pytest.raises(units.UnitError, match=fragment):
        parse(bad)


def test_formatting():
    assert units.format_bytes(1_500_000) == "1.50 MB"
    assert units.format_duration(7200) == "2.00 h"
