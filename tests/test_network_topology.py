"""Topologies from files: routing over them and sites sharing a terminal."""
import pytest
import simpy

from simdt import scenario
from simdt.network import Network
from simdt.network.topology_file import find_topology, load_topology
from simdt.rng import Streams
from simdt.world import _link_kwargs, _topology_link

SITES = [f"rig{i:02d}" for i in range(6)]


@pytest.fixture(scope="module")
def rig():
    resolved = scenario.load("rig_cluster")
    path = resolved.catalog / "networks" / "topologies" / "rig_cluster.yaml"
    return load_topology(path, SITES, "server", lambda ref, where: _topology_link(resolved, ref, where))


def test_sites_are_dealt_to_platforms_and_routed_through_their_terminal(rig):
    env = simpy.Environment()
    net = Network(env, rig, Streams(0).numpy)
    assert [(l.name, d) for l, d in net.route("rig00", "server")] == [
        ("rig00-access", "up"), ("vsat_a", "up"), ("backhaul", "up")]
    assert [l.name for l, _ in net.route("server", "rig03")] == ["backhaul", "vsat_b", "rig03-access"]
    assert [l.name for l, _ in net.route("rig00", "rig02")] == ["rig00-access", "rig02-access"]  # same LAN
    assert net.rtt_s("rig01", "server") == pytest.approx(2 * (0.0002 + 0.3 + 0.005))


def test_two_sites_behind_one_terminal_share_its_uplink(rig):
    env = simpy.Environment()
    net = Network(env, rig, Streams(0).numpy)
    loads = []
    net.on_allocate = lambda load: loads.append((load["rig00-access:up"], load["rig02-access:up"], load["vsat_a:up"]))
    procs = [net.transfer(s, "server", 2_000_000, "update_up") for s in ("rig00", "rig02")]
    env.run(until=env.all_of(procs))
    assert all(p.value.outcome == "delivered" for p in procs)
    vsat_bps = 2e6
    assert max(v for _, _, v in loads) <= vsat_bps * (1 + 1e-9)
    assert (vsat_bps / 2, vsat_bps / 2, vsat_bps) in [tuple(round(x) for x in l) for l in loads]


def test_graphml_topology_routes_like_yaml():
    resolved = scenario.load("default")
    path = find_topology(resolved.catalog / "networks" / "topologies", "plant_campus")
    links = load_topology(path, SITES, "server", lambda ref, where: _topology_link(resolved, ref, where))
    net = Network(simpy.Environment(), links, Streams(0).numpy)
    assert [l.name for l, _ in net.route("rig01", "server")] == ["rig01-access", "cell_b", "backhaul"]
    with pytest.raises(ValueError, match="no topology 'nowhere'.*plant_campus, rig_cluster"):
        find_topology(path.parent, "nowhere")


def test_bad_topology_files_say_what_is_wrong(tmp_path):
    bad = tmp_path / "t.yaml"
    bad.write_text("sites: {attach: lan, link: x}\nlinks: [{a: lan, b: elsewhere, link: x}]\n")
    kw = _link_kwargs(scenario.load("default").backhaul)
    with pytest.raises(ValueError, match="connected to 'server'"):
        load_topology(bad, SITES, "server", lambda ref, where: kw)
    bad.write_text("links: []\n")
    with pytest.raises(ValueError, match="needs sites"):
        load_topology(bad, SITES, "server", lambda ref, where: kw)


def test_router_builds_one_tree_for_a_star_in_either_query_order():
    from simdt.network import star_topology
    from simdt.network.topology import Router, build_graph

    sites = [f"s{i}" for i in range(50)]
    link = dict(up_bps=1e6, down_bps=1e6, delay_s=0.01)
    for first, second in ((lambda s: (s, "server")), (lambda s: ("server", s))), ((lambda s: ("server", s)), (lambda s: (s, "server"))):
        router = Router(build_graph(star_topology(sites, {s: link for s in sites}, link)))
        for s in sites:
            router.route(*first(s))
            router.route(*second(s))
        assert len(router._trees) <= 2                   # not one per site
        assert [l.name for l, _ in router.route("s7", "server")] == ["s7-access", "backhaul"]
        assert [d for _, d in router.route("server", "s7")] == ["down", "down"]
