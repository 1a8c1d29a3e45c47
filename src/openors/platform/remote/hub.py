"""The platform side of `openors-platform/1`: which node gets what (docs/platform-protocol.md).

The hub subscribes to the platform (the simulator) and keeps, for every interaction:

* its sequence: each event about it gets the next number, so a node sees the interaction's events
  in order and can say where it stopped;
* a bounded replay log of its recent events, for nodes that come back;
* its owner: the one node whose sessions have it (offered to it on arrival, or claimed by it);
* its watchers: the nodes that receive its events (the owner, and nodes that made requests on it).

New interactions (`interaction.arrived`) go to exactly one live node that serves the routing point
or queue: the one that owns the fewest live interactions, ties broken round-robin. A node that
disconnects keeps its interactions for `grace_s` seconds (it may come back, or its sessions may be
taken over by another node, which claims them); after that, and for interactions a reconnected
node did not claim within `grace_s`, waiting interactions are offered again to a live node.

The hub knows nothing of sockets: each node is a `Link` with a `send(text)`; service.py does I/O.
"""

from __future__ import annotations

import itertools
import logging
import uuid
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from openors.platform.errors import PlatformError
from openors.platform.events import EventKind, PlatformEvent

from . import protocol as p

log = logging.getLogger("openors.platform.hub")

ENDED_KEPT = 2000  # ended interactions whose logs are kept for nodes that come back late
_REQUEST_ONLY_KEYWORDS = {"origin_kind"}  # never from a node: the platform says who asked


@dataclass
class Link:
    """A connected node, as the hub sees it. `send` queues a text frame (never blocks)."""

    node: str
    send: Callable[[str], None]
    routing_points: set[str] | None = None  # None: all of them
    queues: set[str] | None = None
    close: Callable[[str], None] = lambda reason: None

    def serves(self, device: str | None, device_type: str | None) -> bool:
        wanted = self.queues if device_type == "interaction_queue" else self.routing_points
        return wanted is None or device in wanted


@dataclass
class Stream:
    """One interaction's events as nodes see them."""

    seq: int = 0
    log: deque = field(default_factory=lambda: deque(maxlen=p.REPLAY_LOG))  # (seq, event record)
    owner: str | None = None
    watchers: set[str] = field(default_factory=set)
    arrival: dict[str, Any] | None = None  # the last interaction.arrived, to offer it again


