"""A fresh simulated site on virtual time for every test, with every platform event recorded."""

from __future__ import annotations

import pytest

from openors.platform import parse_topology
from openors.platform.clock import VirtualClock
from openors.platform.sim import SimulatedPlatform

TOPOLOGY = {
    "settings": {"request_latency": 0.1, "request_timeout": 5, "private_services": [3001]},
    "dns": [
        {"dn": "5000", "type": "routing_point", "application": "inbound-app"},
        {"dn": "5002", "type": "routing_point"},
        {"dn": "6000", "type": "acd_queue", "skill": "sales"},
        {"dn": "7001", "type": "extension"},
        {"dn": "7002", "type": "extension"},
        {"dn": "7003", "type": "extension"},
        {"dn": "7999", "type": "extension", "out_of_service": True},
    ],
    "interaction_queues": [{"name": "email_in", "application": "email-app"},
                           {"name": "chat_in", "application": "chat-app"},
                           {"name": "parking"}],
    "workbins": [{"name": "drafts"}],
    "agents": [
        {"id": "alice", "dn": "7001", "skills": {"sales": 5}, "state": "ready", "answer_delay": 2,
         "talk_time": None, "acw_time": 10, "media": ["voice", "email", "chat"]},
        {"id": "bob", "dn": "7002", "skills": {"support": 5}, "state": "ready", "answer_delay": 3,
         "talk_time": None, "media": ["voice", "chat"]},
        {"id": "carol", "dn": "7003", "state": "logged_out", "answer_delay": 1, "talk_time": 20},
    ],
    "servers": {"email": {"inbound_queue": "email_in", "address": "help@example.com"},
                "sms": {"inbound_queue": "parking"},
                "chat": {"inbound_queue": "chat_in"}},
}


class Site:
    def __init__(self, topology: dict | None = None) -> None:
        self.clock = VirtualClock()
        self.platform = SimulatedPlatform(parse_topology(topology or TOPOLOGY, "test-topology.yaml"),
                                          self.clock, seed=1)
        self.events = []
        self.platform.subscribe(self.events.append)

    def run(self, seconds: float) -> None:
        self.clock.advance(seconds)

    def of(self, kind: str, **match) -> list:
        return [e for e in self.events if e.kind == kind
                and all(getattr(e, k, None) == v for k, v in match.items())]

    def outcome(self, request_id: str):
        found = [e for e in self.events if e.request_id == request_id
                 and e.kind in ("request.done", "request.failed")]
        assert len(found) == 1, f"expected exactly one outcome for {request_id}, got {found}"
        return found[0]

    def state(self, interaction_id: str) -> str:
        return self.platform.get_interaction(interaction_id)["state"]

    def party_states(self, interaction_id: str) -> dict[str, str]:
        return {p["device"]: p["state"] for p in self.platform.get_interaction(interaction_id)["parties"]}


@pytest.fixture
def site() -> Site:
    return Site()
