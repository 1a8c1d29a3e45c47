"""Voice call control requests (and the parts of route/terminate/user data shared with multimedia)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from openors.platform.errors import ErrorCode, PlatformError
from openors.platform.events import EventKind
from openors.platform.interface import Destination
from openors.platform.model import (
    CallState,
    CCEvent,
    CCEventCause,
    DeviceKind,
    Interaction,
    InteractionState,
    Party,
    PartyState,
)
from openors.platform.sim.core import DEFERRED, Request
from openors.platform.sim.delivery import _label

if TYPE_CHECKING:
    from openors.platform.sim.platform import SimulatedPlatform

S = InteractionState


class CallControl:
    """Voice call control requests (and the parts of route, terminate and user data that multimedia
    shares): a part of the simulator, over its core."""

    def __init__(self, sim: SimulatedPlatform):
        self.sim = sim

    # -- customers calling in ----------------------------------------------------------------
    def inbound_call(self, ani: str, dnis: str, *, patience: float | None = 120.0,
                     hangup_after: float | None = None, udata: dict | None = None,
                     digits: list[str] | None = None, ivr: list[dict] | None = None) -> str:
        """A customer dials `dnis` from `ani`; returns the new interaction id. `digits` and `ivr`:
        what the caller answers to digit collections and VoiceXML applications (sim/treatments.py)."""
        target = self.sim._require_destination(dnis)
        ixn = self.sim._create("TMediaVoice", "inbound", properties={"ani": ani, "dnis": dnis},
                           udata=udata)
        if digits or ivr:
            self.sim.media_server.set_caller_script(ixn.interaction_id, digits, ivr)
        caller = self.sim._add_party(ixn, ani, DeviceKind.EXTERNAL, PartyState.DIALING,
                                 ccevent=CCEvent.OFFERED, role="origination", sync=False)
        ixn.properties["caller_hangup_after"] = hangup_after
        if patience is not None:
            self.sim._later(patience, self._caller_gives_up, caller.party_id,
                        interaction_id=ixn.interaction_id)
        self.sim.delivery._deliver_voice(ixn, target)
        return ixn.interaction_id

    def customer_hangup(self, ani: str) -> bool:
        """The customer calling from `ani` hangs up; False when no call from that number is live."""
        for ixn in list(self.sim.interactions.values()):
            party = ixn.party_at(ani)
            if party is not None and party.kind == DeviceKind.EXTERNAL:
                self.sim.delivery._party_hangs_up(party.party_id)
                return True
        return False

    def _caller_gives_up(self, party_id: str) -> None:
        ixn, party = self.sim.delivery._find_party(party_id)
        if party is not None and party.state == PartyState.DIALING:
            self.sim.delivery._party_hangs_up(party_id)  # nobody answered in time: an abandoned call

    # -- route / answer / terminate / clear ----------------------------------------------------
    def route(self, interaction_id: str, destination: Destination, *, source: str | None = None,
              route_type: str = "default", udata: dict | None = None, hints: dict | None = None,
              origin: str = "client") -> str:
        return self.sim._submit("route", interaction_id, self._route, interaction_id, destination, source,
                            udata, origin=origin)

    def _route(self, req: Request, interaction_id: str, destination: Destination, source: str | None,
               udata: dict | None) -> dict:
        with self.sim.media_server.routing(interaction_id):  # routing interrupts a treatment
            return self._route_now(req, interaction_id, destination, source, udata)

    def _route_now(self, req: Request, interaction_id: str, destination: Destination, source: str | None,
                   udata: dict | None) -> dict:
        ixn = self.sim._live(interaction_id)
        if ixn.category.value != "voice":
            return self.sim.multimedia.route(req, ixn, destination, source, udata)
        waiting: Party | None
        if source is not None:
            waiting = self.sim._party_on(ixn, source)
        else:
            waiting = next((p for p in ixn.parties.values() if p.state == PartyState.QUEUED), None)
            # A call ringing on a DN can be routed elsewhere; a customer's phone ringing (a
            # callback not answered yet) is not a place the call waits to be routed from.
            waiting = waiting or next((p for p in ixn.parties.values() if p.state == PartyState.RINGING
                                       and p.kind != DeviceKind.EXTERNAL), None)
        if waiting is None or waiting.state not in (PartyState.QUEUED, PartyState.RINGING):
            raise PlatformError(ErrorCode.invalid_state(ixn.state.value),
                                f"interaction {interaction_id} is {ixn.state.value}, not waiting to be routed")
        target = self.sim._require_destination(destination)
        if target["kind"] not in ("dn", "agent", "external") or (target["kind"] == "agent" and not target["dn"]):
            raise PlatformError(ErrorCode.INVALID_DESTINATION,
                                f"{_label(destination)!r} cannot take a voice call")
        if self.sim.refuse_busy_agents and target.get("dn"):
            agent = self.sim._agent_on_dn(target["dn"])
            if agent is not None and any(i != interaction_id for i in agent.active):
                raise PlatformError(ErrorCode.INVALID_DESTINATION,
                                    f"agent {agent.agent_id} on {target['dn']} is busy with {agent.active[0]}")
        if udata:
            self._change_udata(ixn, set_=udata, source="request")
        self.sim.delivery._divert(ixn, waiting, target.get("dn") or target.get("number"), cause=CCEventCause.DISTRIBUTED)
        return {"interaction_id": ixn.interaction_id}

    def answer(self, interaction_id: str, device: Destination, *, origin: str = "client") -> str:
        return self.sim._submit("answer", interaction_id, self._answer, interaction_id, device, origin=origin)

    def _answer(self, req: Request, interaction_id: str, device: Destination) -> dict:
        ixn = self.sim._live(interaction_id)
        label = _label(device)
        party = ixn.party_at(label)
        if party is None:
            raise PlatformError(ErrorCode.INVALID_SOURCE, f"{label!r} is not alerted by {interaction_id}")
        if party.state != PartyState.RINGING:
            raise PlatformError(ErrorCode.invalid_state(ixn.state.value),
                                f"{label!r} cannot answer: interaction is {ixn.state.value}")
        self.sim.delivery._answered(ixn, party)
        return {"interaction_id": interaction_id, "resource": party.device}

    def terminate(self, interaction_id: str, *, reason: str | None = None, device: str | None = None,
                  origin: str = "client") -> str:
        if device is not None:
            return self.sim._submit("terminate", interaction_id, self._clear, interaction_id, device,
                                origin=origin)
        return self.sim._submit("terminate", interaction_id, self._terminate, interaction_id, reason,
                            origin=origin)

    def _terminate(self, req: Request, interaction_id: str, reason: str | None) -> dict:
        ixn = self.sim._live(interaction_id)
        if ixn.category.value == "voice":
            # A held call cannot be cleared as a whole: the holder must retrieve or release it first.
            self.sim._require_state(ixn, S.TREATING, S.RINGING, S.ROUTED, S.TRANSFERRING)
        elif not ixn.pulled and not ixn.parties:
            raise PlatformError(ErrorCode.invalid_state(ixn.state.value),
                                f"interaction {interaction_id} is not being processed; nothing to stop")
        self.sim._end(ixn, callstate=CallState.CLEARED, reason=reason or "terminated")
        return {"interaction_id": interaction_id}

    def clear(self, interaction_id: str, device: str, *, origin: str = "client") -> str:
        return self.sim._submit("clear", interaction_id, self._clear, interaction_id, device, origin=origin)

    def _clear(self, req: Request, interaction_id: str, device: str) -> dict:
        ixn = self.sim._live(interaction_id)
        # A party leaves a call that rings, is connected or has a consultation going. On hold, the
        # holder retrieves first (as for <terminate>); waiting for a routing decision (treating),
        # nobody is connected yet: <redirect> routes the call, <terminate> ends it.
        self.sim._require_state(ixn, S.RINGING, S.ROUTED, S.TRANSFERRING)
        party = self.sim._party_on(ixn, device)
        self.sim._remove_party(ixn, party)
        if ixn.category.value != "voice" and not ixn.parties and not ixn.ended:
            self.sim._end(ixn, reason="cleared")
        return {"interaction_id": interaction_id, "resource": party.device}

    # -- hold / retrieve ----------------------------------------------------------------------
    def hold(self, interaction_id: str, device: str, *, origin: str = "client") -> str:
        return self.sim._submit("hold", interaction_id, self._hold, interaction_id, device, origin=origin)

    def _hold(self, req: Request, interaction_id: str, device: str) -> dict:
        ixn, party = self._voice_party(interaction_id, device)
        if party.state != PartyState.ESTABLISHED:
            raise PlatformError(ErrorCode.invalid_state(ixn.state.value),
                                f"{device!r} is {party.state.value}; only a connected party can hold")
        self.sim._set_party_state(ixn, party, PartyState.HELD, ccevent=CCEvent.HELD, callstate=CallState.HELD)
        return {"interaction_id": interaction_id}

    def retrieve(self, interaction_id: str, device: str, *, origin: str = "client") -> str:
        return self.sim._submit("retrieve", interaction_id, self._retrieve, interaction_id, device,
                            origin=origin)

    def _retrieve(self, req: Request, interaction_id: str, device: str) -> dict:
        ixn, party = self._voice_party(interaction_id, device)
        if party.state != PartyState.HELD:
            raise PlatformError(ErrorCode.invalid_state(ixn.state.value),
                                f"{device!r} is {party.state.value}, not holding the call")
        self.sim._set_party_state(ixn, party, PartyState.ESTABLISHED, ccevent=CCEvent.RETRIEVED,
                              callstate=CallState.OK)
        return {"interaction_id": interaction_id}

    def _voice_party(self, interaction_id: str, device: str | None) -> tuple[Interaction, Party]:
        ixn = self.sim._live(interaction_id)
        self.sim._require_category(ixn, "voice")
        return ixn, self.sim._party_on(ixn, device)

    # -- making calls -------------------------------------------------------------------------
    def make_call(self, origin: Destination, destination: Destination, *, call_type: str = "regular",
                  udata: dict | None = None, hints: dict | None = None, origin_kind: str = "client") -> str:
        return self.sim._submit("make_call", None, self._make_call, origin, destination, call_type, udata,
                            origin=origin_kind)

    def _make_call(self, req: Request, origin: Destination, destination: Destination, call_type: str,
                   udata: dict | None) -> Any:
        source = self.sim.resolve(origin)
        if source is None or source["kind"] not in ("dn", "agent") or not source.get("dn"):
            raise PlatformError(ErrorCode.INVALID_SOURCE, f"{_label(origin)!r} cannot originate a call")
        target = self.sim._require_destination(destination)
        if target["kind"] not in ("dn", "agent", "external") or (target["kind"] == "agent" and not target["dn"]):
            raise PlatformError(ErrorCode.INVALID_DESTINATION, f"{_label(destination)!r} cannot be called")
        from_dn = source["dn"]
        to = target.get("dn") or target.get("number")
        ixn = self.sim._create("TMediaVoice", "outbound" if target["kind"] == "external" else "internal",
                           properties={"ani": from_dn, "dnis": to, "createcall_type": call_type},
                           udata=udata)
        predictive = call_type == "predictive"
        agent = self.sim._agent_on_dn(from_dn)
        state = PartyState.QUEUED if predictive else PartyState.DIALING
        self.sim._add_party(ixn, from_dn, self.sim._dn_kind(from_dn), state, role="origination",
                        ccevent=CCEvent.ORIGINATED if not predictive else CCEvent.SERVICE_INITIATED,
                        agent_id=agent.agent_id if agent and not predictive else None)
        self.sim.delivery._deliver_voice(ixn, target)
        if predictive:
            ixn.properties["predictive_request"] = req.request_id
            self.sim._pending[req.request_id] = req
            return DEFERRED  # completes when the outside party answers, is busy, or never answers
        return {"interaction_id": ixn.interaction_id}

    def _call_outcome(self, ixn: Interaction, callstate: CallState) -> None:
        request_id = ixn.properties.pop("predictive_request", None)
        req = self.sim._pending.get(request_id) if request_id else None
        if req is None:
            return
        ixn.callstate = int(callstate)
        self.sim._complete(req, {"interaction_id": ixn.interaction_id, "callstate": int(callstate)})
        if callstate in (CallState.OK, CallState.ANSWERING_MACHINE_DETECTED):
            origin = next((p for p in ixn.parties.values() if p.role == "origination"), None)
            if origin is not None and origin.kind == DeviceKind.ROUTEPOINT:
                self.sim._event(EventKind.ROUTE_REQUEST, interaction_id=ixn.interaction_id, device=origin.device)

    # -- consultation and its completions --------------------------------------------------------
    def initiate_consultation(self, interaction_id: str, device: str, destination: Destination, *,
                              udata: dict | None = None, origin: str = "client") -> str:
        return self.sim._submit("consultation", interaction_id, self._consult, interaction_id, device,
                            destination, udata, origin=origin)

    def _consult(self, req: Request, interaction_id: str, device: str, destination: Destination,
                 udata: dict | None) -> dict:
        ixn, party = self._voice_party(interaction_id, device)
        if ixn.consult_id is not None or party.state != PartyState.ESTABLISHED:
            raise PlatformError(ErrorCode.invalid_state(ixn.state.value),
                                f"{device!r} cannot start a consultation while the call is {ixn.state.value}")
        target = self.sim._require_destination(destination)
        if target["kind"] not in ("dn", "agent", "external") or (target["kind"] == "agent" and not target["dn"]):
            raise PlatformError(ErrorCode.INVALID_DESTINATION, f"{_label(destination)!r} cannot be called")
        self.sim._set_party_state(ixn, party, PartyState.HELD, ccevent=CCEvent.HELD, callstate=CallState.HELD)
        consult = self.sim._create("TMediaVoice", "consult", parent_id=ixn.interaction_id,
                               properties={"ani": party.device, "dnis": target.get("dn") or target.get("number")},
                               udata={**ixn.udata, **(udata or {})})  # the switch copies user data
        ixn.consult_id = consult.interaction_id
        self.sim._sync_state(ixn)
        self.sim._add_party(consult, party.device, party.kind, PartyState.DIALING, ccevent=CCEvent.ORIGINATED,
                        agent_id=party.agent_id, role="origination", callstate=CallState.CONSULT)
        self.sim.delivery._deliver_voice(consult, target)
        return {"interaction_id": ixn.interaction_id, "consult_interaction_id": consult.interaction_id}

    def _consult_pair(self, interaction_id: str, device: str) -> tuple[Interaction, Interaction, Party, Party]:
        """(primary, consult, device's party on primary, device's party on consult)."""
        ixn = self.sim._live(interaction_id)
        self.sim._require_category(ixn, "voice")
        primary = ixn if ixn.consult_id else self.sim.interactions.get(ixn.parent_id or "")
        consult = self.sim.interactions.get(primary.consult_id or "") if primary is not None else None
        if primary is None or consult is None:
            raise PlatformError(ErrorCode.invalid_state(ixn.state.value),
                                f"interaction {interaction_id} has no consultation in progress")
        return primary, consult, self.sim._party_on(primary, device), self.sim._party_on(consult, device)

    def alternate(self, interaction_id: str, device: str, *, origin: str = "client") -> str:
        return self.sim._submit("alternate", interaction_id, self._alternate, interaction_id, device,
                            origin=origin)

    def _alternate(self, req: Request, interaction_id: str, device: str) -> dict:
        primary, consult, on_primary, on_consult = self._consult_pair(interaction_id, device)
        held, active = ((primary, on_primary), (consult, on_consult)) if on_primary.state == PartyState.HELD \
            else ((consult, on_consult), (primary, on_primary))
        if held[1].state != PartyState.HELD or active[1].state != PartyState.ESTABLISHED:
            raise PlatformError(ErrorCode.invalid_state(primary.state.value),
                                "alternate needs one call held and the other connected")
        self.sim._set_party_state(active[0], active[1], PartyState.HELD, ccevent=CCEvent.HELD,
                              callstate=CallState.HELD)
        self.sim._set_party_state(held[0], held[1], PartyState.ESTABLISHED, ccevent=CCEvent.RETRIEVED)
        return {"interaction_id": interaction_id}

    def reconnect(self, interaction_id: str, device: str, *, origin: str = "client") -> str:
        return self.sim._submit("reconnect", interaction_id, self._reconnect, interaction_id, device,
                            origin=origin)

    def _reconnect(self, req: Request, interaction_id: str, device: str) -> dict:
        primary, consult, on_primary, on_consult = self._consult_pair(interaction_id, device)
        self.sim._remove_party(consult, on_consult, moving=True, check_end=False)
        self.sim._end(consult, callstate=CallState.DROPPED, reason="reconnected")
        self.sim._set_party_state(primary, on_primary, PartyState.ESTABLISHED, ccevent=CCEvent.RETRIEVED)
        return {"interaction_id": interaction_id}

    def complete_transfer(self, interaction_id: str, device: str, *, origin: str = "client") -> str:
        return self.sim._submit("transfer", interaction_id, self._merge, interaction_id, device, "transfer",
                            origin=origin)

    def complete_conference(self, interaction_id: str, device: str, *, origin: str = "client") -> str:
        return self.sim._submit("conference", interaction_id, self._merge, interaction_id, device, "conference",
                            origin=origin)

    def _merge(self, req: Request, interaction_id: str, device: str, how: str) -> dict:
        primary, consult, on_primary, on_consult = self._consult_pair(interaction_id, device)
        if on_primary.state != PartyState.HELD:
            raise PlatformError(ErrorCode.invalid_state(primary.state.value),
                                f"{device!r} must hold the main call to complete a {how}")
        ccevent = CCEvent.TRANSFERED if how == "transfer" else CCEvent.CONFERENCED
        cause = CCEventCause.TRANSFER if how == "transfer" else CCEventCause.CONFERENCE
        callstate = CallState.TRANSFERRED if how == "transfer" else CallState.CONFERENCED
        movers = [p for p in consult.parties.values() if p.party_id != on_consult.party_id]
        self.sim._remove_party(consult, on_consult, ccevent=ccevent, cause=cause, callstate=callstate,
                           moving=True, check_end=False)
        for mover in movers:
            self.sim._remove_party(consult, mover, ccevent=ccevent, cause=cause, callstate=callstate,
                               moving=True, check_end=False)
        primary.consult_id = None
        for mover in movers:
            mover.role = "destination"
            self.sim._add_party(primary, mover.device, mover.kind, mover.state, ccevent=ccevent, cause=cause,
                            agent_id=mover.agent_id, party=mover, callstate=callstate)
        active = movers[0] if movers else on_primary
        held = on_primary  # the completing agent's leg on the main call, on hold until now
        # The merge is reported before the consultation ends, so whoever followed the consult call
        # learns where it went before hearing that it is gone (Composer switches on onmerge).
        self.sim._event(EventKind.MERGED, interaction_id=primary.interaction_id, ccevent=int(ccevent),
                    cause=int(cause), callstate=int(callstate),
                    data={"from_interaction_id": consult.interaction_id,
                          "to_interaction_id": primary.interaction_id, "merge": how,
                          "active": _party_brief(active), "held": _party_brief(held)})
        self.sim._end(consult, callstate=callstate, cause=cause, reason=f"merged ({how})")
        if how == "transfer":
            # The transferring party leaves; its agent is done with the call.
            self.sim._remove_party(primary, on_primary, ccevent=ccevent, cause=cause, callstate=callstate,
                               check_end=False)
        else:
            self.sim._set_party_state(primary, on_primary, PartyState.ESTABLISHED, ccevent=ccevent, cause=cause)
        if len(primary.parties) < 2:
            self.sim._end(primary, callstate=callstate, cause=cause)
        return {"interaction_id": primary.interaction_id, "consult_interaction_id": consult.interaction_id}

    # -- single-step transfer / conference -------------------------------------------------------
    def single_step_transfer(self, interaction_id: str, device: str | None, destination: Destination, *,
                             origin: str = "client") -> str:
        return self.sim._submit("singlesteptransfer", interaction_id, self._single_step, interaction_id, device,
                            destination, "transfer", origin=origin)

    def single_step_conference(self, interaction_id: str, device: str | None, destination: Destination, *,
                               origin: str = "client") -> str:
        return self.sim._submit("singlestepconference", interaction_id, self._single_step, interaction_id,
                            device, destination, "conference", origin=origin)

    def _single_step(self, req: Request, interaction_id: str, device: str | None, destination: Destination,
                     how: str) -> dict:
        ixn = self.sim._live(interaction_id)
        if ixn.category.value != "voice":
            return self.sim.multimedia.single_step(ixn, device, destination, how)
        self.sim._require_state(ixn, S.ROUTED)
        party = self.sim._party_on(ixn, device) if device is not None else next(
            (p for p in ixn.parties.values() if p.state == PartyState.ESTABLISHED and p.agent_id), None)
        if party is None:
            raise PlatformError(ErrorCode.INVALID_SOURCE, "no connected agent party to act from")
        target = self.sim._require_destination(destination)
        if target["kind"] not in ("dn", "agent", "external") or (target["kind"] == "agent" and not target["dn"]):
            raise PlatformError(ErrorCode.INVALID_DESTINATION, f"{_label(destination)!r} cannot take the call")
        fields = self.sim._party_fields(party)
        if how == "transfer":
            cause = CCEventCause.SINGLE_STEP_TRANSFER
            self.sim._remove_party(ixn, party, ccevent=CCEvent.TRANSFERED, cause=cause,
                               callstate=CallState.TRANSFERRED, check_end=False)
            fields["party_state"] = PartyState.RELEASED.value
            added = self.sim.delivery._deliver_voice(ixn, target, cause=cause, ccevent=CCEvent.TRANSFERED)
            self.sim._event(EventKind.SINGLE_STEP_TRANSFERRED, interaction_id=interaction_id, **fields,
                        new_destination=_label(destination), ccevent=int(CCEvent.TRANSFERED), cause=int(cause))
        else:
            cause = CCEventCause.SINGLE_STEP_CONFERENCE
            added = self.sim.delivery._deliver_voice(ixn, target, cause=cause, ccevent=CCEvent.CONFERENCED)
            self.sim._event(EventKind.SINGLE_STEP_CONFERENCED, interaction_id=interaction_id, **fields,
                        new_destination=_label(destination), ccevent=int(CCEvent.CONFERENCED), cause=int(cause),
                        data={"added": _party_brief(added)})
        return {"interaction_id": interaction_id}

    # -- private service (treatments: sim/treatments.py) ---------------------------------------------
    def private_service(self, interaction_id: str, device: str | None, service_id: int,
                        data: dict | None = None, *, origin: str = "client") -> str:
        return self.sim._submit("privateservice", interaction_id, self._private_service, interaction_id, device,
                            service_id, origin=origin)

    def _private_service(self, req: Request, interaction_id: str, device: str | None, service_id: int) -> dict:
        ixn = self.sim._live(interaction_id)
        self.sim._require_category(ixn, "voice")
        if device is not None:
            self.sim._party_on(ixn, device)
        if service_id not in self.sim.settings.private_services:
            raise PlatformError(ErrorCode.TSERVER, "the switch refused the private service",
                                {"ErrorCode": 56, "ErrorMessage": f"unknown private service {service_id}",
                                 "ReferenceID": req.request_id})
        return {"interaction_id": interaction_id, "service_id": service_id}

    # -- user data ---------------------------------------------------------------------------
    def update_user_data(self, interaction_id: str, data: dict[str, Any], *, origin: str = "client") -> str:
        return self.sim._submit("update_user_data", interaction_id, self._update_udata, interaction_id, data,
                            origin=origin)

    def _update_udata(self, req: Request, interaction_id: str, data: dict[str, Any]) -> dict:
        ixn = self.sim._live(interaction_id)
        if not isinstance(data, dict):
            raise PlatformError(ErrorCode.UNKNOWN, "user data must be a key/value mapping")
        self._change_udata(ixn, set_=data, source="request" if req.origin == "client" else "outside",
                           request_id=req.request_id)
        return {"interaction_id": interaction_id}

    def delete_user_data(self, interaction_id: str, keys: list[str] | None = None, *,
                         origin: str = "client") -> str:
        return self.sim._submit("delete_user_data", interaction_id, self._delete_udata, interaction_id, keys,
                            origin=origin)

    def _delete_udata(self, req: Request, interaction_id: str, keys: list[str] | None) -> dict:
        ixn = self.sim._live(interaction_id)
        gone = list(ixn.udata) if keys is None else [k for k in keys if k in ixn.udata]
        self._change_udata(ixn, delete=gone, source="request" if req.origin == "client" else "outside",
                           request_id=req.request_id)
        return {"interaction_id": interaction_id}

    def _change_udata(self, ixn: Interaction, *, set_: dict | None = None, delete: list | None = None,
                      source: str, request_id: str | None = None) -> None:
        for key in delete or []:
            ixn.udata.pop(key, None)
        ixn.udata.update(set_ or {})
        self.sim._event(EventKind.UDATA_CHANGED, interaction_id=ixn.interaction_id, udata=dict(ixn.udata),
                    request_id=request_id,
                    data={"changed": dict(set_ or {}), "deleted": list(delete or []), "source": source})


def _party_brief(party: Party) -> dict[str, Any]:
    return {"party_id": party.party_id, "device": party.device, "party_state": party.state.value}
