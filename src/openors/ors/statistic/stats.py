"""The predefined statistics of ORS-SPEC §4.5, computed from the simulator's live state.

Objects are written in target format (`alice@StatServer.A`, `Sales@.GA`, `?:sales>5@SS.GA`,
`VQ_Sales@.Q`, `7001@SW.DN`) or are `R` (the router) / `RP` (routing points). Each has a canonical
key `TYPE:name` (`Target.key`), which the JS snapshot uses too.

What the simulator can say, per statistic (agent-type objects aggregate over their members):

| statistic | agents, places, groups | queue (`.Q`: virtual queue or ACD queue DN) |
|---|---|---|
| StatAgentsAvailable / Busy / Total | ready and free / working on something / logged in | the agents behind the queue |
| StatAgentsInQueueLogin / Ready | logged in / ready and free | same, for the queue's agents |
| StatCallsInQueue, RStatCallsInQueue | submits waiting for this object | interactions waiting in it |
| StatExpectedWaitingTime | waiting x average handle time / logged-in agents (seconds) | same |
| StatTimeInReadyState | seconds ready and free (group: the longest) | the longest of its agents |
| StatCallsAnswered / StatCallsCompleted | calls the members answered / finished | submits distributed from it |
| StatLoadBalance | busy / logged in (0..1) | same |
| StatAgentLoading | interactions in hand x 100 (group: average) | same |
| CallsEntered | - | submits that entered it (`R`: all, `RP`: arrivals on routing points) |

A queue's agents: for a virtual queue, the members of the targets its waiting submits name; for an
ACD queue DN, the agents having the queue's skill.
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING, Any

from openors.platform.events import EventKind

from ..queue.directory import AGENT_TYPES, Directory, UnknownTarget
from ..queue.router import QueueRouter
from ..queue.targets import Target, TargetSyntaxError, parse_target

if TYPE_CHECKING:
    from ..world import OrsWorld

PREDEFINED = ("StatAgentsAvailable", "StatAgentsBusy", "StatAgentsTotal", "StatAgentsInQueueLogin",
              "StatAgentsInQueueReady", "StatCallsInQueue", "RStatCallsInQueue", "StatExpectedWaitingTime",
              "StatTimeInReadyState", "StatCallsAnswered", "StatCallsCompleted", "StatLoadBalance",
              "StatAgentLoading", "CallsEntered")
DEFAULT_HANDLE_TIME = 60.0


def object_key(text: Any) -> str | None:
    """`alice@SS.A` -> `A:alice`; `R`/`RP` as they are; None when it is no object."""
    if not isinstance(text, str):
        return None
    text = text.strip()
    if text in ("R", "RP"):
        return text
    try:
        return parse_target(text).key
    except TargetSyntaxError:
        return None


def target_of(key: str) -> Target:
    type_code, _, name = key.partition(":")
    if name.startswith("?"):
        group, _, expr = name[1:].partition(":")
        return parse_target(f"?{group}:{expr}@.{type_code}")
    return Target(name=name, type=type_code)


class Statistics:
    """Live statistic values for one world; counters follow the platform's events."""

    def __init__(self, world: OrsWorld, router: QueueRouter):
        self.world = world
        self.router = router  # whose queues and reservations several statistics count
        self.directory = Directory(world.platform)
        self.answered: Counter[str] = Counter()  # agent id -> calls answered
        self.completed: Counter[str] = Counter()
        self.handle_times: list[float] = []
        self.arrivals = 0  # interactions that reached a routing point
        self.version = 0  # bumped on every change the statistics may depend on
        self._answered_at: dict[str, float] = {}  # party id -> when an agent answered
        world.platform.subscribe(self._on_platform_event)

    def _on_platform_event(self, ev) -> None:
        self.version += 1
        if ev.kind == EventKind.INTERACTION_ARRIVED and ev.device_type == "routing_point":
            self.arrivals += 1
        if not ev.agent_id or ev.agent_id not in self.directory.agents:
            return
        if ev.kind in (EventKind.PARTY_CHANGED, EventKind.PARTY_ADDED) and ev.party_state == "established":
            if ev.party_id not in self._answered_at:
                self._answered_at[ev.party_id] = ev.time
                self.answered[ev.agent_id] += 1
        elif ev.kind == EventKind.PARTY_DELETED and ev.party_id in self._answered_at:
            self.handle_times.append(ev.time - self._answered_at.pop(ev.party_id))
            self.completed[ev.agent_id] += 1

    # --- values -----------------------------------------------------------------------------
    def value(self, obj: Any, statistic: str) -> float | None:
        """The value of `statistic` for `obj` (target string or key); None when it does not apply."""
        key = obj if isinstance(obj, str) and ":" in obj and "@" not in obj else object_key(obj)
        if key is None or statistic not in PREDEFINED:
            return None
        try:
            return self._value(key, statistic)
        except (UnknownTarget, TargetSyntaxError):
            return None

    def handle_time(self) -> float:
        if self.handle_times:
            return sum(self.handle_times[-50:]) / len(self.handle_times[-50:])
        talk = [a.talk_time for a in self.directory.agents.values() if a.talk_time]
        return sum(talk) / len(talk) if talk else DEFAULT_HANDLE_TIME

    def _agents_of(self, key: str) -> list[str]:
        target = target_of(key)
        if target.type in AGENT_TYPES or target.type in ("DN", "RP"):
            return self.directory.members(target)
        if target.type == "Q":
            device = self.directory.devices.get(target.name)
            if device is not None and getattr(device, "skill", None):
                return [a.agent_id for a in self.directory.agents.values() if device.skill in a.skills]
            return self.router.vq_agents(target.name)
        raise UnknownTarget(f"no statistics for {key}")

    def _waiting(self, key: str) -> int:
        if key.startswith("Q:"):
            name = key[2:]
            device = self.directory.devices.get(name)
            queued = len(device.calls) if device is not None and device.type.value == "acd_queue" else 0
            return queued + self.router.vq_waiting(name)
        return self.router.waiting_for(key)

    def _value(self, key: str, stat: str) -> float:
        return self._values(key, (stat,))[stat]

    def _values(self, key: str, stats: tuple[str, ...]) -> dict[str, float]:
        """Several statistics of one object, its agents looked up once."""
        router, now = self.router, self.world.host.clock.now()
        if key == "R":
            table = {"CallsEntered": router.entered_total, "StatCallsInQueue": router.waiting_total,
                     "RStatCallsInQueue": router.waiting_total}
            return {s: table.get(s, 0) for s in stats}
        if key == "RP":
            return {s: self.arrivals if s == "CallsEntered" else 0 for s in stats}
        agents = [self.directory.agents[a] for a in self._agents_of(key)]
        logged = [a for a in agents if a.logged_in]
        ready = [a for a in agents if a.available]
        busy = [a for a in agents if a.active]
        waiting = self._waiting(key) if {"StatCallsInQueue", "RStatCallsInQueue",
                                         "StatExpectedWaitingTime"} & set(stats) else 0
        vq = router.vq_counts(key[2:]) if key.startswith("Q:") else None
        out: dict[str, float] = {}
        for stat in stats:
            if stat in ("StatAgentsAvailable", "StatAgentsInQueueReady"):
                out[stat] = len(ready)
            elif stat in ("StatAgentsTotal", "StatAgentsInQueueLogin"):
                out[stat] = len(logged)
            elif stat == "StatAgentsBusy":
                out[stat] = len(busy)
            elif stat in ("StatCallsInQueue", "RStatCallsInQueue"):
                out[stat] = waiting
            elif stat == "StatExpectedWaitingTime":
                out[stat] = round(waiting * self.handle_time() / max(1, len(logged)), 3)
            elif stat == "StatTimeInReadyState":
                out[stat] = round(max((now - a.ready_since for a in ready), default=0.0), 3)
            elif stat == "StatLoadBalance":
                out[stat] = round(len(busy) / len(logged), 4) if logged else 0.0
            elif stat == "StatAgentLoading":
                out[stat] = round(sum(len(a.active) for a in logged) * 100 / len(logged), 3) if logged else 0.0
            elif vq is not None and stat in ("StatCallsAnswered", "StatCallsCompleted", "CallsEntered"):
                out[stat] = vq["entered"] if stat == "CallsEntered" else vq["distributed"]
            elif stat == "StatCallsAnswered":
                out[stat] = sum(self.answered[a.agent_id] for a in agents)
            elif stat == "StatCallsCompleted":
                out[stat] = sum(self.completed[a.agent_id] for a in agents)
            else:
                out[stat] = 0
        return out

    def row(self, key: str) -> dict[str, float]:
        """Every predefined statistic of one object ({} when the object names nothing)."""
        try:
            return self._values(key, PREDEFINED)
        except (UnknownTarget, TargetSyntaxError):
            return {}

    # --- the JS snapshot ----------------------------------------------------------------------
    def keys(self) -> list[str]:
        """Objects the snapshot covers: every agent, place, group, queue and DN with an agent,
        R, RP, and the objects strategies used (skill expressions, virtual queues)."""
        d = self.directory
        keys = ["R", "RP"] + [f"A:{a}" for a in d.agents]
        keys += [f"AP:{p}" for p in dict.fromkeys(a.place for a in d.agents.values())]
        keys += [f"GA:{g}" for g in d.groups("GA")] + [f"GP:{g}" for g in d.groups("GP")]
        keys += [f"Q:{dn}" for dn, dev in d.devices.items() if dev.type.value == "acd_queue"]
        keys += [f"DN:{a.dn}" for a in d.agents.values() if a.dn]
        keys += [f"Q:{vq}" for vq in self.router.vq_names()] + sorted(self.router.used_keys)
        return list(dict.fromkeys(keys))

    def snapshot(self) -> dict[str, dict[str, float]]:
        return {key: self.row(key) for key in self.keys()}

