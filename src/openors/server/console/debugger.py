"""The flow debugger: breakpoints on states and events, pause, step, continue, variables.

A macrostep is atomic, so a session stops between macrosteps:

* a breakpoint on a state pauses the session after the macrostep that entered it;
* a breakpoint on an event pauses it before it takes that event (the event stays queued);
* `step` lets it take one external event (one macrostep), then pauses it again;
* `pause` stops it before its next event.

Pausing holds the session's queue in the Scheduler (`Scheduler.hold`): its events wait, other
sessions run on. Every pause is bounded: after `max_pause` seconds the session continues by itself
and a warning says so, so a forgotten breakpoint never holds a call forever.
"""

from __future__ import annotations

import asyncio
import fnmatch
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from openors.scxml import Event, Session
from openors.scxml import model as m
from openors.scxml.listeners import SessionListener

log = logging.getLogger("openors.debugger")

MAX_BREAKPOINTS = 200  # per session
MAX_EXPRESSION = 4096  # characters of an expression or location


class DebugError(Exception):
    """Bad input to the debugger: answered 400 (404 for an unknown session) with this message."""

    def __init__(self, message: str, status: int = 400, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.status = status
        self.field = field


@dataclass
class Breakpoints:
    states: set[str] = field(default_factory=set)
    events: set[str] = field(default_factory=set)  # names or patterns (fnmatch: "queue.*")

    def matches_event(self, name: str) -> bool:
        return any(name == p or fnmatch.fnmatchcase(name, p) for p in self.events)


@dataclass
class Pause:
    reason: str
    since: float  # epoch seconds
    deadline: float  # monotonic


class Debugger(SessionListener):
    def __init__(self, host: Any, max_pause: float, *, clock: Callable[[], float] = time.monotonic):
        self.host = host
        self.max_pause = max_pause
        self.clock = clock
        self.breakpoints: dict[str, Breakpoints] = {}
        self.paused: dict[str, Pause] = {}
        self._stepping: set[str] = set()  # may take one event, then pause
        self._passing: set[str] = set()  # may take the event at the head of its queue, breakpoint or not
        self._pause_after: dict[str, str] = {}  # pause once the running macrostep is done: why
        self.default = Breakpoints()  # given to every new top-level session (`simulate --debug --break`)
        self.on_change: list[Callable[[str], None]] = []  # told the session id whenever its state changes
        self._task: asyncio.Task | None = None
        host.scheduler.hold = self.hold
        host.listeners.subscribe(self)

    # --- what the scheduler asks ---------------------------------------------------------------------
    def hold(self, session: Session, event: Event) -> bool:
        sid = session.id
        if sid in self.paused:
            return True
        if sid in self._passing:
            self._passing.discard(sid)
            return False
        bp = self.breakpoints.get(sid)
        if bp is not None and bp.events and bp.matches_event(event.name) and sid not in self._stepping:
            self._pause(sid, f"breakpoint on event {event.name}")
            return True
        return False

    # --- what the host tells ------------------------------------------------------------------------
    def session_started(self, session: Session) -> None:
        if session.parent is None and (self.default.states or self.default.events):
            self.breakpoints[session.id] = Breakpoints(set(self.default.states), set(self.default.events))

    def state_entered(self, session: Session, state: m.State) -> None:
        bp = self.breakpoints.get(session.id)
        if bp is not None and state.id in bp.states:
            self._pause_after.setdefault(session.id, f"breakpoint on state {state.id}")

    def macrostep_done(self, session: Session) -> None:
        sid = session.id
        why = self._pause_after.pop(sid, None)
        if sid in self._stepping:
            self._stepping.discard(sid)
            why = why or "stepped one macrostep"
        if why is not None and session.interpreter.running:
            self._pause(sid, why)

    def session_ended(self, session: Session) -> None:
        sid = session.id
        self.breakpoints.pop(sid, None)
        self._stepping.discard(sid)
        self._passing.discard(sid)
        self._pause_after.pop(sid, None)
        if self.paused.pop(sid, None) is not None:
            self._changed(sid)

    # --- what operators do -------------------------------------------------------------------------
    def set_breakpoints(self, session: Session, states: list[str], events: list[str]) -> Breakpoints:
        known = session.document.states_by_id
        unknown = [s for s in states if s not in known]
        if unknown:
            raise DebugError(f"no state {unknown[0]!r} in {session.document.url}", field="states")
        if len(states) + len(events) > MAX_BREAKPOINTS:
            raise DebugError(f"at most {MAX_BREAKPOINTS} breakpoints per session", field="events")
        for name in events:
            if not name or len(name) > 256 or any(c.isspace() for c in name):
                raise DebugError(f"event breakpoint {name!r}: an event name or pattern without spaces",
                                 field="events")
        bp = Breakpoints(set(states), set(events))
        if bp.states or bp.events:
            self.breakpoints[session.id] = bp
        else:
            self.breakpoints.pop(session.id, None)
        self._changed(session.id)
        return bp

    def pause(self, session: Session) -> None:
        if session.id not in self.paused:
            self._pause(session.id, "paused by an operator")

    def resume(self, session: Session, *, why: str = "continued") -> None:
        if self.paused.pop(session.id, None) is None:
            raise DebugError(f"session '{session.id}' is not paused", status=409)
        self._passing.add(session.id)  # the event it stopped before goes through this time
        log.info("session %s %s", session.id, why)
        self.host.scheduler.release(session)
        self._changed(session.id)

    def step(self, session: Session) -> None:
        self.resume(session, why="steps one macrostep")
        self._stepping.add(session.id)

    def state_of(self, session_id: str) -> dict[str, Any]:
        pause = self.paused.get(session_id)
        bp = self.breakpoints.get(session_id, Breakpoints())
        return {"paused": pause is not None, "reason": pause.reason if pause else None,
                "since": pause.since if pause else None,
                "continues_in": round(max(0.0, pause.deadline - self.clock()), 1) if pause else None,
                "stepping": session_id in self._stepping,
                "breakpoints": {"states": sorted(bp.states), "events": sorted(bp.events)}}

    # --- variables ---------------------------------------------------------------------------------
    def evaluate(self, session: Session, expr: str) -> Any:
        _check_text(expr, "expr")
        try:
            return _plain(session.interpreter.datamodel.evaluate(expr))
        except Exception as exc:  # the session's datamodel said no: the operator is told, nothing breaks
            raise DebugError(f"cannot evaluate {expr!r}: {_reason(exc)}", field="expr") from None

    def assign(self, session: Session, location: str, expr: str) -> Any:
        _check_text(location, "location")
        _check_text(expr, "expr")
        datamodel = session.interpreter.datamodel
        try:
            datamodel.assign(location, expr)
            return _plain(datamodel.evaluate(location))
        except Exception as exc:
            raise DebugError(f"cannot assign {expr!r} to {location!r}: {_reason(exc)}", field="expr") from None

    # --- bounds ----------------------------------------------------------------------------------
    def _watch_pauses(self) -> None:
        """A task that lets expired pauses go; it runs only while some session is paused."""
        if self._task is not None and not self._task.done():
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # no loop (a virtual-time run): its driver calls expire() itself
            return
        self._task = loop.create_task(self._expire_while_paused(), name="openors-debugger")

    async def _expire_while_paused(self) -> None:
        while self.paused:
            await asyncio.sleep(0.25)
            self.expire()

    def expire(self) -> None:
        now = self.clock()
        for sid, pause in list(self.paused.items()):
            if now >= pause.deadline:
                session = dict.get(self.host.sessions, sid)
                log.warning("session %s was paused longer than debugger.max_pause (%g s, %s): it continues",
                            sid, self.max_pause, pause.reason)
                if session is None:
                    self.paused.pop(sid, None)
                    continue
                self.resume(session, why="continues: its pause reached debugger.max_pause")

    def _pause(self, sid: str, reason: str) -> None:
        self.paused[sid] = Pause(reason, round(time.time(), 3), self.clock() + self.max_pause)
        log.info("session %s paused: %s", sid, reason)
        self._watch_pauses()
        self._changed(sid)

    def _changed(self, sid: str) -> None:
        for call in self.on_change:
            call(sid)


def _check_text(text: Any, name: str) -> None:
    if not isinstance(text, str) or not text.strip():
        raise DebugError(f"'{name}' must be a non-empty string", field=name)
    if len(text) > MAX_EXPRESSION:
        raise DebugError(f"'{name}' is longer than {MAX_EXPRESSION} characters", field=name)


def _reason(exc: Exception) -> str:
    return str(exc).splitlines()[0][:500] if str(exc) else type(exc).__name__


def _plain(value: Any) -> Any:
    import orjson

    try:
        return orjson.loads(orjson.dumps(value))
    except TypeError:
        return str(value)
