"""Mixed fleets: which device and uplink each site has, so stragglers come from the fleet itself.

``sites.fleet`` splits the sites, in name order, into consecutive groups (shares rounded by largest remainder,
or counts), each with its own device and uplink; a group's ``draw`` gives each of its sites its own value of the
device (``choice``) or of uplink fields (``uniform``, ``lognormal`` or ``choice``), drawn from the seed by site
name; ``sites.overrides`` then sets the device or uplink of named sites. Without either every site has
``sites.device`` and ``sites.uplink``. Under ``network.topology`` the file gives the links: only devices vary.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from pydantic import ValidationError

from simdt.rng import Streams
from simdt.scenario import (Draw, LinkProfile, Resolved, ScenarioError, _check_device, _line_of, _pydantic_error,
                            _resolve_link)


@dataclass(frozen=True)
class SiteProfile:
    device: str
    uplink: LinkProfile


def group_sizes(shares: list[float], n: int) -> list[int]:
    """Sizes adding up to ``n`` in proportion to ``shares`` (largest remainder; ties to the earlier group)."""
    exact = [s * n for s in shares]
    sizes = [math.floor(x) for x in exact]
    for i in sorted(range(len(shares)), key=lambda i: (sizes[i] - exact[i], i))[: n - sum(sizes)]:
        sizes[i] += 1
    return sizes


def _draw(draw: Draw, field: str, rng: np.random.Generator):
    if field == "device":
        return draw.choice[rng.choice(len(draw.choice), p=draw.p)]
    values = draw.numbers(field)
    if draw.uniform is not None:
        return float(rng.uniform(*values))
    if draw.lognormal is not None:
        return float(values[0] * np.exp(draw.lognormal[1] * rng.standard_normal()))
    return values[rng.choice(len(values), p=draw.p)]


def _with(profile: LinkProfile, values: dict) -> LinkProfile:
    return LinkProfile.model_validate({**profile.model_dump(), **values}) if values else profile


def site_profiles(resolved: Resolved, sites: list[str], streams: Streams) -> dict[str, SiteProfile]:
    """Each site's device and uplink; sites without draws or overrides share their group's profile object."""
    spec = resolved.scenario.sites
    base = SiteProfile(spec.device, resolved.uplink)
    out = dict.fromkeys(sites, base)
    groups = spec.fleet
    sizes = [g.count for g in groups] if groups and groups[0].count else group_sizes([g.share for g in groups], len(sites))
    start = 0
    for group, size, uplink in zip(groups, sizes, resolved.fleet_uplinks):
        profile = SiteProfile(group.device or spec.device, uplink or resolved.uplink)
        for site in sites[start:start + size]:
            if not group.draw:
                out[site] = profile
                continue
            rng = streams.numpy(f"fleet/{site}")
            drawn = {field: _draw(d, field, rng) for field, d in sorted(group.draw.items())}
            device = drawn.pop("device", profile.device)
            out[site] = SiteProfile(device, _with(profile.uplink, drawn))
        start += size
    for site, override in spec.overrides.items():
        current = out[site]
        out[site] = SiteProfile(override.device or current.device, resolved.override_uplinks.get(site, current.uplink))
    return out


def resolve_fleet(scenario, uplink_profile: LinkProfile, label: str, node, roots
                  ) -> tuple[tuple[LinkProfile | None, ...], dict[str, LinkProfile]]:
    """Check the fleet's devices, site names and draws; look up its uplinks (per group, per overridden site)."""
    spec = scenario.sites
    names = set(spec.names())
    topology = scenario.network.topology

    def uplink(ref, field: str) -> LinkProfile | None:
        if ref is None:
            return None
        if topology:
            raise ScenarioError(f"the topology file {topology!r} gives the sites' links; vary only devices here",
                                file=label, line=_line_of(node, tuple(field.split("."))), field=field)
        return _resolve_link(ref, field, label, node, roots)

    groups = []
    for i, group in enumerate(spec.fleet):
        where = f"sites.fleet.{i}"
        if group.device:
            _check_device(group.device, f"{where}.device", label, node)
        for device in (group.draw["device"].choice if "device" in group.draw else ()):
            _check_device(device, f"{where}.draw.device", label, node)
        profile = uplink(group.uplink, f"{where}.uplink")
        links = [f for f in group.draw if f != "device"]
        if links and topology:
            raise ScenarioError("the topology file gives the sites' links; draw only devices here", file=label,
                                line=_line_of(node, ("sites", "fleet", i, "draw")), field=f"{where}.draw")
        try:  # every value drawn must make a valid link with the rest of the profile (e.g. mtbf needs mttr)
            first = {f: group.draw[f].numbers(f)[0] for f in links}
            for f in links:
                for value in group.draw[f].numbers(f):
                    _with(profile or uplink_profile, {**first, f: value})
        except ValidationError as exc:
            err = _pydantic_error(exc, label, None)
            raise ScenarioError(err.message, file=label, line=_line_of(node, ("sites", "fleet", i, "draw")),
                                field=f"{where}.draw") from None
        groups.append(profile)
    overrides = {}
    for site, override in spec.overrides.items():
        where = f"sites.overrides.{site}"
        if site not in names:
            raise ScenarioError(f"no site {site!r} (sites are {min(names)} ... {max(names)})", file=label,
                                line=_line_of(node, ("sites", "overrides", site)), field=where)
        if override.device:
            _check_device(override.device, f"{where}.device", label, node)
        profile = uplink(override.uplink, f"{where}.uplink")
        if profile is not None:
            overrides[site] = profile
    return tuple(groups), overrides
