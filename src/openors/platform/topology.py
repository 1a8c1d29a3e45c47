"""The topology file: which DNs, queues, agents and media servers the simulated site has."""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from openors.platform.model import (
    Agent,
    AgentState,
    Device,
    DnType,
    InteractionQueue,
    Place,
    Workbin,
)
from openors.platform.model.media import MEDIA_ALIASES
from openors.platform.validation import ConfigError, Reader, load_yaml

SERVER_KINDS = ("email", "sms", "chat")
SERVER_STATES = ("up", "down", "unresponsive")


@dataclass
class Settings:
    request_latency: float = 0.05  # seconds between a request and its effect
    request_timeout: float = 10.0  # unresponsive servers fail requests with `timeout` after this
    customer_answer_delay: float = 4.0  # outbound calls to numbers the scenario does not describe
    private_services: list[int] = field(default_factory=list)  # service ids the switch accepts


@dataclass
class MediaServer:
    name: str
    kind: str  # email | sms | chat
    inbound_queue: str | None = None  # where new inbound interactions are placed
    address: str | None = None  # our address (e-mail address / SMS number)
    state: str = "up"  # up | down (invalidserver) | unresponsive (timeout)


@dataclass
class Topology:
    source: str = "topology"
    switch: str = "SIM_Switch"
    settings: Settings = field(default_factory=Settings)
    devices: dict[str, Device] = field(default_factory=dict)
    queues: dict[str, InteractionQueue] = field(default_factory=dict)
    workbins: dict[str, Workbin] = field(default_factory=dict)
    agents: dict[str, Agent] = field(default_factory=dict)
    places: dict[str, Place] = field(default_factory=dict)
    servers: dict[str, MediaServer] = field(default_factory=dict)  # by kind
    agent_groups: dict[str, list[str]] = field(default_factory=dict)  # group name -> agent ids
    place_groups: dict[str, list[str]] = field(default_factory=dict)  # group name -> place ids


def default_topology_path() -> Path:
    return Path(str(resources.files("openors.platform") / "data" / "default-topology.yaml"))


def load_topology(path: str | Path | None = None) -> Topology:
    """Read and validate a topology file (the shipped default when `path` is None)."""
    data, name = load_yaml(path or default_topology_path())
    return parse_topology(data, name)


def parse_topology(data: Any, source: str = "topology.yaml") -> Topology:
    top = Reader(source, "", data if data is not None else {})
    top.only(("switch", "settings", "dns", "interaction_queues", "workbins", "agents", "servers",
              "agent_groups", "place_groups"))
    topo = Topology(source=source, switch=top.str("switch", "SIM_Switch"))
    settings = top.child("settings")
    if settings is not None:
        settings.only(("request_latency", "request_timeout", "customer_answer_delay", "private_services"))
        services = settings.items("private_services")
        for i, sid in enumerate(services):
            if isinstance(sid, bool) or not isinstance(sid, int):
                settings.fail("expected an integer service id", f"private_services[{i}]")
        topo.settings = Settings(
            request_latency=settings.number("request_latency", 0.05),
            request_timeout=settings.number("request_timeout", 10.0),
            customer_answer_delay=settings.number("customer_answer_delay", 4.0),
            private_services=list(services),
        )
    for i, raw in enumerate(top.items("dns")):
        _add_device(topo, top.item_reader("dns", i, raw))
    for i, raw in enumerate(top.items("interaction_queues")):
        r = top.item_reader("interaction_queues", i, raw)
        r.only(("name", "application"))
        q = InteractionQueue(name=r.str("name"), application=r.str("application", None))
        _unique(r, "name", q.name, topo.queues)
        topo.queues[q.name] = q
    for i, raw in enumerate(top.items("workbins")):
        r = top.item_reader("workbins", i, raw)
        r.only(("name", "owner_type"))
        wb = Workbin(name=r.str("name"),
                     owner_type=r.str("owner_type", "agent",
                                      choices=("agent", "place", "agent_group", "place_group")))
        _unique(r, "name", wb.name, topo.workbins)
        topo.workbins[wb.name] = wb
    for i, raw in enumerate(top.items("agents")):
        _add_agent(topo, top.item_reader("agents", i, raw))
    servers = top.child("servers")
    if servers is not None:
        servers.only(SERVER_KINDS)
        for kind in SERVER_KINDS:
            found = servers.child(kind)
            if found is None:
                continue
            r = found
            r.only(("name", "inbound_queue", "address", "state"))
            srv = MediaServer(name=r.str("name", f"{kind.capitalize()}Server"), kind=kind,
                              inbound_queue=r.str("inbound_queue", None), address=r.str("address", None),
                              state=r.str("state", "up", choices=SERVER_STATES))
            if srv.inbound_queue is not None and srv.inbound_queue not in topo.queues:
                r.fail(f"no interaction queue named {srv.inbound_queue!r}", "inbound_queue")
            topo.servers[kind] = srv
    topo.agent_groups = _groups(top, "agent_groups", topo.agents, "agent")
    topo.place_groups = _groups(top, "place_groups", topo.places, "place")
    _check_references(topo, top)
    return topo


