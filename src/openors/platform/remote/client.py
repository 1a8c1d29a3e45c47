"""`RemotePlatform`: the `Platform` of an ORS node whose contact center runs as its own service
(`openors platform`), reached over `openors-platform/1` (docs/platform-protocol.md).

Nothing above it changes: requests return their id at once and complete with one
`request.done` / `request.failed` event; queries answer synchronously from a mirror the platform
keeps up to date (the topology and agents from `welcome` and agent events, each interaction as the
last event about it showed it).

* Connection (link.py): one WebSocket, re-opened after any failure with a bounded, jittered
  exponential back-off. Each `hello` claims the interactions this node's sessions own, with the platform epoch
  and the last sequence number seen for each: the platform replays what was missed, in order, then
  sends the interaction's current state (`state`), or says it is `gone` (it ended, or the
  platform restarted) or `taken` (another live node has it). Gone and taken interactions reach the
  sessions as `interaction.ended`, so they get `interaction.deleted` and never wait for it.
* Requests: sent at once when connected, otherwise when the connection is back; one that has no
  outcome `request_timeout` seconds after it was made fails with `timeout` (its description says
  whether the platform was unreachable), so a session never hangs on a lost request.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import uuid
from collections import OrderedDict
from collections.abc import Callable, Iterable
from typing import Any

import yaml

from openors.platform.errors import PlatformError
from openors.platform.events import EventKind, PlatformEvent
from openors.platform.interface import Destination, Platform
from openors.platform.model import AgentState, normalise_media
from openors.platform.topology import Topology, parse_topology
from openors.platform.validation import ConfigError

from . import protocol as p
from .link import PlatformLink

log = logging.getLogger("openors.platform.remote")

ENDED_KEPT = 2000  # snapshots of ended interactions kept for late readers
_EVENT_FIELDS = set(PlatformEvent.__dataclass_fields__)

Position = tuple[str | None, int]  # (platform epoch, last sequence number seen)
RESTARTED = "the platform restarted: its interactions are gone"


class RemotePlatform(Platform):
    def __init__(self, url: str, clock: Any, *, node: str, routing_points: list[str] | None = None,
                 queues: list[str] | None = None, request_timeout: float = 10.0,
                 reconnect_min_s: float = 0.1, reconnect_max_s: float = 5.0, heartbeat_s: float = 2.0,
                 token: str | None = None):
        super().__init__()
        self.clock = clock
        self.node = node
        self.routing_points = routing_points  # None: every routing point
        self.queues = queues
        self.request_timeout = request_timeout
        self.token = token  # the platform's shared secret, if it has one
        self.link = PlatformLink(url, hello=self._hello, on_welcome=self._welcome, on_frame=self._frame,
                                 before_beat=self._releases, reconnect_min_s=reconnect_min_s,
                                 reconnect_max_s=reconnect_max_s, heartbeat_s=heartbeat_s)
        self.url = self.link.url
        # the mirror
        self.topology: Topology | None = None
        self._topology_text = ""
        self.config_lists: dict | None = None  # the platform's configuration lists, if it has some
        self.snapshots: dict[str, dict[str, Any]] = {}
        self.finished: OrderedDict[str, dict[str, Any]] = OrderedDict()
        self.positions: dict[str, Position] = {}  # interaction -> where its events stand for us
        self.epoch: str | None = None
        self._held: set[str] = set()  # offered to or claimed by this node, until released
        # requests
        self._ids = itertools.count(1)
        # request ids are unique across restarts: an outcome meant for an earlier process of this
        # node (replayed after a crash) never answers a new request
        self._incarnation = uuid.uuid4().hex[:8]
        self._pending: dict[str, Any] = {}  # request id -> timeout timer
        self._queries: dict[str, asyncio.Future] = {}
        self.owned: Callable[[], Iterable[str]] = lambda: ()  # interactions our sessions own (wiring)
        self.on_resync: Callable[[str], None] = lambda ixn: None  # an interaction's state arrived
        self.on_welcome: Callable[[RemotePlatform], None] = lambda platform: None

    # --- life cycle ---------------------------------------------------------------------------------
    async def start(self, wait_s: float = 10.0) -> bool:
        """Connect in the background; True once welcomed within `wait_s` (the node may start
        without its platform: it keeps trying, and requests fail with `timeout` meanwhile)."""
        return await self.link.start(wait_s)

    async def stop(self) -> None:
        await self.link.stop()

    @property
    def connected(self) -> bool:
        return self.link.connected

    @property
    def connections(self) -> int:
        return self.link.connections

    def _hello(self) -> dict[str, Any]:
        hello = {"type": p.HELLO, "protocol": p.PROTOCOL, "node": self.node,
                 "serves": {"routing_points": self.routing_points or "*", "queues": self.queues or "*"},
                 "claims": self._claims(self.owned())}
        if self.token:
            hello["token"] = self.token
        return hello

    def _releases(self) -> list[dict[str, Any]]:
        """Interactions offered to or claimed by this node that no session owns any more (their
        sessions ended): the platform stops counting them as this node's load."""
        owned = set(self.owned())
        gone = [ixn for ixn in self._held if ixn not in owned][: p.MAX_CLAIMS]
        if not gone:
            return []
        self._held.difference_update(gone)
        for ixn in gone:
            self.positions.pop(ixn, None)
        return [{"type": p.RELEASE, "interactions": gone}]

    def _welcome(self, frame: dict[str, Any]) -> None:
        self.epoch = p.text(frame, "epoch")
        # A new platform process: what we held in an earlier one is gone. Said now, before any
        # event of the new one, which may reuse an id (its ids are seeded).
        for ixn, (epoch, _seq) in list(self.positions.items()):
            if epoch is not None and epoch != self.epoch:
                self._lost(ixn, RESTARTED)
        text = frame.get("topology")
        if isinstance(text, str) and text and text != self._topology_text:  # first, or a new site
            try:
                self.topology = parse_topology(yaml.safe_load(text), f"{self.url} topology")
            except (ConfigError, yaml.YAMLError) as exc:
                raise p.BadFrame("topology", str(exc)) from None
            self._topology_text, self._resolver = text, None
        lists = frame.get("config_lists")
        if isinstance(lists, str) and lists and self.config_lists is None:
            with contextlib.suppress(yaml.YAMLError):
                loaded = yaml.safe_load(lists)
                self.config_lists = loaded if isinstance(loaded, dict) else None
        for agent in frame.get("agents") or []:
            self._agent(agent)
        log.info("platform link up", extra={"url": self.url, "epoch": self.epoch, "node": self.node})
        self.on_welcome(self)

    # --- frames from the platform ---------------------------------------------------------------------
    def _frame(self, frame: dict[str, Any]) -> None:
        kind = frame["type"]
        if kind == p.EVENT:
            self._event(frame)
        elif kind == p.STATE:
            ixn = p.text(frame, "interaction")
            assert ixn is not None
            snap = frame.get("snapshot")
            if isinstance(snap, dict):
                self.snapshots[ixn] = snap
            self.positions[ixn] = (self.epoch, int(frame.get("seq") or 0))
            self.on_resync(ixn)
        elif kind in (p.GONE, p.TAKEN):
            ixn = p.text(frame, "interaction")
            assert ixn is not None
            if ixn not in self.positions or self.positions[ixn][0] != frame.get("epoch"):
                return  # about an earlier claim of an id we no longer hold, or hold anew
            why = frame.get("reason") if kind == p.GONE else f"another node ({frame.get('node')}) has it"
            self._lost(ixn, str(why))
        elif kind == p.OUTCOME:
            error = frame.get("error")
            if isinstance(error, dict):
                self._refused(str(frame.get("id")), str(error.get("code") or "unknown"),
                              str(error.get("description") or "refused by the platform"))
        elif kind == p.ANSWER:
            future = self._queries.pop(str(frame.get("id")), None)
            if future is not None and not future.done():
                future.set_result(frame.get("result"))
        elif kind == p.ERROR:
            log.error("the platform refused a frame", extra={"field": frame.get("field"), "reason": frame.get("message")})
            if frame.get("id") is not None:
                self._refused(str(frame["id"]), "unknown", f"the platform refused the request: {frame.get('message')}")
        # heartbeats: their arrival is what counts

    def _event(self, frame: dict[str, Any]) -> None:
        record = p.mapping(frame, "event")
        ixn = frame.get("interaction")
        if isinstance(ixn, str):
            seq = frame.get("seq")
            if isinstance(seq, int):
                epoch, seen = self.positions.get(ixn, (None, 0))
                if epoch == self.epoch and seq <= seen:
                    return  # already had it (a replay overlapping what arrived live)
                self.positions[ixn] = (self.epoch, seq)
            for other, snap in (frame.get("snapshots") or {}).items():
                if isinstance(snap, dict):
                    self.snapshots[other] = snap
        agent = frame.get("agent")
        if isinstance(agent, dict):
            self._agent(agent)
        fields = {k: v for k, v in record.items() if k in _EVENT_FIELDS}
        if not isinstance(fields.get("kind"), str):
            raise p.BadFrame("event.kind", "missing")
        event = PlatformEvent(**fields)
        if event.kind == EventKind.INTERACTION_ARRIVED and isinstance(ixn, str):
            self._held.add(ixn)
        if event.kind in (EventKind.REQUEST_DONE, EventKind.REQUEST_FAILED):
            timer = self._pending.pop(event.request_id or "", None)
            if timer is None:
                return  # answered already (it timed out), or not ours
            self.clock.cancel(timer)
        self._emit(event)
        if event.kind == EventKind.ENDED and isinstance(ixn, str):
            self._forget(ixn)

    def _agent(self, snap: dict[str, Any]) -> None:
        agent = self.agents.get(str(snap.get("id")))
        if agent is None:
            return
        with contextlib.suppress(ValueError):
            agent.state = AgentState(str(snap.get("state")))
        agent.active = list(snap.get("active") or [])
        agent.ready_since = float(snap.get("ready_since") or 0.0)
        agent.dn = snap.get("dn", agent.dn)
        agent.place = snap.get("place") or agent.place

    def _lost(self, ixn: str, reason: str) -> None:
        """The interaction is not ours any more: its owner session hears it ended."""
        log.warning("interaction lost", extra={"interaction": ixn, "reason": reason})
        self._emit(PlatformEvent(kind=EventKind.ENDED, time=self.clock.now(), interaction_id=ixn,
                                 data={"reason": reason}))
        self._forget(ixn)

    def _forget(self, ixn: str) -> None:
        self.positions.pop(ixn, None)
        self._held.discard(ixn)
        snap = self.snapshots.pop(ixn, None)
        if snap is not None:
            self.finished[ixn] = snap
            while len(self.finished) > ENDED_KEPT:
                self.finished.popitem(last=False)

    # --- claims ---------------------------------------------------------------------------------------
    def _claims(self, interactions: Iterable[str]) -> list[dict[str, Any]]:
        out = []
        for ixn in interactions:
            self._held.add(ixn)
            epoch, seq = self.positions.get(ixn, (None, 0))
            out.append({"interaction": ixn, "epoch": epoch, "seq": seq})
        return out

    def claim(self, positions: dict[str, Position]) -> None:
        """Sessions that came back (a restart, or taken over from a dead node) own these
        interactions: ask for them, from where they stood (their snapshot says)."""
        claims = {}
        for ixn, (epoch, seq) in positions.items():
            if epoch is not None and self.epoch is not None and epoch != self.epoch:
                # from an earlier platform process: gone (told after the restore that asked)
                self.clock.call_later(0.0, self._lost, ixn, RESTARTED)
                continue
            known = self.positions.get(ixn)
            if known is None or known[0] != epoch or known[1] < seq:
                self.positions[ixn] = (epoch, seq)
            claims[ixn] = self.positions[ixn]
            self._held.add(ixn)
        if self.connected and claims:
            self.link.send({"type": p.CLAIM, "claims": self._claims(claims)})

    def position(self, ixn: str) -> Position | None:
        return self.positions.get(ixn)

    # --- requests -------------------------------------------------------------------------------------
    def _request(self, action: str, **args: Any) -> str:
        rid = f"{self.node}.{self._incarnation}.{next(self._ids)}"
        self._pending[rid] = self.clock.call_later(self.request_timeout, self._expired, rid, action,
                                                   args.get("interaction_id"))
        self.link.send({"type": p.REQUEST, "id": rid, "action": action, "args": args})
        return rid

    def _expired(self, rid: str, action: str, ixn: str | None) -> None:
        if self._pending.pop(rid, None) is None:
            return
        self.link.drop_unsent(rid)
        where = "the platform is not connected" if not self.connected else "the platform did not answer"
        self._fail(rid, action, ixn, "timeout", f"no outcome for {action} from the platform at {self.url} "
                                                f"within {self.request_timeout:g}s: {where}")

    def _refused(self, rid: str, code: str, description: str) -> None:
        timer = self._pending.pop(rid, None)
        if timer is None:
            return
        self.clock.cancel(timer)
        self._fail(rid, None, None, code, description)

    def _fail(self, rid: str, action: str | None, ixn: str | None, code: str, description: str) -> None:
        self._emit(PlatformEvent(kind=EventKind.REQUEST_FAILED, time=self.clock.now(), request_id=rid,
                                 request=action, interaction_id=ixn, error=code, description=description,
                                 data={"origin": "client"}))

    async def query(self, what: str, timeout: float = 5.0, **args: Any) -> Any:
        """Ask the platform directly (tools and tests; sessions read the mirror)."""
        if not self.connected:
            raise PlatformError("timeout", f"the platform at {self.url} is not connected")
        qid = f"{self.node}.q{next(self._ids)}"
        future = self._queries[qid] = asyncio.get_running_loop().create_future()
        self.link.send({"type": p.QUERY, "id": qid, "what": what, "args": args})
        try:
            return await asyncio.wait_for(future, timeout)
        finally:
            self._queries.pop(qid, None)

    # --- queries (synchronous, from the mirror) -----------------------------------------------------------
    def now(self) -> float:
        return self.clock.now()

    @property
    def agents(self) -> dict[str, Any]:
        return self.topology.agents if self.topology is not None else {}

    @property
    def devices(self) -> dict[str, Any]:
        return self.topology.devices if self.topology is not None else {}

    def get_interaction(self, interaction_id: str) -> dict[str, Any] | None:
        return self.snapshots.get(interaction_id) or self.finished.get(interaction_id)

    def ready_agents(self, skills: dict[str, int] | None = None, media: str = "voice") -> list[str]:
        wanted = normalise_media(media)
        found = [a for a in self.agents.values() if a.available and a.has_skills(skills)
                 and any(normalise_media(m) == wanted for m in a.media)]
        found.sort(key=lambda a: (a.ready_since, a.agent_id))
        return [a.agent_id for a in found]

    def resolve(self, destination: Destination) -> dict[str, Any] | None:
        if self.topology is None:
            return None
        if self._resolver is None:  # the simulator's rules, on the topology alone (never run)
            from openors.platform.clock import VirtualClock
            from openors.platform.sim import SimulatedPlatform

            self._resolver = SimulatedPlatform(self.topology, VirtualClock())
        return self._resolver.resolve(destination)

    _resolver: Any = None

    # --- requests (docs/platform.md) ----------------------------------------------------------------------
    def route(self, interaction_id: str, destination: Destination, *, source: str | None = None,
              route_type: str = "default", udata: dict | None = None, hints: dict | None = None) -> str:
        return self._request("route", interaction_id=interaction_id, destination=destination, source=source,
                             route_type=route_type, udata=udata, hints=hints)

    def answer(self, interaction_id: str, device: Destination) -> str:
        return self._request("answer", interaction_id=interaction_id, device=device)

    def terminate(self, interaction_id: str, *, reason: str | None = None, device: str | None = None) -> str:
        return self._request("terminate", interaction_id=interaction_id, reason=reason, device=device)

    def clear(self, interaction_id: str, device: str) -> str:
        return self._request("clear", interaction_id=interaction_id, device=device)

    def hold(self, interaction_id: str, device: str) -> str:
        return self._request("hold", interaction_id=interaction_id, device=device)

    def retrieve(self, interaction_id: str, device: str) -> str:
        return self._request("retrieve", interaction_id=interaction_id, device=device)

    def make_call(self, origin: Destination, destination: Destination, *, call_type: str = "regular",
                  udata: dict | None = None, hints: dict | None = None) -> str:
        return self._request("make_call", origin=origin, destination=destination, call_type=call_type,
                             udata=udata, hints=hints)

    def initiate_consultation(self, interaction_id: str, device: str, destination: Destination, *,
                              udata: dict | None = None) -> str:
        return self._request("initiate_consultation", interaction_id=interaction_id, device=device,
                             destination=destination, udata=udata)

    def alternate(self, interaction_id: str, device: str) -> str:
        return self._request("alternate", interaction_id=interaction_id, device=device)

    def reconnect(self, interaction_id: str, device: str) -> str:
        return self._request("reconnect", interaction_id=interaction_id, device=device)

    def complete_transfer(self, interaction_id: str, device: str) -> str:
        return self._request("complete_transfer", interaction_id=interaction_id, device=device)

    def complete_conference(self, interaction_id: str, device: str) -> str:
        return self._request("complete_conference", interaction_id=interaction_id, device=device)

    def single_step_transfer(self, interaction_id: str, device: str | None, destination: Destination) -> str:
        return self._request("single_step_transfer", interaction_id=interaction_id, device=device,
                             destination=destination)

    def single_step_conference(self, interaction_id: str, device: str | None, destination: Destination) -> str:
        return self._request("single_step_conference", interaction_id=interaction_id, device=device,
                             destination=destination)

    def private_service(self, interaction_id: str, device: str | None, service_id: int,
                        data: dict | None = None) -> str:
        return self._request("private_service", interaction_id=interaction_id, device=device,
                             service_id=service_id, data=data)

    def start_treatment(self, interaction_id: str, treatment: str, duration: float, *,
                        collect: dict | None = None, application: str | None = None) -> str:
        return self._request("start_treatment", interaction_id=interaction_id, treatment=treatment,
                             duration=duration, collect=collect, application=application)

    def stop_treatment(self, interaction_id: str) -> str:
        return self._request("stop_treatment", interaction_id=interaction_id)

    def update_user_data(self, interaction_id: str, data: dict[str, Any]) -> str:
        return self._request("update_user_data", interaction_id=interaction_id, data=data)

    def delete_user_data(self, interaction_id: str, keys: list[str] | None = None) -> str:
        return self._request("delete_user_data", interaction_id=interaction_id, keys=keys)

    def place_in_queue(self, interaction_id: str, queue: Destination) -> str:
        return self._request("place_in_queue", interaction_id=interaction_id, queue=queue)

    def pull_from_queue(self, queue: str, interaction_id: str | None = None) -> str:
        return self._request("pull_from_queue", queue=queue, interaction_id=interaction_id)

    def create_message(self, *, media: str = "TMediaEMail", message_type: str = "outbound_new",
                       parent_id: str | None = None, to: str | None = None, from_: str | None = None,
                       subject: str | None = None, body: str | None = None, srid: str | None = None,
                       queue: str | None = None, server: str | None = None, udata: dict | None = None) -> str:
        return self._request("create_message", media=media, message_type=message_type, parent_id=parent_id, to=to,
                             from_=from_, subject=subject, body=body, srid=srid, queue=queue, server=server,
                             udata=udata)

    def send_message(self, interaction_id: str, *, queue: str | None = None) -> str:
        return self._request("send_message", interaction_id=interaction_id, queue=queue)

    def send_chat_message(self, interaction_id: str, from_: str, text: str, *, message_type: str = "Message") -> str:
        return self._request("send_chat_message", interaction_id=interaction_id, from_=from_, text=text,
                             message_type=message_type)

    def get_transcript(self, interaction_id: str) -> str:
        return self._request("get_transcript", interaction_id=interaction_id)

    def get_content(self, interaction_id: str) -> str:
        return self._request("get_content", interaction_id=interaction_id)

    def update_properties(self, interaction_id: str, changes: dict[str, Any]) -> str:
        return self._request("update_properties", interaction_id=interaction_id, changes=changes)

    def agent_login(self, agent_id: str, *, place: str | None = None, dn: str | None = None) -> str:
        return self._request("agent_login", agent_id=agent_id, place=place, dn=dn)

    def agent_ready(self, agent_id: str) -> str:
        return self._request("agent_ready", agent_id=agent_id)

    def agent_not_ready(self, agent_id: str, *, reason: str | None = None) -> str:
        return self._request("agent_not_ready", agent_id=agent_id, reason=reason)

    def agent_after_call_work(self, agent_id: str) -> str:
        return self._request("agent_after_call_work", agent_id=agent_id)

    def agent_logout(self, agent_id: str) -> str:
        return self._request("agent_logout", agent_id=agent_id)