class Hub:
    def __init__(self, platform: Any, *, grace_s: float = 10.0, heartbeat_s: float = 2.0,
                 topology_text: str = "", config_lists_text: str = "", epoch: str | None = None):
        self.platform = platform
        self.clock = platform.clock
        self.grace_s = grace_s
        self.heartbeat_s = heartbeat_s
        self.topology_text = topology_text  # the topology file, for the nodes' directory
        self.config_lists_text = config_lists_text  # the `config_lists` file nodes may use
        self.epoch = epoch or uuid.uuid4().hex[:16]  # a new one per platform process
        self.links: dict[str, Link] = {}
        self.streams: dict[str, Stream] = {}
        self.ended: OrderedDict[str, Stream] = OrderedDict()
        self.load: dict[str, int] = {}  # node -> live interactions it owns
        self.requests: dict[str, tuple[str, str]] = {}  # platform request id -> (node, node's id)
        self.waiting: list[str] = []  # arrived interactions no live node serves yet
        self._grace: dict[str, Any] = {}  # node -> timer
        self._turn = itertools.count()
        self.offers = 0
        platform.subscribe(self._on_event)

    # --- nodes ------------------------------------------------------------------------------------
    def connect(self, link: Link, hello: dict[str, Any]) -> None:
        """A node said hello (already checked by `hello_fields`): welcome it, answer its claims."""
        if link.node in self.links:
            raise p.BadFrame("node", f"node id {link.node!r} is already connected")
        self.links[link.node] = link
        self.load.setdefault(link.node, 0)
        timer = self._grace.pop(link.node, None)
        if timer is not None:
            self.clock.cancel(timer)
        for stream in self._all_streams():
            stream.watchers.discard(link.node)  # only claims make a node watch again
        link.send(p.encode({
            "type": p.WELCOME, "protocol": p.PROTOCOL, "epoch": self.epoch, "node": link.node,
            "heartbeat_s": self.heartbeat_s, "max_frame_bytes": p.MAX_FRAME_BYTES, "replay_log": p.REPLAY_LOG,
            "topology": self.topology_text, "config_lists": self.config_lists_text, "agents": [agent_snapshot(a) for a in self.platform.agents.values()],
            "now": self.clock.now()}))
        log.info("node connected", extra={"node": link.node, "claims": len(hello["claims"])})
        self.claim(link, hello["claims"])
        # interactions it owned and does not claim back in time go to others
        self._grace[link.node] = self.clock.call_later(self.grace_s, self._unclaimed, link.node)
        self._offer_waiting()

    def disconnect(self, node: str) -> None:
        if self.links.pop(node, None) is None:
            return
        for stream in self._all_streams():
            stream.watchers.discard(node)
        old = self._grace.pop(node, None)
        if old is not None:
            self.clock.cancel(old)
        self._grace[node] = self.clock.call_later(self.grace_s, self._unclaimed, node)
        log.warning("node disconnected", extra={"node": node, "owned": self.load.get(node, 0)})

    def _unclaimed(self, node: str) -> None:
        """Grace is over: what `node` still owns and does not watch (it did not claim it) is
        offered again if it still waits for a strategy; otherwise it simply has no owner now."""
        self._grace.pop(node, None)
        for ixn_id, stream in list(self.streams.items()):
            if stream.owner == node and node not in stream.watchers:
                self._set_owner(stream, None)
                if stream.arrival is not None and self._waiting_for_strategy(ixn_id, stream):
                    log.warning("offering again an interaction of a node that did not claim it",
                                extra={"node": node, "interaction": ixn_id})
                    self._offer(ixn_id, stream)

    def _waiting_for_strategy(self, ixn_id: str, stream: Stream) -> bool:
        snap = self.platform.get_interaction(ixn_id)
        arrival = stream.arrival or {}
        return snap is not None and ixn_id in self.platform.interactions and \
            snap.get("location") == arrival.get("device")

    # --- claims -------------------------------------------------------------------------------------
    def claim(self, link: Link, claims: list[tuple[str, str | None, int]]) -> None:
        for ixn_id, epoch, seq in claims:
            if epoch is not None and epoch != self.epoch:
                self._send(link, {"type": p.GONE, "interaction": ixn_id, "epoch": epoch,
                                  "reason": "the platform restarted: its interactions are gone"})
                continue
            stream = self.streams.get(ixn_id) or self.ended.get(ixn_id)
            if stream is None:
                known = self.platform.get_interaction(ixn_id) is not None
                reason = "the interaction has ended" if known else "the platform does not know this interaction"
                self._send(link, {"type": p.GONE, "interaction": ixn_id, "epoch": epoch, "reason": reason})
                continue
            owner = stream.owner
            if owner is not None and owner != link.node and owner in self.links:
                self._send(link, {"type": p.TAKEN, "interaction": ixn_id, "epoch": epoch, "node": owner})
                continue
            if ixn_id in self.streams:
                self._set_owner(stream, link.node)
            stream.watchers.add(link.node)
            first = stream.log[0][0] if stream.log else stream.seq + 1
            if ixn_id in self.ended and (seq + 1 < first or seq >= stream.seq):
                self._send(link, {"type": p.GONE, "interaction": ixn_id, "epoch": epoch,
                                  "reason": "the interaction has ended"})
                continue
            state = p.encode({"type": p.STATE, "interaction": ixn_id, "seq": stream.seq,
                              "snapshot": self.platform.get_interaction(ixn_id)})
            if seq + 1 >= first and seq < stream.seq:  # what it missed is still in the log
                # the log keeps events without their snapshots (memory): the current one first
                link.send(p.encode({"type": p.STATE, "interaction": ixn_id, "seq": seq,
                                    "snapshot": self.platform.get_interaction(ixn_id)}))
                for event_seq, record in stream.log:
                    if event_seq > seq:
                        link.send(p.encode({"type": p.EVENT, "interaction": ixn_id, "seq": event_seq,
                                            "event": record, "replay": True}))
            if ixn_id not in self.ended:  # an ended one's replay closes with its interaction.ended
                link.send(state)

    def release(self, link: Link, interactions: list[str]) -> None:
        for ixn_id in interactions:
            stream = self.streams.get(ixn_id)
            if stream is not None:
                stream.watchers.discard(link.node)
                if stream.owner == link.node:
                    self._set_owner(stream, None)

    # --- requests and queries ----------------------------------------------------------------------
    def request(self, link: Link, frame: dict[str, Any]) -> None:
        rid = p.text(frame, "id")
        action = p.text(frame, "action")
        if action not in p.ACTIONS:
            raise p.BadFrame("action", f"unknown action {action!r}", rid)
        args = dict(p.mapping(frame, "args"))
        for key in _REQUEST_ONLY_KEYWORDS | ({"origin"} if action != "make_call" else set()):
            args.pop(key, None)
        p.check_args(args, rid)
        ixn_id = args.get("interaction_id")
        try:
            platform_id = getattr(self.platform, action)(**args)
        except PlatformError as exc:
            self._send(link, {"type": p.OUTCOME, "id": rid,
                              "error": {"code": exc.code, "description": exc.description}})
            return
        except TypeError as exc:  # arguments the method does not take, or of the wrong kind
            raise p.BadFrame("args", f"{action}: {exc}", rid) from None
        except (ValueError, KeyError, AttributeError) as exc:  # values the simulator cannot use
            raise p.BadFrame("args", f"{action}: {type(exc).__name__}: {exc}", rid) from None
        self.requests[platform_id] = (link.node, str(rid))
        if isinstance(ixn_id, str) and ixn_id in self.streams:
            self.streams[ixn_id].watchers.add(link.node)
        self._send(link, {"type": p.OUTCOME, "id": rid, "ok": True})

    def query(self, link: Link, frame: dict[str, Any]) -> None:
        qid = p.text(frame, "id")
        what = p.text(frame, "what")
        args = p.mapping(frame, "args")
        if what == "interaction":
            result: Any = self.platform.get_interaction(str(args.get("interaction_id")))
        elif what == "agents":
            result = [agent_snapshot(a) for a in self.platform.agents.values()]
        elif what == "ready_agents":
            result = self.platform.ready_agents(args.get("skills"), str(args.get("media", "voice")))
        elif what == "resolve":
            result = self.platform.resolve(args.get("destination"))
        else:
            raise p.BadFrame("what", f"unknown query {what!r} (one of {', '.join(sorted(p.QUERIES))})", qid)
        self._send(link, {"type": p.ANSWER, "id": qid, "result": result})

    # --- events ---------------------------------------------------------------------------------------
    def _on_event(self, ev: PlatformEvent) -> None:
        kind = ev.kind
        if kind in (EventKind.REQUEST_DONE, EventKind.REQUEST_FAILED):
            asked = self.requests.pop(ev.request_id or "", None)
            if asked is None:
                return  # a desktop action's outcome, or a request of a node-less caller
            node, node_request = asked
            record = ev.to_dict()
            record["request_id"] = node_request
            self._interaction_event(ev, record, also=node)
            return
        if kind == EventKind.AGENT_STATE_CHANGED:
            agent = self.platform.agents.get(ev.agent_id)
            text = p.encode({"type": p.EVENT, "event": ev.to_dict(),
                             "agent": agent_snapshot(agent) if agent is not None else None})
            for link in list(self.links.values()):
                link.send(text)
            return
        if ev.interaction_id is None:
            text = p.encode({"type": p.EVENT, "event": ev.to_dict()})
            for link in list(self.links.values()):
                link.send(text)
            return
        record = ev.to_dict()
        if ev.request_id in self.requests:  # a change a node's request made (user data): its id
            record["request_id"] = self.requests[ev.request_id][1]
        stream = self.streams.get(ev.interaction_id)
        if stream is None:
            stream = self.streams[ev.interaction_id] = Stream()
        if kind == EventKind.INTERACTION_ARRIVED:
            stream.arrival = {"device": ev.device, "device_type": ev.device_type, "application": ev.application}
            if stream.owner is None or stream.owner not in self.links:
                self._set_owner(stream, None)
                self._offer(ev.interaction_id, stream, ev)
                return
        self._interaction_event(ev, record)

    def _interaction_event(self, ev: PlatformEvent, record: dict[str, Any], also: str | None = None) -> None:
        ixn_id = ev.interaction_id
        if ixn_id is None:  # an outcome with no interaction: to its node only
            if also in self.links:
                self.links[also].send(p.encode({"type": p.EVENT, "event": record}))
            return
        stream = self.streams.get(ixn_id)
        if stream is None:
            stream = self.streams.get(ixn_id) or self.ended.get(ixn_id)
            if stream is None:
                stream = self.streams[ixn_id] = Stream()
        if also in self.links:  # a node that is gone watches nothing until it claims again
            stream.watchers.add(also)
        stream.seq += 1
        text = p.encode({"type": p.EVENT, "interaction": ixn_id, "seq": stream.seq, "event": record,
                         "snapshots": self._snapshots(ixn_id, record)})
        if len(text) > p.MAX_FRAME_BYTES:  # a huge interaction (a long chat): its view waits for a state
            text = p.encode({"type": p.EVENT, "interaction": ixn_id, "seq": stream.seq, "event": record})
        stream.log.append((stream.seq, record))
        for node in stream.watchers:
            link = self.links.get(node)
            if link is not None:
                link.send(text)
        if ev.kind == EventKind.ENDED and ixn_id in self.streams:
            self._set_owner(stream, None)
            self.ended[ixn_id] = self.streams.pop(ixn_id)
            while len(self.ended) > ENDED_KEPT:
                self.ended.popitem(last=False)

    def _snapshots(self, ixn_id: str, record: dict[str, Any]) -> dict[str, Any]:
        """The interactions an event names, as they are now: the node's view of them."""
        data = record.get("data") or {}
        ids = {ixn_id}
        for key in ("consult_interaction_id", "from_interaction_id", "to_interaction_id", "interaction_id"):
            if isinstance(data.get(key), str):
                ids.add(data[key])
        return {i: self.platform.get_interaction(i) for i in ids}

    # --- offers -----------------------------------------------------------------------------------
    def _offer(self, ixn_id: str, stream: Stream, ev: PlatformEvent | None = None) -> None:
        arrival = stream.arrival or {}
        node = self._choose(arrival.get("device"), arrival.get("device_type"))
        if node is None:
            if ixn_id not in self.waiting:
                self.waiting.append(ixn_id)
            return
        self._set_owner(stream, node)
        stream.watchers.add(node)
        if ev is None:  # offered again: the arrival as it was, now
            ev = PlatformEvent(kind=EventKind.INTERACTION_ARRIVED, time=self.clock.now(), interaction_id=ixn_id,
                               device=arrival.get("device"), device_type=arrival.get("device_type"),
                               application=arrival.get("application"))
        self.offers += 1
        self._interaction_event(ev, ev.to_dict())

    def _choose(self, device: str | None, device_type: str | None) -> str | None:
        """Least-loaded live node serving the device; ties: round-robin."""
        candidates = sorted(n for n, link in self.links.items() if link.serves(device, device_type))
        if not candidates:
            return None
        least = min(self.load.get(n, 0) for n in candidates)
        tied = [n for n in candidates if self.load.get(n, 0) == least]
        return tied[next(self._turn) % len(tied)]

    def _offer_waiting(self) -> None:
        waiting, self.waiting = self.waiting, []
        for ixn_id in waiting:
            stream = self.streams.get(ixn_id)
            if stream is not None and stream.owner is None and self._waiting_for_strategy(ixn_id, stream):
                self._offer(ixn_id, stream)

    def _set_owner(self, stream: Stream, node: str | None) -> None:
        if stream.owner == node:
            return
        if stream.owner is not None:
            self.load[stream.owner] = max(0, self.load.get(stream.owner, 0) - 1)
        stream.owner = node
        if node is not None:
            self.load[node] = self.load.get(node, 0) + 1

    # --- helpers ----------------------------------------------------------------------------------
    def _all_streams(self):
        yield from self.streams.values()
        yield from self.ended.values()

    @staticmethod
    def _send(link: Link, frame: dict[str, Any]) -> None:
        link.send(p.encode(frame))

    def owners(self) -> dict[str, str | None]:
        return {i: s.owner for i, s in self.streams.items()}


def agent_snapshot(agent: Any) -> dict[str, Any]:
    return {"id": agent.agent_id, "state": str(agent.state.value), "active": list(agent.active),
            "ready_since": agent.ready_since, "dn": agent.dn, "place": agent.place}


def hello_fields(frame: dict[str, Any]) -> dict[str, Any]:
    """The checked content of a hello frame; raises BadFrame."""
    if frame.get("type") != p.HELLO:
        raise p.BadFrame("type", f"the first frame must be {p.HELLO!r}, not {frame.get('type')!r}")
    if frame.get("protocol") != p.PROTOCOL:
        raise p.BadFrame("protocol", f"this platform speaks {p.PROTOCOL!r}, not {frame.get('protocol')!r}")
    node = p.text(frame, "node")
    if node is None or not all(c.isalnum() or c in "_.-" for c in node):
        raise p.BadFrame("node", "letters, digits, '_', '.' or '-' only")
    serves = p.mapping(frame, "serves")
    return {"node": node, "routing_points": p.names(serves, "routing_points"),
            "queues": p.names(serves, "queues"), "claims": p.claims(frame)}
