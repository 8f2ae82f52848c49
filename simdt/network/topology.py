"""The network graph, routing over it, and builders for common topologies."""
from __future__ import annotations

from collections import Counter
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


class Router:
    """Lowest-delay routes, cached. Paths come from one shortest-path tree per node asked about: traffic
    runs almost all to or from the server, so a single Dijkstra serves every site, where a search per
    pair would cost O(N) each (minutes for 10,000 sites). Links are symmetric in delay, so a tree rooted
    at the destination also gives the path from any source."""

    def __init__(self, graph: nx.Graph):
        self.graph = graph
        self._trees: dict[str, dict[str, list[str]]] = {}
        self._asked: Counter[str] = Counter()
        self._routes: dict[tuple[str, str], list[Hop]] = {}

    def route(self, src: str, dst: str) -> list[Hop]:
        """Hops of the lowest-delay path from src to dst (empty when src == dst)."""
        key = (src, dst)
        if key not in self._routes:
            self._routes[key] = self._hops(self._nodes(src, dst))
        return self._routes[key]

    def _nodes(self, src: str, dst: str) -> list[str]:
        for node in (src, dst):
            if node not in self.graph:
                raise KeyError(f"unknown network node {node!r}")
        self._asked[src] += 1
        self._asked[dst] += 1
        if src not in self._trees and dst not in self._trees:
            # root the new tree at the end asked about more often (the server, after the first query), so
            # neither query order grows one tree per site
            root = src if self._asked[src] >= self._asked[dst] else dst
            self._trees[root] = nx.single_source_dijkstra_path(self.graph, root, weight="delay_s")
        if src in self._trees:
            tree, reverse = self._trees[src], False
        else:
            tree, reverse = self._trees[dst], True
        end = src if reverse else dst
        if end not in tree:
            raise nx.NetworkXNoPath(f"no path between {src!r} and {dst!r}")
        return tree[end][::-1] if reverse else tree[end]

    def _hops(self, nodes: list[str]) -> list[Hop]:
        hops = []
        for u, v in zip(nodes, nodes[1:]):
            link = self.graph.edges[u, v]["link"]
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
