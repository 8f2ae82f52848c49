"""Faults beyond link outages: client crashes, server and twin-host outages, partitions and blackouts.

Every fault is a sequence of down episodes, scheduled (``at`` counted from FL start, for ``duration``) or random
(exponential up times of mean ``mtbf`` and repairs of mean ``mttr``, from t = 0). What each does:
- **crash** (per device): the client process dies; whatever it was doing (download, training, upload) is lost
  with its round, an upload in flight is cut off (its sent bytes are lost bytes); the site cannot be selected
  until it restarts. An error-feedback residual lives in the client's memory and is lost too.
- **server**: the links at the server go down, so transfers in flight follow ``network.on_outage``; no round
  starts and nothing is aggregated until the server is back (its model survives: it is checkpointed).
- **twin_host**: exchanges with the twin host are skipped while it is down (a remote host's link goes down too)
  and a result computed across the start of an outage is lost; each DT method then falls back as its
  docstring says.
- **partition**: a named link of the network, or the first link of each listed site, goes down.
- **blackout**: a power cut at the listed sites (default all): their devices stop as in a crash and their first
  links go down; one longer than the round deadline leaves whole rounds without clients.
Overlapping causes combine: a thing is up only when no cause holds it down.
"""
from __future__ import annotations

import simpy

from simdt.scenario import ScenarioError, _check_device, _line_of


class Availability:
    """Up unless some cause holds it down; ``back()`` is an event that fires when it comes up again."""

    def __init__(self, env: simpy.Environment):
        self.env = env
        self._causes: set[str] = set()
        self._back = env.event()

    @property
    def up(self) -> bool:
        return not self._causes

    def set(self, cause: str, up: bool) -> None:
        was = self.up
        (self._causes.discard if up else self._causes.add)(cause)
        if self.up and not was:
            self._back.succeed()
            self._back = self.env.event()

    def back(self) -> simpy.Event:
        return self._back


def episodes(env: simpy.Environment, outage, fl_start: float, rng, switch):
    """Drive ``switch(up, duration)`` through the outage's down episodes."""
    if outage.mtbf is None:
        yield env.timeout(max(0.0, fl_start + outage.at - env.now))
        switch(False, outage.duration)
        yield env.timeout(outage.duration)
        switch(True, 0.0)
        return
    while True:
        yield env.timeout(rng.exponential(outage.mtbf))
        down = rng.exponential(outage.mttr)
        switch(False, down)
        yield env.timeout(down)
        switch(True, 0.0)


def crash_spec(faults, device: str):
    """The crash entry that applies to a device: the one listing it, else the one without devices."""
    listed = next((c for c in faults.crash if c.devices and device in c.devices), None)
    return listed or next((c for c in faults.crash if c.devices is None), None)


class Faults:
    """The fault processes of one world. The world supplies the links at the server and at the twin host, each
    site's first link (``first_link(site)``) and ``site_down(site, cause, until)``, called when a site's device
    stops; it asks ``server``, ``twin_host`` and ``devices[site]`` whether they are up."""

    def __init__(self, world, server_links: list[str], twin_links: list[str], first_link):
        env, spec, net, streams = world.env, world.sc.faults, world.network, world.streams
        self.env = env
        self.server, self.twin_host = Availability(env), Availability(env)
        self.devices = {s: Availability(env) for s in world.sites}
        self.twin_outages = 0  # outages of the twin host begun so far (a result computed across one is lost)
        start = world.sc.fl.start_after

        def links(names, cause):
            return lambda up, _d: [net.set_link_state(n, up, cause) for n in names]

        def device(site, cause):
            def switch(up, duration):
                was = self.devices[site].up
                self.devices[site].set(cause, up)
                if was and not up:
                    world.site_down(site, cause, env.now + duration)
            return switch

        def both(*switches):
            return lambda up, d: [s(up, d) for s in switches]

        for site in world.sites:
            crash = crash_spec(spec, world.profiles[site].device)
            if crash is not None:
                env.process(episodes(env, crash, start, streams.numpy(f"fault/crash/{site}"), device(site, "crash")))
        for i, o in enumerate(spec.server):
            cause = f"server outage {i}"
            env.process(episodes(env, o, start, streams.numpy(f"fault/server/{i}"),
                                 both(lambda up, _d, c=cause: self.server.set(c, up), links(server_links, cause))))
        for i, o in enumerate(spec.twin_host):
            cause = f"twin host outage {i}"
            env.process(episodes(env, o, start, streams.numpy(f"fault/twin_host/{i}"),
                                 both(lambda up, _d, c=cause: self._twin(c, up), links(twin_links, cause))))
        for i, o in enumerate(spec.partition):
            names = [o.link] if o.link else [first_link(s) for s in o.sites]
            env.process(episodes(env, o, start, streams.numpy(f"fault/partition/{i}"), links(names, f"partition {i}")))
        for i, o in enumerate(spec.blackout):
            cause, sites = f"blackout {i}", o.sites or world.sites
            env.process(episodes(env, o, start, streams.numpy(f"fault/blackout/{i}"),
                                 both(links([first_link(s) for s in sites], cause), *(device(s, cause) for s in sites))))

    def _twin(self, cause: str, up: bool) -> None:
        if not up:
            self.twin_outages += 1
        self.twin_host.set(cause, up)


def check_faults(scenario, label: str, node, roots) -> None:
    """Devices and sites the faults name exist; a partitioned link exists in the network."""
    faults, names = scenario.faults, set(scenario.sites.names())
    for i, crash in enumerate(faults.crash):
        for device in crash.devices or ():
            _check_device(device, f"faults.crash.{i}.devices", label, node)
    for kind in ("partition", "blackout"):
        for i, o in enumerate(getattr(faults, kind)):
            unknown = sorted(set(o.sites or ()) - names)
            if unknown:
                raise ScenarioError(f"no site {unknown[0]!r} (sites are {min(names)} ... {max(names)})", file=label,
                                    line=_line_of(node, ("faults", kind, i, "sites")), field=f"faults.{kind}.{i}.sites")
    links = [o.link for o in faults.partition if o.link]
    if links:
        known = network_link_names(scenario, roots)
        for i, o in enumerate(faults.partition):
            if o.link and o.link not in known:
                raise ScenarioError(f"no link {o.link!r} in the network (links: {', '.join(sorted(known)[:8])}"
                                    f"{', ...' if len(known) > 8 else ''})", file=label,
                                    line=_line_of(node, ("faults", "partition", i, "link")), field=f"faults.partition.{i}.link")


def network_link_names(scenario, roots) -> set[str]:
    """Names of the links a world builds for the scenario (see ``simdt.world``)."""
    from simdt.network.topology_file import find_topology, link_names

    names = {f"{s}-access" for s in scenario.sites.names()}
    if scenario.network.topology:
        for root in roots:
            try:
                names |= set(link_names(find_topology(root / "networks" / "topologies", scenario.network.topology)))
                break
            except ValueError:
                continue
    else:
        names.add("backhaul")
    if scenario.twin_host.placement == "remote":
        names.add("twin-host-link")
    return names
