"""Platform events: what the contact-center world reports to whoever subscribed.

These are not SCXML events. The ORS layer maps them onto the Interaction Interface (e.g.
`party.changed` -> `interaction.partystatechanged`, `request.failed` -> `error.<ns>.<action>`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


class EventKind:
    """Every kind of platform event, with the fields it fills (besides kind/time/seq)."""

    # interaction_id, media, category, call_type, properties, udata, parent_id
    INTERACTION_CREATED = "interaction.created"
    # interaction_id, device, device_type ("routing_point" | "interaction_queue"), application:
    # an interaction reached a place whose application should start a session for it.
    INTERACTION_ARRIVED = "interaction.arrived"
    # interaction_id, device: the switch asks for a routing decision (EventRouteRequest)
    ROUTE_REQUEST = "interaction.routerequest"
    # interaction_id, state, previous_state
    STATE_CHANGED = "interaction.statechanged"
    # interaction_id, party_id, device, device_type, party_state, ccevent, cause, callstate
    PARTY_ADDED = "party.added"
    PARTY_CHANGED = "party.changed"  # also previous_state
    PARTY_DELETED = "party.deleted"
    # interaction_id, party_id/device/party_state of the diverting party, new_destination
    DIVERTED = "interaction.diverted"
    # interaction_id, party_id/device/party_state of the transferring party, new_destination
    SINGLE_STEP_TRANSFERRED = "interaction.singlesteptransferred"
    # interaction_id, conferencing party (party_id/device/party_state), data.added_party{...}
    SINGLE_STEP_CONFERENCED = "interaction.singlestepconferenced"
    # interaction_id (= to), data: from_interaction_id, to_interaction_id, merge ("transfer" |
    # "conference"), active{party_id, device, party_state}, held{...}; ccevent/cause as hints
    MERGED = "interaction.merged"
    # interaction_id, udata (full copy), data: changed{k: v}, deleted[keys], source ("request" | "outside")
    UDATA_CHANGED = "interaction.udata.changed"
    # interaction_id, data: changed{property: value}
    PROPERTY_CHANGED = "interaction.property.changed"
    # interaction_id, device (queue/workbin name), device_type ("interaction_queue" | "workbin")
    PLACED_IN_QUEUE = "interaction.queued"
    # interaction_id, device: a multimedia interaction was pulled out of a queue
    PULLED = "interaction.pulled"
    # interaction_id, device: the media server took a pulled interaction back (ORS: revoking)
    REVOKED = "interaction.revoked"
    # interaction_id, callstate, cause, data: reason
    ENDED = "interaction.ended"
    # interaction_id, data: message{index, from, nickname, type, text, timestamp, partyid}
    CHAT_MESSAGE = "chat.message"
    # interaction_id, data: server, media, to, from, subject
    MESSAGE_SENT = "message.sent"
    # agent_id, device (dn), data: place, state, previous_state, reason
    AGENT_STATE_CHANGED = "agent.statechanged"
    # request_id, request, interaction_id, data: result fields (see docs/platform.md)
    REQUEST_DONE = "request.done"
    # request_id, request, interaction_id, error, description, data: properties (tserver)
    REQUEST_FAILED = "request.failed"

    @classmethod
    def all(cls) -> list[str]:
        return [v for k, v in vars(cls).items() if k.isupper() and isinstance(v, str)]


@dataclass
class PlatformEvent:
    kind: str
    time: float = 0.0
    seq: int = 0  # global emission order; ties at the same time keep it
    interaction_id: str | None = None
    party_id: str | None = None
    device: str | None = None
    device_type: str | None = None
    party_state: str | None = None
    previous_state: str | None = None
    state: str | None = None
    ccevent: int | None = None
    cause: int | None = None
    callstate: int | None = None
    agent_id: str | None = None
    request_id: str | None = None
    request: str | None = None
    error: str | None = None
    description: str | None = None
    application: str | None = None
    new_destination: str | None = None
    udata: dict[str, Any] | None = None
    data: dict[str, Any] = field(default_factory=dict)

    @property
    def hints(self) -> dict[str, int]:
        """The ORS `hints` object for this event (only the call-model codes that are known)."""
        out = {}
        for name in ("ccevent", "cause", "callstate"):
            value = getattr(self, name)
            if value is not None:
                out[name] = int(value)
        return out

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able dict without empty fields (for traces and other layers)."""
        # Shallow on purpose (traces are written for every event; asdict's deep copy cost a
        # quarter of a busy server's CPU): readers must not change what they get.
        out = {}
        for key, value in self.__dict__.items():
            if (value is None or value == {}) and key not in ("kind", "time"):
                continue
            out[key] = dict(value) if isinstance(value, dict) else value
        return out
