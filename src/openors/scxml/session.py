"""Sessions and the host that runs them.

A `SessionHost` composes three parts, each with one job: the `Scheduler` (queues, fair turns,
budgets, timers, run loops), the `ScxmlEventProcessor` (`<send>` routing and delayed sends) and the
`Invoker` (`<invoke>` children). The host keeps the sessions, their life cycle and snapshots, and
tells subscribed listeners (listeners.py) what happens. It is what the interpreter calls
(`InterpreterHost`).
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Callable, Coroutine
from typing import Any, Protocol

from . import model as m
from .budgets import Breach, BudgetLedger, Budgets
from .clock import Clock, TimerHandle, VirtualClock
from .events import Event
from .extensions import Extensions
from .interpreter import Interpreter
from .invoker import Invoker
from .ioprocessors.scxml import SCXML_PROCESSOR, ScxmlEventProcessor
from .listeners import Listeners
from .parser import load_document, load_string
from .scheduler import Scheduler
from .services import Services
from .sources import DEFAULT_POLICY, SourcePolicy

log = logging.getLogger("openors.scxml")

__all__ = ["SCXML_PROCESSOR", "Session", "SessionHost", "SnapshotPart", "new_session_id"]

MAX_LOG_ENTRIES = 1000
PARTS_KEY = "parts"  # where a session snapshot carries its parts: {part name: data}


def new_session_id() -> str:
    return uuid.uuid4().hex


class Session:
    """One SCXML session: an interpreter, its external queue and what it has pending outside."""

    def __init__(self, document: m.Document, host: SessionHost | None = None, *, clock: Clock | None = None,
                 session_id: str | None = None, parent: Session | None = None, invokeid: str | None = None,
                 datamodel_options: dict | None = None):
        self.host = host or SessionHost(clock or VirtualClock())
        self.document = document
        self.id = session_id or new_session_id()
        self.parent = parent
        self.invokeid = invokeid
        # A list, not a deque: it is short (the runtime bounds it), and an empty deque holds 0.6 KiB.
        self.external_queue: list[Event] = []
        self.children: dict[str, Session] = {}
        self.cancelled_invokes: set[str] = set()
        self.pending_sends: dict[str, dict] = {}  # key -> delayed send, as data
        self.timers: dict[str, TimerHandle] = {}  # key -> its timer (the scheduler's)
        self.log: list[tuple[str | None, Any]] = []
        self.done_data: Any = None
        self.queued = False
        self.light_streak = 0  # short macrosteps in a row: enough of them make it trusted (budgets.py)
        self.ledger = BudgetLedger(self.host.budgets)
        self.stopped_by: Breach | None = None  # why the host ended it (a budget), if it did
        self.interpreter = Interpreter(document, self.host, session_id=self.id,
                                       ioprocessors=self.host.ioprocessor_locations(self.id),
                                       datamodel_options=datamodel_options or self.host.datamodel_options,
                                       budgets=self.host.budgets, session=self)
        self.host.sessions[self.id] = self
        self.host.listeners.notify("session_started", self)

    # --- the user's view ------------------------------------------------------------------
    @property
    def is_done(self) -> bool:
        return not self.interpreter.running

    @property
    def configuration(self) -> list[str]:
        return self.interpreter.active_state_ids

    @property
    def final_state(self) -> str | None:
        """The id of the top-level final state the session ended in, if any."""
        return self.interpreter.top_level_final

    def start(self, params: dict | None = None) -> Session:
        self.host.scheduler.run_macrostep(self, self.interpreter.start, params)
        self.host.macrostep_done(self)
        return self

    def send(self, name: str, data: Any = None, **fields: Any) -> None:
        """Queue an external event and, unless a macrostep is already running, process it now."""
        if fields:  # it may say where it comes from (origintype, invokeid): the usual way in
            self.host.deliver(self, Event(name, "external", data, **fields))
            if not self.host.scheduler.dispatching:
                self.host.run_ready()
            return
        self.host.scheduler.deliver_and_run(self, Event(name, "external", data))

    # --- persistence ------------------------------------------------------------------------
    def snapshot(self, embed_json: bool = False) -> dict:
        """The session's state between macrosteps, as JSON-ready data; `embed_json` as in
        `Interpreter.snapshot` (for a caller that encodes it with orjson at once). Empty parts
        are written without a comprehension: this runs after every macrostep of a durable session."""
        return {
            "id": self.id,
            "document": self.document.url,
            # Documents given inline (<invoke><content>) have no URL of their own to reload from.
            "document_text": self.document.source_text,
            "invokeid": self.invokeid,
            "interpreter": self.interpreter.snapshot(embed_json),
            "external_queue": [e.queued_dict() for e in self.external_queue] if self.external_queue else [],
            "pending_sends": self.pending_sends,
            "children": {iid: child.snapshot(embed_json) for iid, child in self.children.items()}
            if self.children else {},
            "cancelled_invokes": sorted(self.cancelled_invokes) if self.cancelled_invokes else [],
            "log": [[label, value] for label, value in self.log] if self.log else [],
        }


def _load_snapshot_document(snap: dict, extensions: Extensions | None) -> m.Document:
    if snap.get("document_text"):
        return load_string(snap["document_text"], snap["document"], extensions)
    return load_document(snap["document"], extensions)


class SnapshotPart(Protocol):
    """State a layer above the engine keeps per session and that must survive with it (the ORS
    modules' requests in flight): `save` gives it as JSON data, None when there is none;
    `restore` takes it back when the session's snapshot is restored."""

    def save(self, session: Session) -> Any: ...
    def restore(self, session: Session, data: Any) -> Any: ...


class SessionHost:
    """Runs sessions: keeps them, starts, restores and ends them, and answers the interpreter.

    Extension points, all declared here: `listeners` (observe), `services` (what extensions need
    at run time), `ioprocessors` (send types), `snapshot_parts` (state layers above keep per
    session), and the `sessions` table (a server's knows evicted sessions)."""

    def __init__(self, clock: Clock | None = None, *, extensions: Extensions | None = None,
                 datamodel_options: dict | None = None, budgets: Budgets | None = None,
                 sources: SourcePolicy = DEFAULT_POLICY, sessions: dict[str, Session] | None = None,
                 run_after_start: bool = True, wakeup: asyncio.Event | None = None,
                 document_loader: Callable[[str], m.Document] | None = None):
        self.clock = clock or VirtualClock()
        self.extensions = extensions
        self.sources = sources  # where sessions may read from and send to
        self.datamodel_options = datamodel_options or {}
        self.budgets = budgets or Budgets()
        self.sessions: dict[str, Session] = {} if sessions is None else sessions
        # start_session() goes on with what is queued at once, unless a dispatcher of its own (a
        # server's) schedules that work fairly.
        self.run_after_start = run_after_start
        self.listeners = Listeners()
        self.services = Services()
        self.ioprocessors: dict[str, Any] = {}  # type URI -> processor with .send() and .location()
        self.snapshot_parts: dict[str, SnapshotPart] = {}
        self.scheduler = Scheduler(self, self.clock, self.budgets)
        self.scheduler.wakeup = wakeup
        self.scxml_processor = ScxmlEventProcessor(self)
        self.invoker = Invoker(self, document_loader)

    # --- sessions -----------------------------------------------------------------------------
    def create_session(self, document: m.Document, **kwargs: Any) -> Session:
        """A new session on this host, not started yet (`Session.start` runs its first macrostep)."""
        return Session(document, self, **kwargs)

    def start_session(self, document: m.Document, params: dict | None = None, **kwargs: Any) -> Session:
        session = self.create_session(document, **kwargs)
        scheduler = self.scheduler
        was = scheduler.dispatching
        scheduler.dispatching = True
        try:
            session.start(params)
        finally:
            scheduler.dispatching = was
        if not was and self.run_after_start:
            self.run_ready()
        return session

    def restore_session(self, snap: dict, document: m.Document | None = None,
                        parent: Session | None = None) -> Session:
        """Bring a snapshotted session (and its invoked children) back to life on this host.

        Delayed sends are put back on the clock; those that fell due meanwhile fire at once."""
        if document is None:
            document = _load_snapshot_document(snap, self.extensions)
        session = Session(document, self, session_id=snap["id"], parent=parent, invokeid=snap["invokeid"])
        try:
            session.interpreter.restore(snap["interpreter"])
            session.external_queue.extend(Event.from_dict(e) for e in snap["external_queue"])
            session.pending_sends = dict(snap["pending_sends"])
            session.cancelled_invokes = set(snap["cancelled_invokes"])
            session.log = [(label, value) for label, value in snap["log"]]
            for invokeid, child_snap in snap["children"].items():
                session.children[invokeid] = self.restore_session(child_snap, parent=session)
            self.scxml_processor.rearm_pending_sends(session)
            if parent is None:  # parts are saved with the top-level session, for its whole tree
                self._restore_parts(session, snap.get(PARTS_KEY) or {})
        except BaseException:
            # A half-restored session must never run: take it and its children out again.
            session.interpreter.running = False
            self.invoker.end_children(session)
            self.scheduler.cancel_timers(session)
            dict.pop(self.sessions, session.id, None)
            raise
        if session.external_queue:
            self.scheduler.mark_ready(session)
        self.listeners.notify("session_restored", session)
        return session

    def snapshot_session(self, session: Session, embed_json: bool = False) -> dict:
        """The engine's snapshot of a top-level session, with the parts of the layers above;
        `embed_json` as in `Session.snapshot`."""
        snap = session.snapshot(embed_json)
        parts = None
        for name, part in self.snapshot_parts.items():
            data = part.save(session)
            if data is not None:
                if parts is None:
                    parts = {}
                parts[name] = data
        if parts:
            snap[PARTS_KEY] = parts
        return snap

    def _restore_parts(self, session: Session, parts: dict) -> None:
        for name, data in parts.items():
            part = self.snapshot_parts.get(name)
            if part is None:
                log.warning("snapshot part %r has no owner on this host; ignored", name,
                            extra={"session_id": session.id})
                continue
            part.restore(session, data)

    def snapshot(self) -> dict:
        """Every top-level session of this host, and the clock's time (for a virtual clock)."""
        return {"now": self.clock.now(),
                "sessions": [self.snapshot_session(s) for s in self.sessions.values() if s.parent is None]}

    def macrostep_done(self, session: Session) -> None:
        for call in self.listeners.calls["macrostep_done"]:
            call(session)
        if not session.interpreter.running:
            self.end_session(session)

    def end_session(self, session: Session) -> None:
        session.pending_sends.clear()
        self.scheduler.forget(session)
        self.sessions.pop(session.id, None)
        self.listeners.notify("session_ended", session)
        session.interpreter.datamodel.close()  # an ended session's context is not kept alive

    def terminate(self, session: Session) -> None:
        """End a session from outside (HTTP terminate, <session:terminate>): its states exit
        (onexit runs, invoked children are cancelled) without a done event, then it is removed."""
        scheduler = self.scheduler
        was = scheduler.dispatching
        scheduler.dispatching = True
        try:
            session.interpreter.cancel()
        finally:
            scheduler.dispatching = was
        # A plain lookup: a server's table may restore evicted sessions on get().
        if dict.get(self.sessions, session.id) is session:
            self.end_session(session)
        if scheduler.wakeup is not None:
            scheduler.wakeup.set()  # a dispatcher notices what the ended session leaves behind

    def is_quiet(self, session: Session) -> bool:
        """Nothing queued, reserved or running for this session: safe to take it out of memory."""
        return (not session.external_queue and not session.queued and not self.scheduler.has_reserved(session)
                and not session.children and not session.interpreter.internal_queue)

    def ioprocessor_locations(self, session_id: str) -> dict:
        return self.scxml_processor.locations(session_id)

    # --- the scheduler's verbs, for callers outside the engine ---------------------------------
    def deliver(self, session: Session, event: Event) -> None:
        self.scheduler.deliver(session, event)

    def reserve(self, session: Session) -> list:
        return self.scheduler.reserve(session)

    def fill(self, session: Session, place: list, event: Event | None) -> None:
        self.scheduler.fill(session, place, event)

    def run_ready(self, max_events: int | None = None, time_slice: float | None = None,
                  probation: bool = True) -> int:
        return self.scheduler.run_ready(max_events, time_slice, probation)

    def run_until_idle(self, max_events: int | None = None) -> None:
        self.scheduler.run_until_idle(max_events)

    async def run_until(self, predicate: Callable[[], bool], timeout: float | None = None) -> bool:
        return await self.scheduler.run_until(predicate, timeout)

    def spawn(self, coro: Coroutine[Any, Any, Any]) -> asyncio.Task:
        return self.scheduler.spawn(coro)

    @property
    def has_ready(self) -> bool:
        return self.scheduler.has_ready

    def has_pending_io(self) -> bool:
        return bool(self.scheduler.io_tasks)

    # --- InterpreterHost ----------------------------------------------------------------------
    def send(self, interp: Interpreter, req: dict, node: m.Send) -> None:
        self.scxml_processor.send(interp, req, node)

    def cancel_send(self, interp: Interpreter, sendid: str) -> bool:
        return self.scxml_processor.cancel_send(interp, sendid)

    def start_invoke(self, interp: Interpreter, req: dict, node: m.Invoke) -> None:
        self.invoker.start(interp, req, node)

    def cancel_invoke(self, interp: Interpreter, invokeid: str) -> None:
        self.invoker.cancel(interp, invokeid)

    def forward_to_invoke(self, interp: Interpreter, invokeid: str, event: Event) -> None:
        self.invoker.forward(interp, invokeid, event)

    def done(self, interp: Interpreter, donedata: Any) -> None:
        self.invoker.done(interp, donedata)

    def log(self, interp: Interpreter, label: str | None, value: Any, level: str | None = None) -> None:
        session = interp.session
        session.log.append((label, value))
        if len(session.log) > MAX_LOG_ENTRIES:  # long-lived sessions keep their recent log only
            del session.log[: len(session.log) - MAX_LOG_ENTRIES]
        self.listeners.notify("logged", session, label, value, level)

    def event_unhandled(self, interp: Interpreter, event: Event) -> None:
        for call in self.listeners.calls["event_unhandled"]:
            call(interp.session, event)

    def error_raised(self, interp: Interpreter, event: Event) -> None:
        for call in self.listeners.calls["error_raised"]:
            call(interp.session, event)

    def hook_calls(self) -> dict[str, list[Callable[..., None]]]:
        return self.listeners.calls
