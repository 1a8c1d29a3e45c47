"""State and primitives of the simulated contact center, shared by the parts of the simulator.

Every change to a party goes through `_add_party` / `_set_party_state` / `_remove_party`, which
emit the matching platform event and then an `interaction.statechanged` if the derived state moved.
"""

from __future__ import annotations

import copy
import itertools
import random
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from openors.platform.clock import Clock, call_later
from openors.platform.errors import ErrorCode, PlatformError
from openors.platform.events import EventKind, PlatformEvent
from openors.platform.interface import Destination, Platform
from openors.platform.model import (
    Agent,
    CallState,
    CCEvent,
    CCEventCause,
    DeviceKind,
    DnType,
    Interaction,
    InteractionState,
    Party,
    PartyState,
    normalise_media,
)
from openors.platform.scenario import OutboundParty
from openors.platform.topology import Topology

if TYPE_CHECKING:
    from openors.platform.sim.agents import AgentDesk
    from openors.platform.sim.callcontrol import CallControl
    from openors.platform.sim.delivery import Delivery

_DN_KIND = {DnType.ROUTING_POINT: DeviceKind.ROUTEPOINT, DnType.ACD_QUEUE: DeviceKind.QUEUE,
            DnType.EXTENSION: DeviceKind.EXTENSION, DnType.ACD_POSITION: DeviceKind.ACDPOSITION}

# `name@where.TYPE` or `name.TYPE`: the target strings of the queue module that name one destination.
_TARGET_STRING = re.compile(r"^(?P<name>[^@]+?)(?:@(?P<where>[^@]*))?\.(?P<type>DN|A|AP|Q|RP)$", re.IGNORECASE)

DEFERRED = object()  # a request handler returns this when it will complete the request later


class EndListener(Protocol):
    def interaction_ending(self, ixn: Interaction) -> None: ...
    def interaction_ended(self, ixn: Interaction) -> None: ...


@dataclass
class Request:
    request_id: str
    name: str
    interaction_id: str | None
    origin: str  # "client" (the ORS layer) or "desktop" (scenario-driven agent/customer action)


