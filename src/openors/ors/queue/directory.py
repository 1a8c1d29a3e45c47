"""What a target names on the platform: agents, places, groups, DNs (shared by queue and statistic).

Reads the simulator's live objects (`platform.agents`, `platform.devices`, the topology's groups):
a connector to a real contact center would answer the same questions from configuration and
Stat Server.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from openors.platform.model import normalise_media

from .targets import Target, evaluate

if TYPE_CHECKING:
    from openors.platform.model import Agent

AGENT_TYPES = ("A", "AP", "GA", "GP")


class UnknownTarget(LookupError):
    """The target names nothing on this platform."""


class Directory:
    def __init__(self, platform):
        self.platform = platform

    # --- the site ---------------------------------------------------------------------------
    @property
    def agents(self) -> dict[str, Any]:
        return getattr(self.platform, "agents", {})

    @property
    def devices(self) -> dict[str, Any]:
        return getattr(self.platform, "devices", {})

    @property
    def switch(self) -> str:
        topology = getattr(self.platform, "topology", None)
        return getattr(topology, "switch", "") or ""

    def groups(self, kind: str) -> dict[str, list[str]]:
        topology = getattr(self.platform, "topology", None)
        return getattr(topology, "agent_groups" if kind == "GA" else "place_groups", None) or {}

    # --- members ----------------------------------------------------------------------------
    def members(self, target: Target) -> list[str]:
        """Agent ids a target stands for, in configuration order. Raises UnknownTarget."""
        agents = self.agents
        if target.type == "A":
            if target.name in agents:
                return [target.name]
            by_name = [a.agent_id for a in agents.values() if a.name == target.name]
            if by_name:
                return by_name
            raise UnknownTarget(f"no agent {target.name!r}")
        if target.type == "AP":
            found = [a.agent_id for a in agents.values() if a.place == target.name]
            if not found and target.name not in getattr(getattr(self.platform, "topology", None), "places", {}):
                raise UnknownTarget(f"no place {target.name!r}")
            return found
        if target.type == "GA":
            if target.name:
                group = self.groups("GA").get(target.name)
                if group is None:
                    raise UnknownTarget(f"no agent group {target.name!r}")
                pool = [a for a in group if a in agents]
            else:
                pool = list(agents)
            if target.skill is not None:
                pool = [a for a in pool if evaluate(target.skill, _skill_lookup(agents[a]))]
            return pool
        if target.type == "GP":
            places = self.groups("GP").get(target.name)
            if places is None:
                raise UnknownTarget(f"no place group {target.name!r}")
            return [a.agent_id for a in agents.values() if a.place in places]
        if target.type in ("DN", "RP", "Q"):
            device = self.devices.get(target.name)
            if device is None:
                raise UnknownTarget(f"no DN {target.name!r} on {self.switch or 'the switch'}")
            agent = self.agent_on_dn(target.name)
            return [agent.agent_id] if agent is not None else []
        raise UnknownTarget(f"target type {target.type!r} is not supported by this server")

    def agent_on_dn(self, dn: str) -> Agent | None:
        for agent in self.agents.values():
            if agent.dn == dn and agent.logged_in:
                return agent
        return None

    def takes_media(self, agent_id: str, media: str | None) -> bool:
        if not media:
            return True
        wanted = normalise_media(media)
        return any(normalise_media(m) == wanted for m in self.agents[agent_id].media)

    # --- results ----------------------------------------------------------------------------
    def agent_resource(self, agent_id: str, server: str) -> tuple[dict, str, str]:
        """(resource object, targetselected, targetcomponentselected) for an agent."""
        agent = self.agents[agent_id]
        resource = {"agent": agent.agent_id, "place": agent.place, "dn": agent.dn, "switch": self.switch,
                    "type": "A"}
        selected = f"{agent.dn}@{self.switch}.DN" if agent.dn else f"{agent.agent_id}@{server}.A"
        return resource, selected, f"{agent.agent_id}@{server}.A"

    def dn_resource(self, target: Target) -> tuple[dict, str, str]:
        """A DN, routing point or ACD queue taken as it is (no agent behind it to wait for)."""
        device = self.devices[target.name]
        rtype = {"routing_point": "RP", "acd_queue": "Q"}.get(getattr(device.type, "value", ""), "DN")
        resource = {"dn": target.name, "switch": self.switch, "type": rtype}
        return resource, f"{target.name}@{self.switch}.DN", f"{target.name}@{target.server}.{target.type}"


def _skill_lookup(agent):
    def lookup(name: str):
        level = agent.skills.get(name)
        return None if level is None else float(level)
    return lookup
