"""Putting an interaction on a destination: routing points, ACD queues, agents, outside numbers."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from openors.platform.events import EventKind
from openors.platform.model import (
    CallState,
    CCEvent,
    CCEventCause,
    DeviceKind,
    DnType,
    Interaction,
    Party,
    PartyState,
)
from openors.platform.scenario import OutboundParty

NO_ANSWER_AFTER = 30.0  # seconds an outside number rings before the switch gives up

if TYPE_CHECKING:
    from openors.platform.sim.platform import SimulatedPlatform

class Delivery:
    """Putting interactions on destinations: a part of the simulator, over its core."""

    def __init__(self, sim: SimulatedPlatform):
        self.sim = sim

    def _deliver_voice(self, ixn: Interaction, target: dict[str, Any], *,
                       cause: CCEventCause = CCEventCause.NORMAL,
                       ccevent: CCEvent = CCEvent.DELIVERED, party: Party | None = None) -> Party:
        """Make `target` a party of a voice call. Caller has already validated the target."""
        if target["kind"] == "agent":
            target = {"kind": "dn", "dn": target["dn"]}
        if target["kind"] == "external":
            return self._ring_outside(ixn, target["number"], cause=cause, ccevent=ccevent)
        dev = self.sim.devices[target["dn"]]
        if dev.is_waiting_device:
            new = self.sim._add_party(ixn, dev.dn, self.sim._dn_kind(dev.dn), PartyState.QUEUED,
                                  ccevent=CCEvent.QUEUED, cause=CCEventCause.ENTERING_DISTRIBUTION)
            ixn.location = dev.dn
            if dev.type == DnType.ROUTING_POINT:
                self._arrived_at_routing_point(ixn, dev.dn)
            else:
                self._distribute_acd()
            return new
        agent = self.sim._agent_on_dn(dev.dn)
        new = self.sim._add_party(ixn, dev.dn, self.sim._dn_kind(dev.dn), PartyState.RINGING, ccevent=ccevent,
                              cause=cause, agent_id=agent.agent_id if agent else None)
        self.sim.agent_desk.party_rings(ixn, new)
        return new

    def _arrived_at_routing_point(self, ixn: Interaction, dn: str) -> None:
        dev = self.sim.devices[dn]
        if dev.application:
            self.sim._event(EventKind.INTERACTION_ARRIVED, interaction_id=ixn.interaction_id, device=dn,
                        device_type="routing_point", application=dev.application,
                        data={"media": ixn.media, "category": ixn.category.value})
        self.sim._event(EventKind.ROUTE_REQUEST, interaction_id=ixn.interaction_id, device=dn)
        if dev.default_destination is not None:
            self.sim._later(dev.default_after or 0.0, self._default_route, ixn.interaction_id, dn,
                        interaction_id=ixn.interaction_id)

    def _default_route(self, interaction_id: str, dn: str) -> None:
        """Nobody routed the call in time: the switch sends it to the DN's default destination."""
        ixn = self.sim.interactions.get(interaction_id)
        waiting = ixn.party_at(dn) if ixn is not None else None
        if ixn is None or waiting is None or waiting.state != PartyState.QUEUED:
            return
        self._divert(ixn, waiting, self.sim.devices[dn].default_destination, cause=CCEventCause.REDIRECTED)

    def _divert(self, ixn: Interaction, waiting: Party, destination: Any,
                cause: CCEventCause = CCEventCause.DISTRIBUTED) -> None:
        target = self.sim._require_destination(destination)
        self.sim._remove_party(ixn, waiting, ccevent=CCEvent.DIVERTED, cause=cause, check_end=False)
        ixn.location = None
        self.sim._event(EventKind.DIVERTED, interaction_id=ixn.interaction_id, party_id=waiting.party_id,
                    device=waiting.device, device_type=waiting.kind.value,
                    party_state=PartyState.RELEASED.value, new_destination=_label(destination),
                    ccevent=int(CCEvent.DIVERTED), cause=int(cause))
        self._deliver_voice(ixn, target, cause=cause)

    def _distribute_acd(self) -> None:
        """Give queued ACD calls, oldest first, to free agents with the queue's skill."""
        for dev in self.sim.devices.values():
            if dev.type != DnType.ACD_QUEUE:
                continue
            for interaction_id in list(dev.calls):
                ixn = self.sim.interactions.get(interaction_id)
                waiting = ixn.party_at(dev.dn) if ixn is not None else None
                if ixn is None or waiting is None or waiting.state != PartyState.QUEUED:
                    continue
                skills = {dev.skill: 0} if dev.skill else None
                candidates = [a for a in self.sim.ready_agents(skills, "voice") if self.sim.agents[a].dn]
                if not candidates:
                    break
                self._divert(ixn, waiting, self.sim.agents[candidates[0]].dn)

    # -- outside numbers --------------------------------------------------------------------
    def _ring_outside(self, ixn: Interaction, number: str, *, cause: CCEventCause,
                      ccevent: CCEvent) -> Party:
        behaviour = self.sim.outbound.get(number) or OutboundParty(
            answer_after=self.sim.settings.customer_answer_delay)
        party = self.sim._add_party(ixn, number, DeviceKind.EXTERNAL, PartyState.RINGING, ccevent=ccevent,
                                cause=cause)
        if behaviour.result == "busy":
            self.sim._later(1.0, self._outside_fails, party.party_id, CallState.BUSY, CCEventCause.BUSY,
                        interaction_id=ixn.interaction_id)
        elif behaviour.result == "no_answer":
            self.sim._later(NO_ANSWER_AFTER, self._outside_fails, party.party_id, CallState.NO_ANSWER,
                        CCEventCause.NORMAL, interaction_id=ixn.interaction_id)
        else:
            callstate = {"answering_machine": CallState.ANSWERING_MACHINE_DETECTED,
                         "fax": CallState.FAX_DETECTED}.get(behaviour.result, CallState.OK)
            self.sim._later(behaviour.answer_after, self._outside_answers, party.party_id, callstate,
                        behaviour.hangup_after, interaction_id=ixn.interaction_id)
        return party

    def _outside_answers(self, party_id: str, callstate: CallState, hangup_after: float | None) -> None:
        ixn, party = self._find_party(party_id)
        if ixn is None or party is None or party.state != PartyState.RINGING:
            return
        self._answered(ixn, party, callstate=callstate)
        if hangup_after is not None:
            self.sim._later(hangup_after, self._party_hangs_up, party_id, interaction_id=ixn.interaction_id)

    def _outside_fails(self, party_id: str, callstate: CallState, cause: CCEventCause) -> None:
        ixn, party = self._find_party(party_id)
        if ixn is None or party is None or party.state != PartyState.RINGING:
            return
        self.sim.calls._call_outcome(ixn, callstate)
        self.sim._remove_party(ixn, party, ccevent=CCEvent.FAILED, cause=cause, callstate=callstate)

    # -- answering / hanging up ---------------------------------------------------------------
    def _find_party(self, party_id: str) -> tuple[Interaction | None, Party | None]:
        ixn = self.sim.interactions.get(self.sim._party_ixn.get(party_id, ""))
        return (ixn, ixn.parties.get(party_id)) if ixn is not None else (None, None)

    def _answered(self, ixn: Interaction, party: Party, *, callstate: CallState = CallState.OK) -> None:
        """A ringing party picks up; whoever was dialing is now connected too, except a routing
        point: a call it made (a callback) waits there for a routing decision, as an inbound
        call does."""
        self.sim._set_party_state(ixn, party, PartyState.ESTABLISHED, ccevent=CCEvent.ESTABLISHED)
        waits_on = None
        for other in list(ixn.parties.values()):
            if other.state != PartyState.DIALING:
                continue
            if other.kind == DeviceKind.ROUTEPOINT:
                ixn.location = waits_on = other.device
                self.sim._set_party_state(ixn, other, PartyState.QUEUED, ccevent=CCEvent.QUEUED,
                                      cause=CCEventCause.ENTERING_DISTRIBUTION)
            else:
                self.sim._set_party_state(ixn, other, PartyState.ESTABLISHED, ccevent=CCEvent.ESTABLISHED)
        self.sim.calls._call_outcome(ixn, callstate)
        self.sim.agent_desk.party_connected(ixn, party)
        if waits_on is not None:
            self.sim._event(EventKind.ROUTE_REQUEST, interaction_id=ixn.interaction_id, device=waits_on)

    def _party_hangs_up(self, party_id: str) -> None:
        ixn, party = self._find_party(party_id)
        if ixn is None or party is None:
            return
        answered = any(p.state == PartyState.ESTABLISHED and p.party_id != party_id
                       for p in ixn.parties.values())
        callstate = CallState.OK if answered else CallState.ABANDONED
        self.sim._remove_party(ixn, party, callstate=callstate)



def _label(destination: Any) -> str:
    if isinstance(destination, dict):
        for key in ("dn", "agent", "place", "id"):
            if key in destination:
                return str(destination[key])
    return str(destination)
