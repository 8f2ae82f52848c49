"""The network graph, routing over it, and builders for common topologies."""
from __future__ import annotations

from collections.abc import Mapping

import networkx as nx

from .link import LinkConfig

Hop = tuple[LinkConfig, str]  # a link and the direction it is crossed in ("up" | "down")


def build_graph(links: list[LinkConfig]) -> nx.Graph:
    """Nodes are endpoints; each edge carries its LinkConfig under ``link``."""
    graph = nx.Graph()
    names = set()
    for link in links:
        if link.name in names:
            raise ValueError(f"duplicate link name {link.name!r}")
        if graph.has_edge(link.a, link.b):
            other = graph.edges[link.a, link.b]["link"].name
            raise ValueError(f"links {other!r} and {link.name!r} join the same nodes {link.a!r}-{link.b!r}")
        names.add(link.name)
        graph.add_edge(link.a, link.b, link=link, delay_s=link.delay_s)
    return graph


def shortest_route(graph: nx.Graph, src: str, dst: str) -> list[Hop]:
    """Hops of the lowest-delay path from src to dst (empty when src == dst)."""
    for node in (src, dst):
        if node not in graph:
            raise KeyError(f"unknown network node {node!r}")
    nodes = nx.shortest_path(graph, src, dst, weight="delay_s")
    hops = []
    for u, v in zip(nodes, nodes[1:]):
        link = graph.edges[u, v]["link"]
        hops.append((link, link.direction(u)))
    return hops


def star_topology(sites: list[str], access: Mapping[str, Mapping], backhaul: Mapping | None = None,
                  server: str = "server", gateway: str = "gateway") -> list[LinkConfig]:
    """Each site --(its access link "<site>-access")--> gateway --("backhaul")--> server.

    ``access`` maps each site to LinkConfig keyword arguments (up_bps, down_bps, delay_s, loss, mtbf_s,
    mttr_s); ``backhaul`` gives the shared gateway-server link. Without a backhaul the access links end
    at the server itself.
    """
    missing = [s for s in sites if s not in access]
    if missing:
        raise ValueError(f"no access link given for sites {missing}")
    hub = gateway if backhaul is not None else server
    links = [LinkConfig(name=f"{s}-access", a=s, b=hub, **access[s]) for s in sites]
    if backhaul is not None:
        links.append(LinkConfig(name="backhaul", a=gateway, b=server, **backhaul))
    return links
