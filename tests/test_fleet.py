"""Mixed fleets: group sizes, per-site draws and overrides reach the world's links and devices."""
import numpy as np

from simdt import scenario as scn
from simdt.fleet import group_sizes, site_profiles
from simdt.rng import Streams
from simdt.world import World


def test_group_sizes_add_up_by_largest_remainder():
    assert group_sizes([0.5, 0.5], 7) == [4, 3]
    assert group_sizes([0.2, 0.3, 0.5], 10) == [2, 3, 5]
    assert group_sizes([1 / 3] * 3, 10) == [4, 3, 3]
    for n in range(1, 40):
        assert sum(group_sizes([0.15, 0.35, 0.5], n)) == n


FLEET = {"sites.count": 10, "evaluation.period": "1d", "sites.fleet": [
    {"share": 0.3, "device": "industrial_pc", "uplink": "factory_ethernet"},
    {"share": 0.7, "uplink": "rural_lte",
     "draw": {"up": {"lognormal": ["2Mbps", 0.5]}, "delay": {"uniform": ["20ms", "80ms"]},
              "device": {"choice": ["raspberry_pi_4", "jetson_nano"], "p": [0.5, 0.5]}}}],
    "sites.overrides": {"site09": {"device": "cloud_server", "uplink": {"profile": "geo_vsat", "mtbf": None, "mttr": None}}}}


def test_groups_draws_and_overrides():
    resolved = scn.load("default", FLEET)
    sites = resolved.scenario.sites.names()
    profiles = site_profiles(resolved, sites, Streams(resolved.scenario.seed))
    assert [profiles[s].device for s in sites[:3]] == ["industrial_pc"] * 3
    assert all(profiles[s].uplink.up == 100e6 for s in sites[:3])
    drawn = [profiles[s] for s in sites[3:9]]
    ups = np.array([p.uplink.up for p in drawn])
    assert len(set(ups)) == 6 and (ups > 0).all()                    # each site its own draw
    assert all(0.02 <= p.uplink.delay <= 0.08 for p in drawn)
    assert {p.device for p in drawn} == {"raspberry_pi_4", "jetson_nano"}
    assert all(p.uplink.loss == 0.001 for p in drawn)                 # the rest from the group's profile
    assert profiles["site09"].device == "cloud_server" and profiles["site09"].uplink.delay == 0.3
    again = site_profiles(resolved, sites, Streams(resolved.scenario.seed))
    assert again == profiles                                           # same seed, same fleet
    other = site_profiles(resolved, sites, Streams(resolved.scenario.seed + 1))
    assert [other[s].uplink.up for s in sites[3:9]] != list(ups)


def test_the_world_builds_each_sites_own_link_and_device(tmp_path):
    from simdt.data import DATA_SOURCES
    from simdt.eventlog import EventLog

    resolved = scn.load("default", FLEET)
    sc = resolved.scenario
    data = DATA_SOURCES["physics"](resolved.data[1], sc, sc.sites.names(), Streams(sc.seed), resolved.catalog)
    world = World(resolved, "fedavg", data, EventLog())
    for site, profile in world.profiles.items():
        link = world.network.links[f"{site}-access"]
        assert link.up_bps == profile.uplink.up and link.delay_s == profile.uplink.delay
        assert world.devices[site].name == profile.device
