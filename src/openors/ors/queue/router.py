"""Target selection for `<queue:submit>`: virtual queues, waiting, reservations (the URS part).

One `QueueRouter` per world. A submit becomes an `Entry` waiting in its virtual queue. Whenever
something may have freed a target (an agent's availability changed, a reservation ended, a new
submit), `dispatch()` walks the waiting entries by priority then age and gives each the best free
target among its own. A selected agent is *reserved* for a transition time (URS
`transition_time`) so no other submit can take it before the interaction reaches it; the
reservation ends when the interaction arrives at the agent, when it expires, when the interaction
ends, or by `_genesys.queue.reserveTarget(..., 0)`. Ending a reservation twice is harmless.
"""

from __future__ import annotations

import itertools
from collections import Counter, OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from openors.platform.events import EventKind

from ..actions import ActionError
from .directory import Directory, UnknownTarget
from .targets import Target, TargetSyntaxError, evaluate, parse_target

if TYPE_CHECKING:
    from openors.clock import Clock
    from openors.ors.actions import ActionContext
    from openors.scxml import Session

    from ..world import OrsWorld


class StatisticValues(Protocol):
    """What routing reads of the statistics (openors.ors.statistic.stats.Statistics)."""

    def value(self, obj: Any, statistic: str) -> float | None: ...
    def handle_time(self) -> float: ...

DEFAULT_TRANSITION_TIME = 10.0  # seconds a selected agent stays reserved for its interaction
_FINISHED_KEPT = 10000  # request ids remembered after they left the queue (cancel/query answers)


@dataclass
class Entry:
    """One waiting submit."""

    ctx: Any  # the ActionContext of the submit (by session id: the session may be evicted meanwhile)
    action: Any
    interaction_id: str | None
    vq: str
    priority: int
    targets: list[Target]
    ordertype: str
    orderstat: str | None
    route: bool
    clear_on_timeout: bool
    media: str | None
    entered: float
    seq: int
    timer: Any = None
    timed_out: bool = False
    stop_treatments: Any = None
    workbin: str | None = None  # <queue:workbin>: the selected agent's workbin takes the interaction

    @property
    def requestid(self) -> str:
        return self.ctx.requestid

    @property
    def session_id(self) -> str:
        return self.ctx.session_id


@dataclass
class Reservation:
    agent_id: str
    requestid: str
    session_id: str
    interaction_id: str | None
    until: float
    timer: Any = None


@dataclass
class SessionSettings:
    """What `_genesys.queue` functions changed for a session's later submits."""

    check_state: bool = True
    excluded: set[str] = field(default_factory=set)
    reserve_time: float = DEFAULT_TRANSITION_TIME


@dataclass
class Choice:
    target: Target
    agent_id: str | None
    resource: dict
    selected: str
    component: str


def _values_of(stats: StatisticValues, target: Target) -> Callable[[str], float | None]:
    """The statistic values of one target, as a threshold expression reads them."""
    return lambda name: stats.value(target.key, name)


