"""A small simulated site with ORS sessions running the queue test strategies."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from openors.testing import World

STRATEGIES = Path(__file__).parent / "strategies"


def agent(agent_id: str, dn: str, state: str = "ready", **extra) -> dict:
    return {"id": agent_id, "dn": dn, "state": state, "answer_delay": 1, "talk_time": 30, "acw_time": 0, **extra}


def topology(agents: list[dict], groups: dict | None = None) -> dict:
    dns = [{"dn": "5000", "type": "routing_point", "application": "q"},
           {"dn": "6000", "type": "acd_queue", "skill": "sales"}]
    dns += [{"dn": a["dn"], "type": "extension"} for a in agents]
    return {"dns": dns, "agents": agents, "agent_groups": groups or {}}


DEFAULT_AGENTS = [agent("alice", "7001", skills={"sales": 8, "english": 5}),
                  agent("bob", "7002", skills={"sales": 3, "english": 9}),
                  agent("carol", "7003", state="not_ready", skills={"support": 9})]


class Site:
    def __init__(self, strategy: str = "queue_route.scxml", topo: dict | None = None):
        data = topo or topology(DEFAULT_AGENTS, {"Sales": ["alice", "bob"], "Nobody": []})
        self.site = World(data, applications={"q": STRATEGIES / strategy}, seed=1)
        self.clock, self.platform, self.host, self.world = (self.site.clock, self.site.platform, self.site.host,
                                                            self.site.world)
        self.records = self.site.trace

    def call(self, ani: str = "+15551110001", **udata: Any) -> str:
        return self.platform.inbound_call(ani, "5000", udata=udata)

    def at(self, seconds: float, fn, *args) -> None:
        self.site.at(seconds, fn, *args)

    def run(self) -> None:
        self.site.run_until_idle()

    def events(self, name: str) -> list[dict]:
        return [r for r in self.records if r["kind"] == "event" and r["name"] == name]

    def logs(self, label: str) -> list[Any]:
        return [r["value"] for r in self.records if r["kind"] == "log" and r["label"] == label]

    def kind(self, kind: str) -> list[dict]:
        return [r for r in self.records if r["kind"] == kind]
