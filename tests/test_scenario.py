"""Scenario validation: every bad input gives one clear message naming file, line and field, exit 2, nothing written."""
import textwrap

import pytest

from simdt import cli, scenario
from simdt.scenario import ScenarioError

GOOD = """\
name: t
seed: 1
sites:
  count: 4
  twin: centrifugal_pump
  uplink: rural_lte
fl:
  rounds: 3
  client_fraction: 0.5
"""

BAD = [
    # (description, yaml text, expected message fragments, expected line)
    ("unknown top-level key", GOOD + "colour: red\n", ["colour", "unknown field"], 10),
    ("unknown nested key", GOOD.replace("  rounds: 3", "  roundz: 3"), ["fl.roundz", "unknown field"], 8),
    ("unit typo", GOOD.replace("  uplink: rural_lte", "  uplink: {up: 10Mbs, down: 10Mbps, delay: 10ms}"),
     ["sites.uplink.up", "unknown bandwidth unit 'Mbs'"], 6),
    ("negative bandwidth", GOOD.replace("  uplink: rural_lte", "  uplink: {up: -5Mbps, down: 10Mbps, delay: 10ms}"),
     ["sites.uplink.up", "greater than 0"], 6),
    ("client fraction above 1", GOOD.replace("client_fraction: 0.5", "client_fraction: 1.5"),
     ["fl.client_fraction", "less than or equal to 1", "1.5"], 9),
    ("client fraction zero", GOOD.replace("client_fraction: 0.5", "client_fraction: 0"), ["fl.client_fraction", "greater than 0"], 9),
    ("missing twin", GOOD.replace("twin: centrifugal_pump", "twin: steam_turbine"), ["sites.twin", "no twin 'steam_turbine'"], 5),
    ("missing network profile", GOOD.replace("uplink: rural_lte", "uplink: carrier_pigeon"),
     ["sites.uplink", "no network profile 'carrier_pigeon'"], 6),
    ("malformed YAML", GOOD + "fl: [unclosed\n", ["malformed YAML"], None),
    ("bad indentation", "name: t\nsites:\n  count: 4\n   twin: x\n", ["malformed YAML"], 4),
    ("not a mapping", "- just\n- a list\n", ["a scenario must be a YAML mapping"], 1),
    ("missing name", GOOD.replace("name: t\n", ""), ["name", "Field required"], None),
    ("wrong type for count", GOOD.replace("count: 4", "count: many"), ["sites.count", "valid integer"], 4),
    ("zero sites", GOOD.replace("count: 4", "count: 0"), ["sites.count", "greater than or equal to 1"], 4),
    ("unknown method", GOOD + "  methods: [fedavg, fedmagic]\n", ["fl.methods.1", "unknown method 'fedmagic'"], 10),
    ("unknown method parameter", GOOD + "  methods: [{name: fedprox, mu: 0.1, nu: 2}]\n", ["fl.methods.0.nu", "unknown field"], 10),
    ("negative mu", GOOD + "  methods: [{name: fedprox, mu: -1}]\n", ["fl.methods.0.mu", "greater than or equal to 0"], 10),
    ("bad duration", GOOD + "  round_deadline: 10 minutes\n", ["fl.round_deadline", "unknown duration unit 'minutes'"], 10),
    ("loss above 1", GOOD.replace("  uplink: rural_lte", "  uplink: {profile: rural_lte, loss: 2}"),
     ["sites.uplink", "loss", "less than or equal to 1"], 6),
    ("unknown device", GOOD.replace("  count: 4", "  count: 4\n  device: abacus"), ["sites.device", "unknown device 'abacus'"], 5),
    ("outage half-specified", GOOD.replace("  uplink: rural_lte", "  uplink: {up: 1Mbps, down: 1Mbps, delay: 1ms, mtbf: 1h}"),
     ["sites.uplink", "mtbf and mttr"], 6),
    ("remote twin host without link", GOOD + "twin_host: {placement: remote}\n", ["twin_host", "needs a link"], 10),
    ("bad target metric", GOOD + "  target: {metric: vibes, value: 0.8}\n", ["fl.target.metric", "vibes"], 10),
    ("unknown topology", GOOD + "network: {topology: moon_base}\n", ["network.topology", "no topology 'moon_base'"], 10),
    ("min clients above site count", GOOD.replace("  rounds: 3", "  rounds: 3\n  min_clients: 9"), ["min_clients", "exceeds sites.count"], None),
]


@pytest.mark.parametrize("desc, text, fragments, line", BAD, ids=[b[0] for b in BAD])
def test_bad_scenarios(tmp_path, capsys, monkeypatch, desc, text, fragments, line):
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    assert cli.main(["validate", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err          # one line, no traceback
    assert "Traceback" not in err
    assert "bad.yaml" in err
    for fragment in fragments:
        assert fragment in err, (fragment, err)
    if line is not None:
        assert f"bad.yaml:{line}:" in err, err
    # `run` on the same file refuses before writing anything
    assert cli.main(["run", str(path), "--quiet", "--out", str(tmp_path / "out")]) == 2
    assert not (tmp_path / "out").exists() and not (tmp_path / "runs").exists()


def test_good_scenario_resolves_catalog(tmp_path):
    path = tmp_path / "good.yaml"
    path.write_text(GOOD)
    resolved = scenario.load(path)
    assert resolved.uplink.up == 5e6 and resolved.uplink.delay == pytest.approx(0.035)
    assert resolved.backhaul.up == 1e9
    assert [m for m, _ in resolved.methods] == ["fedavg", "fedprox"]
    assert resolved.methods[1][1].mu == 0.01


def test_profile_with_overrides_and_dotted_overrides(tmp_path):
    path = tmp_path / "good.yaml"
    path.write_text(GOOD)
    resolved = scenario.load(path, {"sites.uplink.up": "2Mbps", "fl.rounds": 7})
    assert resolved.uplink.up == 2e6 and resolved.uplink.down == 20e6   # rest from the profile
    assert resolved.scenario.fl.rounds == 7


def test_missing_file_and_unknown_name(capsys):
    assert cli.main(["validate", "does/not/exist.yaml"]) == 2
    assert "no such scenario file" in capsys.readouterr().err
    with pytest.raises(ScenarioError, match="no scenario named 'nope'"):
        scenario.find_scenario("nope")


def test_every_shipped_scenario_validates(capsys):
    from pathlib import Path

    files = sorted((scenario.PROJECT_ROOT / "scenarios").glob("*.yaml"))
    assert files
    for f in files:
        assert cli.main(["validate", str(f)]) == 0, capsys.readouterr().err