class QueueRouter:
    def __init__(self, world: OrsWorld, statistics: Callable[[], StatisticValues]):
        self.world = world
        self._statistics = statistics  # the world's statistics, which read this router's queues
        self.directory = Directory(world.platform)
        self.entries: dict[str, Entry] = {}  # request id -> waiting entry
        self.finished: OrderedDict[str, str] = OrderedDict()  # request id -> how it left
        self.reservations: dict[str, Reservation] = {}  # agent id -> reservation
        self.settings: dict[str, SessionSettings] = {}
        self.vqs: dict[str, Counter] = {}  # vq -> entered / distributed / cleared
        self.used_keys: set[str] = set()  # objects submits named (the statistic snapshot covers them)
        self.routed: Counter[str] = Counter()  # target key -> selections, for ordertype percentage
        self.entered_total = 0
        self.changes = 0  # bumped whenever waiting submits or reservations change (statistics)
        self._seq = itertools.count()
        self._dispatch_due = False
        world.platform.subscribe(self._on_platform_event)
        world.handle_records("queue", self.js_record)
        world.host.listeners.on("session_ended", lambda session: self._session_ended(session.id))

    @property
    def clock(self) -> Clock:
        return self.world.host.clock

    def trace(self, kind: str, **fields) -> None:
        self.world.trace(kind, **fields)

    # --- submit -----------------------------------------------------------------------------
    def submit(self, ctx: ActionContext, action: Any, *, interaction_id: str | None, vq: str, priority: int, targets: list[Target],
               ordertype: str, orderstat: str | None, route: bool, clear_on_timeout: bool,
               timeout: float | None, media: str | None, workbin: str | None = None) -> Entry:
        for target in targets:
            try:
                self.directory.members(target)
            except UnknownTarget as exc:
                raise ActionError("invaliddestination", f"<queue:submit> target {target.object!r}: {exc}") from None
        entry = Entry(ctx, action, interaction_id, vq, priority, targets, ordertype, orderstat, route,
                      clear_on_timeout, media, self.clock.now(), next(self._seq), workbin=workbin)
        self.entries[entry.requestid] = entry
        self.changes += 1
        self.vqs.setdefault(vq, Counter())["entered"] += 1
        self.entered_total += 1
        self.used_keys.update(t.key for t in targets)
        if timeout:
            entry.timer = self.clock.call_later(timeout, self._timed_out, entry.requestid)
        self.trace("queue.enter", session=entry.session_id, requestid=entry.requestid, interaction=interaction_id,
                   vq=vq, priority=priority, targets=[t.object for t in targets])
        ctx.emit("queue.submit.requestid", {"requestid": entry.requestid})
        self.schedule_dispatch()
        return entry

    def update(self, entry: Entry, *, priority: int | None) -> None:
        """<queue:update>: a waiting submit's new priority counts from the next dispatch."""
        if priority is not None and priority != entry.priority:
            entry.priority = priority
            self.changes += 1
            self.trace("queue.update", session=entry.session_id, requestid=entry.requestid, priority=priority)
            self.schedule_dispatch()

    def schedule_dispatch(self) -> None:
        # Coalesced: many changes in one instant lead to one pass, after the current macrostep.
        if not self._dispatch_due:
            self._dispatch_due = True
            self.clock.call_later(0.0, self.dispatch)

    def dispatch(self) -> None:
        self._dispatch_due = False
        for entry in sorted(self.entries.values(), key=lambda e: (-e.priority, e.entered, e.seq)):
            if entry.requestid not in self.entries:
                continue
            choice = self.select(entry)
            if choice is not None:
                self._deliver(entry, choice)

    # --- selection ----------------------------------------------------------------------------
    def settings_for(self, session_id: str) -> SessionSettings:
        return self.settings.setdefault(session_id, SessionSettings())

    def _free(self, agent_id: str, entry: Entry, settings: SessionSettings) -> bool:
        agent = self.directory.agents[agent_id]
        if agent_id in settings.excluded or not self.directory.takes_media(agent_id, entry.media):
            return False
        if entry.workbin is not None:
            return agent.logged_in  # a workbin takes it whatever the agent is doing
        held = self.reservations.get(agent_id)
        if held is not None and held.until > self.clock.now():
            return False
        return agent.available if settings.check_state else agent.logged_in

    def select(self, entry: Entry) -> Choice | None:
        stats = self._statistics()
        settings = self.settings_for(entry.session_id)
        candidates: list[tuple[int, Target, str | None]] = []
        for index, target in enumerate(entry.targets):
            if target.threshold is not None and not evaluate(target.threshold, _values_of(stats, target)):
                continue
            if target.type in ("DN", "RP", "Q") and self.directory.agent_on_dn(target.name) is None:
                candidates.append((index, target, None))  # nobody to wait for: the DN takes it as it is
                continue
            try:
                members = self.directory.members(target)
            except UnknownTarget:
                continue  # the configuration changed under a waiting submit
            candidates += [(index, target, a) for a in members if self._free(a, entry, settings)]
        if not candidates:
            return None
        index, target, agent_id = self._best(entry, candidates, stats)
        if agent_id is None:
            return Choice(target, None, *self.directory.dn_resource(target))
        resource, selected, component = self.directory.agent_resource(agent_id, target.server)
        return Choice(target, agent_id, resource, selected, component)

    def _best(self, entry: Entry, candidates, stats):
        agents = self.directory.agents
        now = self.clock.now()

        def idle(c) -> float:  # longest ready first; a bare DN before everybody
            return -(now - agents[c[2]].ready_since) if c[2] is not None else float("-inf")

        if entry.ordertype == "percentage":
            # Weighted share: the target furthest below its weight gets the interaction.
            def share(c):
                return self.routed[c[1].key] / (c[1].weight or 1.0)
            return min(candidates, key=lambda c: (share(c), idle(c), c[0]))
        if entry.ordertype in ("max", "min") and entry.orderstat:
            sign = -1 if entry.ordertype == "max" else 1

            def stat(c):
                key = f"A:{c[2]}" if c[2] is not None else c[1].key
                value = stats.value(key, entry.orderstat)
                return sign * (value if value is not None else 0.0)
            return min(candidates, key=lambda c: (stat(c), idle(c), c[0]))
        return min(candidates, key=lambda c: (idle(c), c[0]))

    # --- leaving the queue ----------------------------------------------------------------------
    def _leave(self, entry: Entry, how: str) -> None:
        self.entries.pop(entry.requestid, None)
        self.changes += 1
        if entry.timer is not None:
            self.clock.cancel(entry.timer)
        if entry.stop_treatments is not None:
            entry.stop_treatments()
        self.finished[entry.requestid] = how
        while len(self.finished) > _FINISHED_KEPT:
            self.finished.popitem(last=False)
        self.vqs.setdefault(entry.vq, Counter())[how] += 1

    def _deliver(self, entry: Entry, choice: Choice) -> None:
        self._leave(entry, "distributed")
        self.routed[choice.target.key] += 1
        if entry.workbin is not None and choice.agent_id is not None:
            choice.resource = {"type": "wb", "id": entry.workbin, "wb_owner": choice.agent_id,
                               "agent": choice.agent_id}
        elif choice.agent_id is not None:
            self.reserve(choice.agent_id, entry)
        data = {"requestid": entry.requestid, "interactionid": entry.interaction_id,
                "targetselected": choice.selected, "vqselected": entry.vq,
                "targetcomponentselected": choice.component, "targetobjectselected": choice.target.object,
                "resource": choice.resource}
        data = {k: v for k, v in data.items() if v is not None}
        self.trace("queue.selected", session=entry.session_id, requestid=entry.requestid,
                   interaction=entry.interaction_id, agent=choice.agent_id, target=choice.selected,
                   waited=round(self.clock.now() - entry.entered, 6))
        if not entry.route or entry.interaction_id is None:
            entry.ctx.emit("queue.submit.done", data)
            return
        world, ixn = self.world, entry.interaction_id

        def routed(ev) -> None:
            entry.ctx.emit("queue.submit.done", data)
            view = world.session_state(entry.ctx.session).views.get(ixn) or {}
            if view.get("category") != "voice":
                world.lose_control(entry.ctx.session, ixn, "routing")

        world.request(entry.ctx, entry.action, lambda: world.platform.route(
            ixn, choice.resource, route_type="default"), routed, interactionid=ixn)

    def _timed_out(self, requestid: str) -> None:
        entry = self.entries.get(requestid)
        if entry is None or entry.timed_out:
            return
        entry.timed_out = True
        if entry.clear_on_timeout:
            self._leave(entry, "cleared")
        self.trace("queue.timeout", session=entry.session_id, requestid=requestid, interaction=entry.interaction_id,
                   cleared=entry.clear_on_timeout)
        self._fail(entry, "timeout", "no target became available before the submit's timeout")
        if not entry.clear_on_timeout:  # it still waits: queue.submit.done may follow the error
            self.world.inflight.opened(entry.session_id, entry.action, entry.requestid, entry.interaction_id)

    def _fail(self, entry: Entry, code: str, description: str) -> None:
        session = self.world.host.sessions.get(entry.session_id)
        if session is not None:
            entry.action.fail(session.interpreter, entry.requestid,
                              ActionError(code, description, interactionid=entry.interaction_id))

    def cancel(self, *, requestid: str | None = None, interaction_id: str | None = None,
               vq: str | None = None) -> list[str]:
        """Withdraw waiting submits: one by request id, or an interaction's (in one VQ or all)."""
        if requestid is not None:
            chosen = [self.entries[requestid]] if requestid in self.entries else []
        else:
            chosen = [e for e in self.entries.values() if e.interaction_id == interaction_id
                      and (vq in (None, "", "none") or e.vq == vq)]
        for entry in chosen:
            self._leave(entry, "cancelled")
            # A withdrawn submit gets no answer of its own (queue.cancel.done answers the cancel).
            self.world.inflight.forget(entry.session_id, entry.action.prefix, entry.action.name, entry.requestid)
            self.trace("queue.cancelled", session=entry.session_id, requestid=entry.requestid,
                       interaction=entry.interaction_id)
        return [e.requestid for e in chosen]

    def position(self, requestid: str) -> dict | None:
        entry = self.entries.get(requestid)
        if entry is None:
            return None
        same = sorted((e for e in self.entries.values() if e.vq == entry.vq),
                      key=lambda e: (-e.priority, e.entered, e.seq))
        position = same.index(entry) + 1
        stats = self._statistics()
        agents = {a for t in entry.targets for a in self._members(t)
                  if self.directory.agents[a].logged_in}
        expected = position * stats.handle_time() / max(1, len(agents))
        return {"priority": entry.priority, "positioninqueue": position, "invqwaittime": round(expected, 3)}

    def _members(self, target: Target) -> list[str]:
        try:
            return self.directory.members(target)
        except UnknownTarget:
            return []

    # --- reservations -------------------------------------------------------------------------
    def reserve(self, agent_id: str, entry: Entry) -> None:
        seconds = self.settings_for(entry.session_id).reserve_time
        self.release(agent_id)
        if seconds <= 0:
            return
        res = Reservation(agent_id, entry.requestid, entry.session_id, entry.interaction_id,
                          self.clock.now() + seconds)
        res.timer = self.clock.call_later(seconds, self._expire, res)
        self.reservations[agent_id] = res
        self.trace("queue.reserved", agent=agent_id, requestid=entry.requestid, seconds=seconds)

    def _expire(self, res: Reservation) -> None:
        res.timer = None
        if self.reservations.get(res.agent_id) is res:
            self.trace("queue.reservation.expired", agent=res.agent_id, requestid=res.requestid)
            self.release(res.agent_id, res)

    def release(self, agent_id: str, only: Reservation | None = None) -> None:
        """End an agent's reservation (`only`: if it is still that one); safe to call twice."""
        res = self.reservations.get(agent_id)
        if res is None or (only is not None and res is not only):
            return
        del self.reservations[agent_id]
        if res.timer is not None:
            self.clock.cancel(res.timer)
        self.schedule_dispatch()

    # --- what happens outside -------------------------------------------------------------------
    def _on_platform_event(self, ev) -> None:
        if ev.kind == EventKind.AGENT_STATE_CHANGED:
            if (ev.data or {}).get("available"):
                self.schedule_dispatch()
        elif ev.kind == EventKind.PARTY_ADDED and ev.agent_id in self.reservations:
            if self.reservations[ev.agent_id].interaction_id == ev.interaction_id:
                self.release(ev.agent_id)  # the interaction reached its agent
        elif ev.kind == EventKind.ENDED:
            self._interaction_ended(ev.interaction_id)

    def _interaction_ended(self, ixn: str) -> None:
        for entry in [e for e in self.entries.values() if e.interaction_id == ixn]:
            self._leave(entry, "abandoned")
            self.trace("queue.abandoned", session=entry.session_id, requestid=entry.requestid, interaction=ixn)
            self._fail(entry, "nointeraction", f"interaction {ixn} ended while waiting for a target")
        for agent_id, res in list(self.reservations.items()):
            if res.interaction_id == ixn:
                self.release(agent_id, res)

    def _session_ended(self, session_id: str) -> None:
        for entry in [e for e in self.entries.values() if e.session_id == session_id]:
            self._leave(entry, "cancelled")
            self.trace("queue.cancelled", session=session_id, requestid=entry.requestid,
                       interaction=entry.interaction_id, reason="session ended")
        self.settings.pop(session_id, None)

    # --- _genesys.queue functions (outbox records) ------------------------------------------------
    def js_record(self, session: Session, record: dict) -> None:
        settings = self.settings_for(session.id)
        op = record.get("op")
        if op == "checkstate":
            settings.check_state = bool(record.get("value"))
        elif op == "exclude":
            settings.excluded = {str(a) for a in record.get("agents") or []}
        elif op == "reserve":
            self._reserve_from_js(session, settings, record)

    def _reserve_from_js(self, session, settings: SessionSettings, record: dict) -> None:
        raw = record.get("time")
        try:
            seconds = max(0.0, float(raw)) if raw is not None else None
        except (TypeError, ValueError):
            return
        if seconds is None:
            return
        settings.reserve_time = seconds
        try:
            target = parse_target(str(record.get("target") or ""))
            agents = self.directory.members(target)
        except (TargetSyntaxError, UnknownTarget):
            return
        for agent_id in agents:
            res = self.reservations.get(agent_id)
            if res is None or res.session_id != session.id:
                continue
            if seconds == 0:
                self.release(agent_id, res)
                continue
            if res.timer is not None:
                self.clock.cancel(res.timer)
            res.until = self.clock.now() + seconds
            res.timer = self.clock.call_later(seconds, self._expire, res)

    # --- numbers for statistics -----------------------------------------------------------------
    def vq_names(self) -> list[str]:
        return [vq for vq in self.vqs if vq not in ("", "none")]

    def vq_waiting(self, vq: str) -> int:
        return sum(1 for e in self.entries.values() if e.vq == vq)

    def vq_counts(self, vq: str) -> Counter:
        return self.vqs.get(vq, Counter())

    def vq_agents(self, vq: str) -> list[str]:
        seen: dict[str, None] = {}
        for entry in self.entries.values():
            if entry.vq == vq:
                for target in entry.targets:
                    seen.update(dict.fromkeys(self._members(target)))
        return list(seen)

    def waiting_for(self, key: str) -> int:
        return sum(1 for e in self.entries.values() if any(t.key == key for t in e.targets))

    @property
    def waiting_total(self) -> int:
        return len(self.entries)

