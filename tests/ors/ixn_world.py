"""A small simulated contact center with ORS sessions on it, for the Interaction Interface tests.

`Site` wires a SimulatedPlatform, a SessionHost and an OrsWorld on one virtual clock. Every
routing point and interaction queue with an application runs `strategies/puppet.scxml`, which the
tests steer with `site.do(session, "<action>", attr=value...)`. Every SCXML event a session takes
is recorded (the world's trace), so tests can check what a session saw and in which order.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from openors.platform.scenario import OutboundParty
from openors.scxml.events import Event
from openors.testing import World

STRATEGIES = Path(__file__).parent / "strategies"
LATENCY = 0.1  # the platform's request latency below; `do` waits a little more than that

TOPOLOGY: dict[str, Any] = {
    "settings": {"request_latency": LATENCY, "request_timeout": 5, "private_services": [3001],
                 "customer_answer_delay": 2},
    "dns": [
        {"dn": "5000", "type": "routing_point", "application": "puppet"},
        {"dn": "5001", "type": "routing_point", "application": "puppet"},
        {"dn": "5002", "type": "routing_point"},
        {"dn": "7001", "type": "extension"},
        {"dn": "7002", "type": "extension"},
        {"dn": "7003", "type": "extension"},
        {"dn": "7999", "type": "extension", "out_of_service": True},
    ],
    "interaction_queues": [{"name": "email_in", "application": "puppet"},
                           {"name": "chat_in", "application": "puppet"},
                           {"name": "parking"}],
    "workbins": [{"name": "drafts"}],
    "agents": [
        {"id": "alice", "dn": "7001", "state": "ready", "answer_delay": 1, "talk_time": None,
         "acw_time": 0, "media": ["voice", "email", "chat"]},
        {"id": "bob", "dn": "7002", "state": "ready", "answer_delay": 1, "talk_time": None,
         "acw_time": 0, "media": ["voice", "email", "chat"]},
        # logged out: calls ring on 7003 until someone accepts them
        {"id": "carol", "dn": "7003", "state": "logged_out", "answer_delay": 1, "talk_time": None},
    ],
    "servers": {"email": {"inbound_queue": "email_in", "address": "help@example.com"},
                "sms": {"inbound_queue": "parking"},
                "chat": {"inbound_queue": "chat_in"}},
}

CUSTOMER = "+15551110001"
OUTSIDE = "+15553330001"      # answers after 2 s
NO_ANSWER = "+15553330002"    # rings until the switch gives up (30 s)


def topology(**servers_state: str) -> dict:
    """The test topology, with some servers set `down` or `unresponsive`."""
    data = copy.deepcopy(TOPOLOGY)
    for kind, state in servers_state.items():
        data["servers"][kind]["state"] = state
    return data


class Site:
    def __init__(self, topology_data: dict | None = None, *, request_timeout: float = 30.0) -> None:
        outbound = {OUTSIDE: OutboundParty(answer_after=2, hangup_after=None),
                    NO_ANSWER: OutboundParty(result="no_answer")}
        self.site = World(topology_data or TOPOLOGY, applications={"puppet": STRATEGIES / "puppet.scxml"},
                          request_timeout=request_timeout, outbound=outbound, seed=1)
        self.clock, self.platform, self.host, self.world = (self.site.clock, self.site.platform, self.site.host,
                                                            self.site.world)
        self.records = self.site.trace

    # --- time -------------------------------------------------------------------------------
    def run(self, seconds: float = 0.5) -> None:
        """Advance virtual time, letting sessions take their events after every platform step."""
        self.site.advance(seconds)

    # --- customers and sessions -------------------------------------------------------------
    def call(self, dnis: str = "5000", ani: str = CUSTOMER, **kwargs) -> tuple[str, Any]:
        """A customer calls a routing point; returns (interaction id, the session that got it)."""
        ixn = self.platform.inbound_call(ani, dnis, **kwargs)
        self.run(0.01)
        return ixn, self.owner(ixn)

    def email(self, **kwargs) -> tuple[str, Any]:
        ixn = self.platform.inbound_email("jane@example.org", subject="Order", body="Where is it?", **kwargs)
        self.run(0.01)
        return ixn, self.owner(ixn)

    def chat(self, **kwargs) -> tuple[str, Any]:
        ixn = self.platform.inbound_chat("Sam", email="sam@example.net", **kwargs)
        self.run(0.01)
        return ixn, self.owner(ixn)

    def owner(self, ixn: str):
        return self.world.owner_session(ixn)

    def start_puppet(self):
        """A session with no interaction (a target for <associate>)."""
        session = self.world.start_session("puppet")
        self.run(0.01)
        return session

    def do(self, session, action: str, wait: float = 0.5, **data: Any) -> str:
        """Make the puppet run one action; returns the request id it wrote to its location."""
        self.host.deliver(session, Event(f"do.{action}", "external", data))
        self.host.run_ready()
        requestid = self.js(session, "rid")
        self.run(wait)
        return requestid

    def js(self, session, expr: str) -> Any:
        return session.interpreter.datamodel.evaluate(expr)

    # --- what sessions saw --------------------------------------------------------------------
    def events(self, session=None, *, names=None) -> list[tuple[str, dict]]:
        """(name, data) of every event sessions took, in order; optionally one session's only."""
        out = []
        for rec in self.records:
            if rec["kind"] != "event" or (session is not None and rec["session"] != session.id):
                continue
            if names is None or rec["name"] in names or any(
                    n.endswith("*") and rec["name"].startswith(n[:-1]) for n in names):
                out.append((rec["name"], rec["data"] or {}))
        return out

    def names(self, session=None) -> list[str]:
        return [name for name, _ in self.events(session) if not name.startswith("do.")]

    def last(self, name: str, session=None) -> dict:
        found = [data for n, data in self.events(session) if n == name]
        assert found, f"no {name} event; sessions saw {self.names(session)}"
        return found[-1]

    def answer(self, requestid: str, session=None) -> tuple[str, dict]:
        """The one result event (`.done` or `error.`) for a request id."""
        found = [(n, d) for n, d in self.events(session) if isinstance(d, dict) and d.get("requestid") == requestid
                 and (n.endswith(".done") or n.startswith("error."))]
        assert len(found) == 1, f"expected one answer to {requestid}, got {found}; saw {self.names(session)}"
        return found[0]
