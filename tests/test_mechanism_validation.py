"""Bad mechanism fields (fleets, compression, gating, server modes, faults) give one ScenarioError naming the
file, the line and the field."""
import pytest
import yaml

from simdt import scenario as scn

BAD = [
    ("shares not adding up", {"sites.fleet": [{"share": 0.5}, {"share": 0.4}]}, "sites", "shares must add up to 1"),
    ("share and count mixed", {"sites.fleet": [{"share": 0.5}, {"count": 2}]}, "sites", "every group a share"),
    ("counts not adding up", {"sites.fleet": [{"count": 3}]}, "sites", "counts must add up to sites.count (4)"),
    ("unknown device", {"sites.fleet": [{"share": 1, "device": "abacus"}]}, "sites.fleet.0.device", "unknown device 'abacus'"),
    ("unknown drawn device", {"sites.fleet": [{"share": 1, "draw": {"device": {"choice": ["abacus"]}}}]},
     "sites.fleet.0.draw.device", "unknown device"),
    ("drawn bandwidth unit", {"sites.fleet": [{"share": 1, "draw": {"up": {"uniform": ["1Mbs", "2Mbps"]}}}]},
     "sites.fleet.0", "unknown bandwidth unit"),
    ("two distributions", {"sites.fleet": [{"share": 1, "draw": {"up": {"uniform": [1, 2], "choice": [1]}}}]},
     "sites.fleet.0.draw.up", "exactly one of"),
    ("drawn mtbf without mttr", {"sites.fleet": [{"share": 1, "uplink": "factory_ethernet", "draw": {"mtbf": {"uniform": ["1h", "2h"]}}}]},
     "sites.fleet.0.draw", "mtbf and mttr"),
    ("drawn loss above 1", {"sites.fleet": [{"share": 1, "draw": {"loss": {"uniform": [0, 2]}}}]},
     "sites.fleet.0.draw", "less than or equal to 1"),
    ("lognormal loss", {"sites.fleet": [{"share": 1, "draw": {"loss": {"lognormal": [0.01, 1]}}}]},
     "sites.fleet.0", "uniform or choice"),
    ("override of no site", {"sites.overrides": {"site99": {"device": "jetson_nano"}}}, "sites.overrides.site99", "no site 'site99'"),
    ("fleet uplink under a topology", {"network.topology": "rig_cluster", "sites.fleet": [{"share": 1, "uplink": "geo_vsat"}]},
     "sites.fleet.0.uplink", "topology file"),
    ("half a schedule", {"faults": {"server": [{"at": "1h"}]}}, "faults.server.0", "either at and duration"),
    ("both forms", {"faults": {"twin_host": [{"at": "1h", "duration": "1h", "mtbf": "1d", "mttr": "1h"}]}},
     "faults.twin_host.0", "either at and duration"),
    ("duration unit", {"faults": {"blackout": [{"at": "1h", "duration": "2 hours"}]}}, "faults.blackout.0.duration",
     "unknown duration unit"),
    ("crash of an unknown device", {"faults": {"crash": [{"devices": ["abacus"], "mtbf": "1d", "mttr": "1h"}]}},
     "faults.crash.0.devices", "unknown device 'abacus'"),
    ("a device in two crash entries", {"faults": {"crash": [{"devices": ["raspberry_pi_4"], "mtbf": "1d", "mttr": "1h"},
                                                             {"devices": ["raspberry_pi_4"], "mtbf": "2d", "mttr": "1h"}]}},
     "faults.crash", "each device in at most one entry"),
    ("partition of no site", {"faults": {"partition": [{"sites": ["site07"], "at": 0, "duration": "1h"}]}},
     "faults.partition.0.sites", "no site 'site07'"),
    ("partition of no link", {"faults": {"partition": [{"link": "vsat_c", "at": 0, "duration": "1h"}]}},
     "faults.partition.0.link", "no link 'vsat_c'"),
    ("partition of link and sites", {"faults": {"partition": [{"link": "backhaul", "sites": ["site00"], "at": 0,
                                                                "duration": "1h"}]}}, "faults.partition.0", "either a link"),
    ("top-k for models", {"fl.compression": {"down": "topk"}}, "fl.compression", "compresses updates, not models"),
    ("error feedback down", {"fl.compression": {"down": {"codec": "int8", "error_feedback": True}}}, "fl.compression",
     "set it under up"),
    ("unknown codec", {"fl.compression": {"up": "zip"}}, "fl.compression.up.codec", "'zip'"),
    ("top-k fraction above 1", {"fl.compression": {"up": {"codec": "topk", "fraction": 2}}},
     "fl.compression.up.fraction", "less than or equal to 1"),
    ("qsgd levels", {"fl.compression": {"up": {"codec": "qsgd", "levels": 0}}}, "fl.compression.up.levels",
     "greater than or equal to 1"),
    ("gating threshold", {"fl.gating": {"threshold": 0}}, "fl.gating.threshold", "greater than 0"),
    ("gating mode", {"fl.gating": {"at": "sometimes"}}, "fl.gating.at", "'sometimes'"),
    ("telemetry period unit", {"fl.gating": {"telemetry_every": "10 minutes"}}, "fl.gating.telemetry_every",
     "unknown duration unit"),
    ("unknown server mode", {"fl.aggregation": {"mode": "gossip"}}, "fl.aggregation.mode", "'gossip'"),
    ("over-selection in FedBuff", {"fl.aggregation": {"mode": "fedbuff", "over_selection": 0.5}}, "fl.aggregation",
     "over_selection is for sync rounds"),
    ("CWA asynchronously", {"fl.methods": ["fedavg", "cwa"], "fl.aggregation": {"mode": "fedasync"}},
     "fl.aggregation.mode", "cwa cannot run fedasync"),
    ("concurrency above the sites", {"fl.aggregation": {"mode": "fedbuff", "concurrency": 9}},
     "fl.aggregation.concurrency", "exceeds sites.count (4)"),
    ("a buffer that never fills", {"fl.aggregation": {"mode": "fedbuff", "buffer": 3, "concurrency": 2}},
     "fl.aggregation.buffer", "never fills"),
]


@pytest.mark.parametrize("desc, overrides, field, fragment", BAD, ids=[b[0] for b in BAD])
def test_bad_mechanism_fields_name_file_line_and_field(tmp_path, desc, overrides, field, fragment):
    data = scn.apply_overrides({"name": "t", "sites": {"count": 4}}, overrides)
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    with pytest.raises(scn.ScenarioError) as err:
        scn.load(path)
    text = str(err.value)
    assert err.value.line is not None and f"bad.yaml:{err.value.line}: {field}:" in text, text
    assert fragment in text, text