class SimCore(Platform):
    # The parts the platform composes (platform.py), which the core's primitives tell of changes.
    agent_desk: AgentDesk  # agents' behaviour and states (agents.py)
    delivery: Delivery  # putting interactions on destinations (delivery.py)
    calls: CallControl  # voice call control (callcontrol.py)

    def __init__(self, topology: Topology, clock: Clock, *, seed: int = 0,
                 outbound: dict[str, OutboundParty] | None = None) -> None:
        super().__init__()
        self.topology = copy.deepcopy(topology)  # the simulation mutates devices, agents, queues
        self.clock = clock
        self.rng = random.Random(seed)
        self.settings = self.topology.settings
        self.devices = self.topology.devices
        self.agents = self.topology.agents
        self.queues = self.topology.queues
        self.workbins = self.topology.workbins
        self.servers = self.topology.servers
        self.outbound = dict(outbound or {})
        self.interactions: dict[str, Interaction] = {}  # live ones
        self.finished: dict[str, Interaction] = {}  # ended ones, kept for inspection
        self.outbox: list[dict[str, Any]] = []  # e-mails / SMS the servers sent
        self._party_seq = itertools.count(1)
        self._party_ixn: dict[str, str] = {}  # party id -> interaction id (parties can move)
        self._last_state: dict[str, InteractionState] = {}
        self._timers: dict[str, list[Any]] = {}  # interaction id -> pending behaviour timers
        self._faults: list[list[Any]] = []
        self._pending: dict[str, Request] = {}  # deferred requests
        # Parts told when an interaction ends: `interaction_ending(ixn)` before its parties go,
        # `interaction_ended(ixn)` after its end events (the media server).
        self.end_listeners: list[EndListener] = []
        # Route requests to an agent already working on an interaction fail (invaliddestination):
        # what `openors platform` turns on, where several ORS nodes select agents at once.
        self.refuse_busy_agents = False

    # -- time and ids -----------------------------------------------------------------------
    def now(self) -> float:
        return self.clock.now()

    def _later(self, delay: float, callback: Callable[..., Any], *args: Any,
               interaction_id: str | None = None) -> Any:
        handle = call_later(self.clock, delay, callback, *args)
        if interaction_id is not None:
            self._timers.setdefault(interaction_id, []).append(handle)
        return handle

    def _new_interaction_id(self) -> str:
        while True:  # ids look like Genesys connection ids: 16 hex digits, seeded
            candidate = f"{self.rng.getrandbits(64):016X}"
            if candidate not in self.interactions and candidate not in self.finished:
                return candidate

    # -- fault injection (lets tests and scenarios provoke any error code) -------------------
    def inject_fault(self, request: str, code: str, description: str = "injected fault",
                     count: int = 1, properties: dict | None = None) -> None:
        """Make the next `count` requests named `request` fail with `code`."""
        self._faults.append([request, code, description, count, properties or {}])

    def _take_fault(self, request: str) -> PlatformError | None:
        for fault in self._faults:
            if fault[0] == request and fault[3] > 0:
                fault[3] -= 1
                return PlatformError(fault[1], fault[2], dict(fault[4]))
        return None

    # -- request machinery ------------------------------------------------------------------
    def _submit(self, name: str, interaction_id: str | None, handler: Callable[..., Any], *args: Any,
                server: str | None = None, origin: str = "client") -> str:
        req = Request(self._new_request_id(), name, interaction_id, origin)
        # Requests never act synchronously: the caller always gets its id before any outcome.
        self._later(self.settings.request_latency, self._run_request, req, handler, args, server)
        return req.request_id

    def _run_request(self, req: Request, handler: Callable[..., Any], args: tuple,
                     server: str | None) -> None:
        try:
            fault = self._take_fault(req.name)
            if fault is not None:
                raise fault
            if server is not None and self._server_unresponsive(server):
                self._later(max(0.0, self.settings.request_timeout - self.settings.request_latency),
                            self._fail, req, PlatformError(
                                ErrorCode.TIMEOUT,
                                f"{self.servers[server].name} did not answer {req.name} within "
                                f"{self.settings.request_timeout:g}s"))
                return
            result = handler(req, *args)
        except PlatformError as err:
            self._fail(req, err)
            return
        if result is DEFERRED:
            self._pending[req.request_id] = req
            return
        self._complete(req, result or {})

    def _complete(self, req: Request, result: dict[str, Any]) -> None:
        self._pending.pop(req.request_id, None)
        result = dict(result)
        ixn_id = result.pop("interaction_id", req.interaction_id)
        callstate = result.pop("callstate", None)
        self._event(EventKind.REQUEST_DONE, request_id=req.request_id, request=req.name,
                    interaction_id=ixn_id, callstate=callstate, data={**result, "origin": req.origin})

    def _fail(self, req: Request, err: PlatformError, **extra: Any) -> None:
        self._pending.pop(req.request_id, None)
        data: dict[str, Any] = {"origin": req.origin}
        if err.properties:
            data["properties"] = dict(err.properties)
        self._event(EventKind.REQUEST_FAILED, request_id=req.request_id, request=req.name,
                    interaction_id=extra.get("interaction_id", req.interaction_id), error=err.code,
                    description=err.description, callstate=extra.get("callstate"), data=data)

    def _server_for(self, kind: str) -> str:
        if kind not in self.servers:
            raise PlatformError(ErrorCode.INVALID_SERVER, f"the topology has no {kind} server")
        if self.servers[kind].state == "down":
            raise PlatformError(ErrorCode.INVALID_SERVER, f"{self.servers[kind].name} is down")
        return kind

    def _server_unresponsive(self, kind: str) -> bool:
        srv = self.servers.get(kind)
        return srv is not None and srv.state == "unresponsive"

    # -- events -----------------------------------------------------------------------------
    def _event(self, kind: str, **fields: Any) -> PlatformEvent:
        return self._emit(PlatformEvent(kind=kind, time=self.now(), **fields))

    def _party_fields(self, party: Party) -> dict[str, Any]:
        return {"party_id": party.party_id, "device": party.device, "device_type": party.kind.value,
                "party_state": party.state.value, "agent_id": party.agent_id}

    def _sync_state(self, ixn: Interaction) -> None:
        new = ixn.state
        old = self._last_state.get(ixn.interaction_id, InteractionState.NULL)
        if new != old:
            self._last_state[ixn.interaction_id] = new
            self._event(EventKind.STATE_CHANGED, interaction_id=ixn.interaction_id, state=new.value,
                        previous_state=old.value)

    # -- interactions -----------------------------------------------------------------------
    def _create(self, media: str, call_type: str, *, properties: dict | None = None,
                udata: dict | None = None, parent_id: str | None = None) -> Interaction:
        ixn = Interaction(self._new_interaction_id(), media, call_type, properties=dict(properties or {}),
                          udata=dict(udata or {}), parent_id=parent_id, created_at=self.now())
        self.interactions[ixn.interaction_id] = ixn
        self._event(EventKind.INTERACTION_CREATED, interaction_id=ixn.interaction_id, udata=dict(ixn.udata),
                    data={"media": media, "category": ixn.category.value, "call_type": call_type,
                          "properties": dict(ixn.properties), "parent_id": parent_id})
        return ixn

    def _live(self, interaction_id: str) -> Interaction:
        ixn = self.interactions.get(interaction_id) if isinstance(interaction_id, str) else None
        if ixn is None:
            ended = " (it has ended)" if interaction_id in self.finished else ""
            raise PlatformError(ErrorCode.NO_INTERACTION, f"no interaction {interaction_id!r}{ended}")
        return ixn

    def _require_category(self, ixn: Interaction, *categories: str,
                          code: str = ErrorCode.INVALID_INTERACTION) -> None:
        if ixn.category.value not in categories:
            raise PlatformError(code, f"interaction {ixn.interaction_id} is {ixn.category.value}; "
                                      f"this request needs {' or '.join(categories)}")

    def _require_state(self, ixn: Interaction, *allowed: InteractionState) -> None:
        if ixn.state not in allowed:
            raise PlatformError(ErrorCode.invalid_state(ixn.state.value),
                                f"interaction {ixn.interaction_id} is {ixn.state.value}; allowed: "
                                f"{', '.join(s.value for s in allowed)}")

    def _party_on(self, ixn: Interaction, device: str | None) -> Party:
        party = ixn.party_at(device) if device is not None else None
        if party is None:
            raise PlatformError(ErrorCode.INVALID_SOURCE,
                                f"{device!r} has no party on interaction {ixn.interaction_id}")
        return party

    def _end(self, ixn: Interaction, *, callstate: CallState = CallState.OK,
             cause: CCEventCause = CCEventCause.NORMAL, reason: str = "released") -> None:
        if ixn.ended:
            return
        for listener in self.end_listeners:
            listener.interaction_ending(ixn)
        for party in list(ixn.parties.values()):
            self._remove_party(ixn, party, cause=cause, callstate=callstate, check_end=False)
        for handle in self._timers.pop(ixn.interaction_id, []):
            self.clock.cancel(handle)
        if ixn.location in self.queues and ixn.interaction_id in self.queues[ixn.location].interactions:
            self.queues[ixn.location].interactions.remove(ixn.interaction_id)
        for agent in self.agents.values():
            # Parties that moved to another call (transfer/conference) left this id behind.
            if ixn.interaction_id in agent.active:
                agent.active.remove(ixn.interaction_id)
                self.agent_desk.changed(agent)
        ixn.treatment = None
        ixn.ended_at = self.now()
        ixn.callstate = int(callstate)
        parent = self.interactions.get(ixn.parent_id or "")
        if parent is not None and parent.consult_id == ixn.interaction_id:
            parent.consult_id = None
        if ixn.consult_id in self.interactions:
            self.interactions[ixn.consult_id].parent_id = ixn.parent_id
        ixn.consult_id = None
        self._sync_state(ixn)
        self._event(EventKind.ENDED, interaction_id=ixn.interaction_id, callstate=int(callstate),
                    cause=int(cause), data={"reason": reason})
        self.finished[ixn.interaction_id] = self.interactions.pop(ixn.interaction_id)
        self._last_state.pop(ixn.interaction_id, None)
        if parent is not None:
            self._sync_state(parent)
        for listener in self.end_listeners:
            listener.interaction_ended(ixn)

    # -- parties ----------------------------------------------------------------------------
    def _add_party(self, ixn: Interaction, device: str, kind: DeviceKind, state: PartyState, *,
                   ccevent: CCEvent, cause: CCEventCause = CCEventCause.NORMAL,
                   agent_id: str | None = None, role: str = "destination",
                   party: Party | None = None, callstate: CallState | None = None,
                   sync: bool = True) -> Party:
        if party is None:
            place = self.agents[agent_id].place if agent_id in self.agents else None
            party = Party(f"{ixn.interaction_id}:{next(self._party_seq)}", device, kind, state,
                          agent_id=agent_id, place=place, role=role)
        ixn.parties[party.party_id] = party
        self._party_ixn[party.party_id] = ixn.interaction_id
        if device in self.devices and ixn.interaction_id not in self.devices[device].calls:
            self.devices[device].calls.append(ixn.interaction_id)
        self._event(EventKind.PARTY_ADDED, interaction_id=ixn.interaction_id, **self._party_fields(party),
                    ccevent=int(ccevent), cause=int(cause),
                    callstate=None if callstate is None else int(callstate))
        if party.agent_id in self.agents:
            agent = self.agents[party.agent_id]
            if ixn.interaction_id not in agent.active:
                agent.active.append(ixn.interaction_id)
            self.agent_desk.changed(agent)
        if sync:
            self._sync_state(ixn)
        return party

    def _set_party_state(self, ixn: Interaction, party: Party, state: PartyState, *, ccevent: CCEvent,
                         cause: CCEventCause = CCEventCause.NORMAL,
                         callstate: CallState | None = None) -> None:
        previous = party.state
        if previous == state:
            return
        party.state = state
        self._event(EventKind.PARTY_CHANGED, interaction_id=ixn.interaction_id, **self._party_fields(party),
                    previous_state=previous.value, ccevent=int(ccevent), cause=int(cause),
                    callstate=None if callstate is None else int(callstate))
        self._sync_state(ixn)

    def _remove_party(self, ixn: Interaction, party: Party, *,
                      ccevent: CCEvent = CCEvent.CONNECTION_CLEARED,
                      cause: CCEventCause = CCEventCause.NORMAL, callstate: CallState | None = None,
                      moving: bool = False, check_end: bool = True) -> None:
        """Drop a party. `moving` keeps agent bookkeeping (the party reappears elsewhere)."""
        if ixn.parties.pop(party.party_id, None) is None:
            return
        self._party_ixn.pop(party.party_id, None)
        still_on_device = any(p.device == party.device for p in ixn.parties.values())
        if party.device in self.devices and not still_on_device:
            calls = self.devices[party.device].calls
            if ixn.interaction_id in calls:
                calls.remove(ixn.interaction_id)
        final_state = party.state
        party.state = PartyState.RELEASED
        fields = self._party_fields(party)
        party.state = final_state  # a moving party keeps its state
        self._event(EventKind.PARTY_DELETED, interaction_id=ixn.interaction_id, **fields,
                    ccevent=int(ccevent), cause=int(cause),
                    callstate=None if callstate is None else int(callstate))
        if party.agent_id in self.agents and not moving:
            self.agent_desk.left(self.agents[party.agent_id], ixn)
        self._sync_state(ixn)
        if check_end and ixn.category.value == "voice" and len(ixn.parties) < 2 and not moving:
            self._end(ixn, callstate=callstate or CallState.OK, cause=cause)

    # -- destinations -----------------------------------------------------------------------
    def resolve(self, destination: Destination) -> dict[str, Any] | None:
        if isinstance(destination, dict):
            return self._resolve_resource(destination)
        if not isinstance(destination, str) or not destination:
            return None
        name = destination
        if "@" in name and not name.startswith("@") and "." not in name.split("@", 1)[1]:
            name = name.split("@", 1)[0]  # dn@switch
        if name in self.devices:
            dev = self.devices[name]
            return {"kind": "dn", "dn": name, "type": dev.type.value}
        if name in self.agents:
            return {"kind": "agent", "agent": name, "dn": self.agents[name].dn}
        if name in self.queues:
            return {"kind": "queue", "name": name}
        if name in self.workbins:
            return {"kind": "workbin", "name": name, "owner": None}
        if self._looks_external(name):
            return {"kind": "external", "number": name}
        return self._resolve_target_string(name)

    def _resolve_target_string(self, text: str) -> dict[str, Any] | None:
        """A URS target as `queue.submit.done` gives it (`targetselected`: `7001@SIM_Switch.DN`,
        `alice@Stat_Server.A`, `Place_1@SS.AP`, `5000@SIM_Switch.RP`, `6000@SIM_Switch.Q`). For DN
        types the part after `@` is the switch: another switch's DN is not ours to reach."""
        match = _TARGET_STRING.match(text)
        if match is None:
            return None
        name, where, kind = match.group("name"), match.group("where") or "", match.group("type").upper()
        if kind == "A":
            return self.resolve(name) if name in self.agents else None
        if kind == "AP":
            return self._resolve_resource({"place": name})
        if where and where != self.topology.switch and name in self.devices:
            return None
        if kind == "Q" and name in self.queues:
            return {"kind": "queue", "name": name}
        if name in self.devices:
            return {"kind": "dn", "dn": name, "type": self.devices[name].type.value}
        return None

    def _resolve_resource(self, res: dict[str, Any]) -> dict[str, Any] | None:
        rtype = str(res.get("type", "")).lower()
        if rtype == "iq":
            return {"kind": "queue", "name": res.get("id")} if res.get("id") in self.queues else None
        if rtype == "wb":
            if res.get("id") not in self.workbins:
                return None
            return {"kind": "workbin", "name": res.get("id"), "owner": res.get("wb_owner")}
        if "agent" in res:
            return self.resolve(str(res["agent"])) if res["agent"] in self.agents else None
        if "place" in res:
            for agent in self.agents.values():
                if agent.place == res["place"]:
                    return {"kind": "agent", "agent": agent.agent_id, "dn": agent.dn}
            return None
        if "dn" in res:
            return self.resolve(str(res["dn"]))
        return None

    def _looks_external(self, number: str) -> bool:
        """Numbers outside the switch: listed in the scenario, or long/international numbers."""
        if number in self.outbound:
            return True
        digits = number[1:] if number.startswith("+") else number
        return digits.isdigit() and (number.startswith("+") or len(digits) >= 7)

    def _require_destination(self, destination: Destination) -> dict[str, Any]:
        target = self.resolve(destination)
        if target is None:
            raise PlatformError(ErrorCode.INVALID_DESTINATION, f"unknown destination {destination!r}")
        if target["kind"] == "dn" and self.devices[target["dn"]].out_of_service:
            raise PlatformError(ErrorCode.REMOTE, f"DN {target['dn']} is out of service")
        return target

    def _dn_kind(self, dn: str) -> DeviceKind:
        dev = self.devices.get(dn)
        return _DN_KIND[dev.type] if dev is not None else DeviceKind.EXTERNAL

    def _agent_on_dn(self, dn: str) -> Agent | None:
        for agent in self.agents.values():
            if agent.dn == dn and agent.logged_in:
                return agent
        return None

    # -- queries ----------------------------------------------------------------------------
    def get_interaction(self, interaction_id: str) -> dict[str, Any] | None:
        ixn = self.interactions.get(interaction_id) or self.finished.get(interaction_id)
        return ixn.snapshot() if ixn is not None else None

    def ready_agents(self, skills: dict[str, int] | None = None, media: str = "voice") -> list[str]:
        wanted = normalise_media(media)
        found = [a for a in self.agents.values() if a.available and a.has_skills(skills)
                 and any(normalise_media(m) == wanted for m in a.media)]
        found.sort(key=lambda a: (a.ready_since, a.agent_id))  # longest idle first
        return [a.agent_id for a in found]
