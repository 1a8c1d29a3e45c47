"""The server's contact center: a platform (the simulator, in real time) joined to the runtime's
sessions by an `OrsWorld`, so calls reaching a routing point start their strategy.

Configured by the `platform` section of the server configuration:

    platform:
      simulator:
        topology: site.yaml          # default: the bundled sample site
        scenario: traffic.yaml       # optional: calls, chats, agents' actions, played in real time
        seed: 7
        config_lists: lists.yaml     # optional: _genesys.session's lists, options, special days
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from openors.ors.applications import find_application
from openors.ors.world import OrsWorld
from openors.platform.scenario import load_scenario
from openors.platform.sim import SimulatedPlatform
from openors.platform.sim.scenario_driver import schedule_scenario
from openors.platform.topology import default_topology_path, load_topology

from .center_metrics import ContactCenterGauges


@dataclass
class SimulatorConfig:
    topology: Path | None = None
    scenario: Path | None = None
    seed: int = 0
    request_timeout: float = 30.0
    config_lists: Path | None = None  # the `config_lists` file (docs/ors-dialog-session.md)
    trace_size: int = 500  # recent platform events kept for operators


@dataclass
class ContactCenter:
    platform: SimulatedPlatform
    world: OrsWorld
    recent: list[dict[str, Any]] = field(default_factory=list)
    trace_size: int = 500
    listeners: list = field(default_factory=list)  # callables(record): live displays

    def record(self, entry: dict[str, Any]) -> None:
        keep_recent(self.recent, entry, self.trace_size)
        for listener in self.listeners:
            listener(entry)

    # --- what operators can see -------------------------------------------------------------
    def interactions(self) -> list[dict[str, Any]]:
        return interaction_views(self.platform, "session", self.world.owner)

    def agents(self) -> list[dict[str, Any]]:
        return agent_views(self.platform)


def keep_recent(recent: list[dict[str, Any]], entry: dict[str, Any], size: int) -> None:
    """The operators' ring of recent platform events: the newest `size` of them."""
    recent.append(entry)
    if len(recent) > size:
        del recent[: len(recent) - size]


def interaction_views(platform: SimulatedPlatform, owner_field: str, owners: dict[str, Any]) -> list[dict[str, Any]]:
    """The platform's interactions as operators see them, each with who owns it under `owner_field`."""
    out = []
    for ixn_id in list(platform.interactions):
        snap = platform.get_interaction(ixn_id)
        if snap is not None:
            snap[owner_field] = owners.get(ixn_id)
            out.append(snap)
    return out


def agent_views(platform: SimulatedPlatform) -> list[dict[str, Any]]:
    return [{"id": a.agent_id, "name": a.name, "place": a.place, "dn": a.dn, "state": str(a.state.value),
             "available": a.available, "skills": dict(a.skills), "media": list(a.media),
             "interactions": list(a.active)}
            for a in platform.agents.values()]


def attach_modules(runtime) -> OrsWorld:
    """No contact center configured: ORS sessions still get their modules (session, statistic...);
    requests to the missing switch are refused with `invalidserver`."""
    from openors.platform.disconnected import DisconnectedPlatform

    world = OrsWorld(DisconnectedPlatform(runtime.host.clock), runtime.host, extensions=runtime.extensions,
                     document_loader=runtime.documents.current_sync, measure=runtime.measure)
    share_documents(runtime, world)  # HTTP-started ORS sessions get their _genesys set-up
    return world


def attach_contact_center(runtime, config: SimulatorConfig, applications: dict[str, str],
                          base_dir: str | None = None) -> ContactCenter:
    """Build the simulator on the runtime's clock and connect it to the runtime's sessions."""
    topo_path = config.topology or default_topology_path()
    topology = load_topology(topo_path)
    host = runtime.host
    platform = SimulatedPlatform(topology, host.clock, seed=config.seed)
    names = {h.application for h in list(topology.devices.values()) + list(topology.queues.values())
             if getattr(h, "application", None)}
    resolved = {}
    for name in names:
        url = applications.get(name)
        if url is not None and base_dir and "://" not in url and not url.startswith("file:"):
            url = (Path(base_dir) / url).resolve().as_uri()
        resolved[name] = url or find_application(name, Path(topo_path), {})
    center: ContactCenter | None = None

    def sink(entry: dict[str, Any]) -> None:
        center.record(entry)

    world = OrsWorld(platform, host, applications=resolved, extensions=runtime.extensions,
                     request_timeout=config.request_timeout, trace=sink,
                     base_url=Path(topo_path).resolve().as_uri(), config_lists=config.config_lists,
                     document_loader=runtime.documents.current_sync, measure=runtime.measure)
    share_documents(runtime, world)
    world.observe_starts(lambda session, seconds: count_platform_session(runtime, seconds))
    center = ContactCenter(platform, world, trace_size=config.trace_size)
    # module actions and the interaction a session serves, in the sessions' flow logs
    runtime.flowlogs.recorder.interaction_details = platform.get_interaction
    center.listeners.append(runtime.flowlogs.recorder.world_record)
    runtime.metrics.registry.register(ContactCenterGauges(platform))
    if config.scenario is not None:
        schedule_scenario(platform, load_scenario(config.scenario))
    return center


def share_documents(runtime, world) -> None:
    """One document cache for HTTP- and platform-started sessions. Every document the runtime
    compiles gets what `OrsWorld.document_for` gives its own (`_genesys.ixn` call states, the
    `_genesys.session` configuration lists, module outbox records): without it a session started
    over HTTP would see empty lists and its <queue:submit> records would go nowhere."""

    runtime.extensions.document_hooks.append(lambda document, root: world.prepare_document(document))


def count_platform_session(runtime, seconds: float) -> None:
    """Sessions the platform starts (a call at a routing point) go through `OrsWorld.start_session`,
    not `Runtime.start_session`: count them in the ORS creation metrics too."""
    runtime.metrics.sessions_created.inc()
    runtime.metrics.create_session_time.observe(seconds)
