"""Interactions and their parties.

An interaction's state is derived from its parties (see `derive_state`) rather than stored,
so every change to a party keeps the state honest without extra bookkeeping.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from openors.platform.model.media import Category, category_of


class InteractionState(StrEnum):
    """The states that appear in `invalidstate.<state>` error codes."""

    NULL = "null"  # not anywhere yet, finished, or parked in a queue/workbin with no strategy on it
    RINGING = "ringing"  # alerting at a destination, not answered yet
    HOLD = "hold"  # a party holds the interaction and no consultation is pending
    TRANSFERRING = "transferring"  # a consultation started from this interaction is in progress
    TREATING = "treating"  # waiting for a routing decision (routing point, ACD queue, pulled multimedia)
    ROUTED = "routed"  # connected to (accepted by) a destination


class PartyState(StrEnum):
    DIALING = "dialing"  # originating a call that is not answered yet
    QUEUED = "queued"  # waiting on a routing point, ACD queue or interaction queue
    RINGING = "ringing"  # alerting (voice) or offered to an agent (multimedia)
    ESTABLISHED = "established"  # talking / working on the interaction
    HELD = "held"
    RELEASED = "released"  # only seen in the event that removes the party


class DeviceKind(StrEnum):
    """What a party sits on; ORS applications read it as `party.devicetype`."""

    ROUTEPOINT = "routepoint"
    QUEUE = "queue"  # ACD queue or interaction queue
    EXTENSION = "extension"
    ACDPOSITION = "acdposition"
    AGENT = "agent"  # multimedia parties are agents
    EXTERNAL = "external"  # a customer's phone number outside the switch
    UNKNOWN = "unknown"


@dataclass
class Party:
    party_id: str
    device: str
    kind: DeviceKind
    state: PartyState
    agent_id: str | None = None
    place: str | None = None
    role: str = "destination"  # origination | destination | observer

    def snapshot(self) -> dict[str, Any]:
        return {"partyid": self.party_id, "device": self.device, "devicetype": self.kind.value,
                "state": self.state.value, "agentid": self.agent_id, "place": self.place,
                "role": self.role}


@dataclass
class Interaction:
    interaction_id: str
    media: str
    call_type: str = "inbound"  # voice: inbound/outbound/internal/consult; msgbased: InboundNew...
    parties: dict[str, Party] = field(default_factory=dict)  # insertion order = join order
    udata: dict[str, Any] = field(default_factory=dict)  # ordered; OP-Session-ID lives here later
    properties: dict[str, Any] = field(default_factory=dict)  # ani, dnis, subject, from, to, ...
    parent_id: str | None = None
    created_at: float = 0.0
    ended_at: float | None = None
    location: str | None = None  # routing point / queue / workbin it waits in, if any
    pulled: bool = False  # multimedia: taken out of its queue by a strategy
    consult_id: str | None = None  # voice: pending consultation started from this call
    transcript: list[dict[str, Any]] = field(default_factory=list)  # chat only
    treatment: str | None = None
    callstate: int | None = None  # last call state (CallState), e.g. of a predictive call

    @property
    def category(self) -> Category:
        return category_of(self.media)

    @property
    def ended(self) -> bool:
        return self.ended_at is not None

    def party_at(self, device: str) -> Party | None:
        """The live party on `device` (device id, or agent id for multimedia)."""
        for party in self.parties.values():
            if party.device == device or (party.agent_id is not None and party.agent_id == device):
                return party
        return None

    @property
    def state(self) -> InteractionState:
        return derive_state(self)

    def snapshot(self) -> dict[str, Any]:
        """A plain-data copy, safe to hand to other layers."""
        return {
            "interactionid": self.interaction_id, "media": self.media,
            "category": self.category.value, "type": self.call_type, "state": self.state.value,
            "parties": [p.snapshot() for p in self.parties.values()], "udata": dict(self.udata),
            "properties": dict(self.properties), "parentid": self.parent_id,
            "location": self.location, "transcript": [dict(m) for m in self.transcript],
            "callstate": self.callstate,
        }


_WAITING_KINDS = (DeviceKind.ROUTEPOINT, DeviceKind.QUEUE)


def derive_state(ixn: Interaction) -> InteractionState:
    if ixn.ended:
        return InteractionState.NULL
    states = [p.state for p in ixn.parties.values()]
    if ixn.consult_id is not None:
        return InteractionState.TRANSFERRING
    if PartyState.HELD in states:
        return InteractionState.HOLD
    if ixn.treatment is not None:
        return InteractionState.TREATING
    if any(p.kind in _WAITING_KINDS and p.state == PartyState.QUEUED for p in ixn.parties.values()):
        return InteractionState.TREATING
    parties = list(ixn.parties.values())
    ringing = any(p.state == PartyState.RINGING for p in parties)
    answered = any(p.state == PartyState.ESTABLISHED and p.role != "origination" for p in parties)
    if ringing and not answered:
        return InteractionState.RINGING
    if answered:
        return InteractionState.ROUTED
    if ixn.category != Category.VOICE and ixn.pulled:
        return InteractionState.TREATING
    if any(p.state in (PartyState.ESTABLISHED, PartyState.DIALING) for p in parties):
        return InteractionState.RINGING if any(p.state == PartyState.DIALING for p in parties) \
            else InteractionState.ROUTED
    return InteractionState.NULL
