"""Statistics for sessions: the JS snapshot behind `sData`, and subscriptions.

Why a snapshot: `sData` must answer synchronously inside a script and JS never calls the host. The
values are computed once, in Python (`stats.py`), from the simulator's live state; the JSON text is
built once per change (platform events, queue changes, time) and pushed into a session just before
it takes an event, only if it changed since that session's last push. Computing in JS instead would
need a second implementation of every statistic and of skill expressions.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .stats import Statistics, object_key

if TYPE_CHECKING:
    from openors.scxml import Session

    from ..world import OrsWorld

# The JS functions that read statistics (js/statistic.js).
READERS = ("sData", "getAvgData", "getMinData", "getMaxData")


@dataclass
class Subscription:
    object: str
    key: str
    statistic: str
    interval: float
    last: Any = None
    timer: Any = None


class StatisticService:
    def __init__(self, world: OrsWorld, stats: Statistics):
        self.world = world
        self.stats = stats
        self.wanted: set[str] = set()  # objects scripts asked sData for that no submit named
        self.subscriptions: dict[str, dict[tuple[str, str], Subscription]] = {}
        self._pushed: dict[str, tuple] = {}  # session id -> snapshot stamp it has
        self._users: set[str] = set()  # sessions that asked sData for something not covered
        self._documents: dict[int, bool] = {}  # id(document) -> mentions sData
        self._stamp: tuple | None = None
        self._json = "{}"
        self._check_due = False
        world.handle_records("statistic", self.js_record)
        world.platform.subscribe(lambda ev: self.changed())
        world.host.listeners.on("event_taken", lambda session, event: self.push(session))
        world.host.listeners.on("session_ended", self._session_ended)

    def _session_ended(self, session) -> None:
        self._pushed.pop(session.id, None)
        self._users.discard(session.id)
        for sub in (self.subscriptions.pop(session.id, None) or {}).values():
            if sub.timer is not None:
                self.world.host.clock.cancel(sub.timer)

    # --- the snapshot -------------------------------------------------------------------------
    def stamp(self) -> tuple:
        router = self.stats.router
        return (self.stats.version, router.changes, len(self.wanted), self.world.host.clock.now())

    def snapshot_json(self) -> str:
        stamp = self.stamp()
        if stamp != self._stamp:
            values = self.stats.snapshot()
            for key in self.wanted - set(values):
                values[key] = self.stats.row(key)
            self._json, self._stamp = json.dumps(values), stamp
        return self._json

    def push(self, session: Session) -> None:
        """Before an event: give the session current values if its copy is stale."""
        if getattr(session.document, "dialect", None) is None or not self._uses_statistics(session):
            return
        stamp = self.stamp()
        if self._pushed.get(session.id) == stamp:
            return
        dm = session.interpreter.datamodel
        if hasattr(dm, "call_function"):
            dm.call_function("__ors_setStatistics", self.snapshot_json())
            self._pushed[session.id] = stamp

    def session_restored(self, session_id: str) -> None:
        """A restored session's JS has no snapshot: push one before its next event."""
        self._pushed.pop(session_id, None)

    def _uses_statistics(self, session) -> bool:
        """Only sessions whose document mentions sData (or getAvgData...) get snapshots (computing and pushing them
        is the expensive part); a session that calls it through a built name opts in on its
        first miss."""
        doc = session.document
        uses = self._documents.get(id(doc))
        if uses is None:
            uses = self._documents[id(doc)] = any(_mentions(doc, name, set()) for name in READERS)
        return uses or session.id in self._users

    def js_record(self, session: Session, record: dict) -> None:
        if record.get("op") == "want":
            self._users.add(session.id)
            key = object_key(record.get("object"))
            if key is not None and key not in ("R", "RP"):
                self.wanted.add(key)

    # --- subscriptions ------------------------------------------------------------------------
    def subscribe(self, session: Session, obj: str, key: str, statistic: str, interval: float) -> Subscription:
        sub = Subscription(obj, key, statistic, interval)
        self.subscriptions.setdefault(session.id, {})[(obj, statistic)] = sub
        if key not in ("R", "RP"):
            self.wanted.add(key)
        if interval > 0:
            sub.timer = self.world.host.clock.call_later(interval, self._tick, session.id, sub)
        return sub

    def unsubscribe(self, session: Session, obj: str, statistic: str) -> bool:
        sub = self.subscriptions.get(session.id, {}).pop((obj, statistic), None)
        if sub is not None and sub.timer is not None:
            self.world.host.clock.cancel(sub.timer)
        return sub is not None

    def send(self, session_id: str, sub: Subscription, *, always: bool = False) -> None:
        """statistic.update when the value changed (or `always`, the first one)."""
        value = self.stats.value(sub.key, sub.statistic)
        if value == sub.last and not always:
            return
        # Looked up only now: `get` restores an evicted session, worth it only for a new value.
        session = self.world.host.sessions.get(session_id)
        if session is None:
            return
        sub.last = value
        self.world.deliver(session, "statistic.update",
                           {"object": sub.object, "statistic": sub.statistic, "value": float(value or 0)})

    def _tick(self, session_id: str, sub: Subscription) -> None:
        if self.subscriptions.get(session_id, {}).get((sub.object, sub.statistic)) is not sub:
            return
        self.send(session_id, sub)
        sub.timer = self.world.host.clock.call_later(sub.interval, self._tick, session_id, sub)

    def changed(self) -> None:
        """Something moved: check the on-change (interval 0) subscriptions after this instant."""
        if self._check_due or not self.subscriptions:
            return
        self._check_due = True
        self.world.host.clock.call_later(0.0, self._check)

    def _check(self) -> None:
        self._check_due = False
        for session_id, subs in list(self.subscriptions.items()):
            for sub in list(subs.values()):
                if sub.interval <= 0:
                    self.send(session_id, sub)


def _mentions(obj: Any, needle: str, seen: set[int]) -> bool:
    """Whether any text in a loaded document (scripts, expressions, included JS) contains `needle`."""
    if isinstance(obj, str):
        return needle in obj
    if id(obj) in seen or obj is None or isinstance(obj, (int, float, bool)):
        return False
    seen.add(id(obj))
    if isinstance(obj, dict):
        return any(_mentions(v, needle, seen) for v in obj.values())
    if isinstance(obj, (list, tuple, set)):
        return any(_mentions(v, needle, seen) for v in obj)
    fields = getattr(obj, "__dict__", None)
    if fields is None or type(obj).__module__.split(".")[0] not in ("openors",):
        return False
    return any(_mentions(v, needle, seen) for k, v in fields.items() if k not in ("parent", "document", "element"))