def _groups(top: Reader, key: str, known: dict, what: str) -> dict[str, list[str]]:
    """`{group: [member, ...]}`; every member must exist (agents by id, places by name)."""
    groups: dict[str, list[str]] = {}
    for name, members in top.mapping(key, {}).items():
        if not isinstance(members, list):
            top.fail(f"expected a list of {what}s, got {type(members).__name__}", f"{key}.{name}")
        for j, member in enumerate(members):
            if str(member) not in known:
                top.fail(f"no {what} {member!r}", f"{key}.{name}[{j}]")
        groups[str(name)] = [str(m) for m in members]
    return groups


_DN_FIELDS = ("dn", "type", "application", "default_destination", "default_after", "skill",
              "out_of_service", "place")


def _add_device(topo: Topology, r: Reader) -> None:
    r.only(_DN_FIELDS)
    dn_type = DnType(r.str("type", choices=[t.value for t in DnType]))
    dev = Device(dn=r.str("dn"), type=dn_type, switch=topo.switch,
                 application=r.str("application", None),
                 default_destination=r.str("default_destination", None),
                 default_after=r.number("default_after", None), skill=r.str("skill", None),
                 out_of_service=r.bool("out_of_service", False), place=r.str("place", None))
    if dev.application is not None and dn_type != DnType.ROUTING_POINT:
        r.fail("only routing points run an application", "application")
    _unique(r, "dn", dev.dn, topo.devices)
    topo.devices[dev.dn] = dev


_AGENT_FIELDS = ("id", "name", "place", "dn", "skills", "state", "answer_delay", "talk_time",
                 "acw_time", "media", "auto_answer")


def _add_agent(topo: Topology, r: Reader) -> None:
    r.only(_AGENT_FIELDS)
    agent_id = r.str("id")
    skills_raw = r.mapping("skills", {})
    skills: dict[str, int] = {}
    for name, level in skills_raw.items():
        if isinstance(level, bool) or not isinstance(level, int):
            r.fail(f"expected an integer level, got {level!r}", f"skills.{name}")
        skills[str(name)] = level
    media = r.items("media") or ["voice"]
    for j, m in enumerate(media):
        if m not in MEDIA_ALIASES:
            r.fail(f"expected one of {', '.join(sorted(MEDIA_ALIASES))}, got {m!r}", f"media[{j}]")
    talk_time = r.data.get("talk_time", 60.0)
    agent = Agent(
        agent_id=agent_id, name=r.str("name", agent_id), place=r.str("place", f"Place_{agent_id}"),
        dn=r.str("dn", None), skills=skills,
        state=AgentState(r.str("state", "logged_out", choices=[s.value for s in AgentState])),
        answer_delay=r.number("answer_delay", 2.0),
        talk_time=None if talk_time is None else r.number("talk_time", 60.0),
        acw_time=r.number("acw_time", 0.0), media=list(media), auto_answer=r.bool("auto_answer", True),
    )
    _unique(r, "id", agent_id, topo.agents)
    topo.agents[agent_id] = agent
    place = topo.places.setdefault(agent.place, Place(agent.place))
    if agent.dn is not None:
        place.dns.append(agent.dn)


def _unique(r: Reader, key: str, value: str, existing: dict) -> None:
    if value in existing:
        r.fail(f"duplicate {value!r}", key)


def _check_references(topo: Topology, top: Reader) -> None:
    """Fields that name other objects must name ones that exist."""
    for i, agent in enumerate(topo.agents.values()):
        if agent.dn is not None:
            dev = topo.devices.get(agent.dn)
            if dev is None or dev.type not in (DnType.EXTENSION, DnType.ACD_POSITION):
                raise ConfigError(topo.source, f"agents[{i}].dn",
                                  f"{agent.dn!r} is not an extension or ACD position in dns")
            dev.place = dev.place or agent.place
    for i, dev in enumerate(topo.devices.values()):
        if dev.default_destination is not None and dev.default_destination not in topo.devices:
            raise ConfigError(topo.source, f"dns[{i}].default_destination",
                              f"no DN {dev.default_destination!r} in dns")
