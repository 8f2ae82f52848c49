"""Topologies read from files (``networks/topologies/<name>.yaml`` or ``.graphml``) in place of the default star.

    description: ...
    sites: {attach: [lan_a, lan_b], link: factory_ethernet}  # the scenario's sites, dealt round-robin
    links:                        # ``a`` is the end farther from the server: "up" runs a -> b
      - {a: lan_a, b: terminal_a, link: factory_ethernet}
      - {a: terminal_a, b: gateway, link: {profile: geo_vsat, up: 4Mbps}, name: vsat_a}

A ``link`` is a catalog profile name or a profile with overrides, resolved by the caller, so the file
stays independent of how many sites a scenario has. GraphML (as drawn in yEd or Gephi) says the same with
graph attributes ``sites_attach`` (comma-separated) and ``sites_link``, and edge attributes ``link`` (a
profile name) and optionally ``name``.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import networkx as nx
import yaml

from .link import LinkConfig
from .topology import build_graph


SUFFIXES = (".yaml", ".graphml")


def find_topology(folder: Path, name: str) -> Path:
    for suffix in SUFFIXES:
        if (folder / f"{name}{suffix}").is_file():
            return folder / f"{name}{suffix}"
    known = sorted({p.stem for p in folder.glob("*") if p.suffix in SUFFIXES})
    raise ValueError(f"no topology {name!r} in {folder.name}/ (known: {', '.join(known) or 'none'})")


def _read(path: Path) -> dict:
    if path.suffix != ".graphml":
        return yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    graph = nx.read_graphml(path)
    return {"sites": {"attach": graph.graph["sites_attach"].split(","), "link": graph.graph["sites_link"]},
            "links": [{"a": a, "b": b, **attrs} for a, b, attrs in graph.edges(data=True)]}


def _link_name(spec: dict) -> str:
    return spec.get("name", f"{spec['a']}-{spec['b']}")


def link_names(path: Path) -> list[str]:
    """Names of the file's own links (the sites' access links are ``<site>-access``)."""
    try:
        return [_link_name(spec) for spec in _read(path)["links"]]
    except (KeyError, TypeError, AttributeError):
        return []


def load_topology(path: Path, sites: list[str], server: str,
                  link_kwargs: Callable[[Any, str], dict]) -> list[LinkConfig]:
    """Links of the topology with every site attached; ``link_kwargs(ref, where)`` turns a link reference into
    LinkConfig keyword arguments."""
    try:
        data = _read(path)
        attach, access = data["sites"]["attach"], data["sites"]["link"]
        specs = data["links"]
        attach = [attach] if isinstance(attach, str) else list(attach)
        access_kw = link_kwargs(access, f"{path.name}: sites.link")
        links = [LinkConfig(f"{s}-access", s, attach[i % len(attach)], **access_kw) for i, s in enumerate(sites)]
        links += [LinkConfig(_link_name(spec), spec["a"], spec["b"],
                             **link_kwargs(spec["link"], f"{path.name}: links.{i}"))
                  for i, spec in enumerate(specs)]
    except (KeyError, TypeError) as exc:
        raise ValueError(f"{path.name}: needs sites: {{attach, link}} and links: [{{a, b, link}}] "
                         f"(missing or wrong: {exc})") from None
    graph = build_graph(links)
    if server not in graph or not nx.is_connected(graph):
        raise ValueError(f"{path.name}: every node must be connected to {server!r}")
    return links
