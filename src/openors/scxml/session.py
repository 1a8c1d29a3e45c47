"""Sessions and the host that runs them: external queues, delayed sends, invoked children, and
the SCXML event I/O processor (`#_internal`, `#_parent`, `#_<invokeid>`, `#_scxml_<sessionid>`).

One host runs many sessions on one thread. It never blocks: `run_ready()` processes queued
external events one macrostep at a time, round-robin; timers come from a `Clock`. With a virtual
clock, `run_until_idle()` lets time jump to the next timer whenever nothing else is left to do.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
import uuid
from collections import deque
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from . import model as m
from .budgets import Breach, BudgetLedger, Budgets
from .clock import Clock, TimerHandle, VirtualClock
from .errors import CommunicationError, ExecutionError, ScxmlLoadError
from .events import Event
from .extensions import Extensions
from .interpreter import Interpreter
from .sources import DEFAULT_POLICY, SourceError, SourcePolicy
from .values import XmlValue

log = logging.getLogger("openors.scxml")

SCXML_PROCESSOR = "http://www.w3.org/TR/scxml/#SCXMLEventProcessor"
_SCXML_TYPES = {SCXML_PROCESSOR, "scxml"}
_SCXML_INVOKE_TYPES = {"scxml", "http://www.w3.org/TR/scxml", "http://www.w3.org/TR/scxml/",
                       "http://www.w3.org/TR/scxml/#SCXMLEventProcessor"}


MAX_LOG_ENTRIES = 1000


def _raw_value(value) -> str:
    return value if isinstance(value, str) else json.dumps(value)


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
        self.external_queue: deque[Event] = deque()
        self.children: dict[str, Session] = {}
        self.cancelled_invokes: set[str] = set()
        self.pending_sends: dict[str, dict] = {}  # sendid -> delayed send, as data
        self._timers: dict[str, TimerHandle] = {}
        self.log: list[tuple[str | None, Any]] = []
        self.done_data: Any = None
        self.queued = False
        self.light_streak = 0  # short macrosteps in a row: enough of them make it trusted (budgets.py)
        self.ledger = BudgetLedger(self.host.budgets)
        self.stopped_by: Breach | None = None  # why the host ended it (a budget), if it did
        self.interpreter = Interpreter(document, self.host, session_id=self.id,
                                       ioprocessors=self.host.ioprocessor_locations(self.id),
                                       datamodel_options=datamodel_options or self.host.datamodel_options,
                                       budgets=self.host.budgets)
        self.interpreter.session = self
        self.host.sessions[self.id] = self

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
        self.host._run_macrostep(self, self.interpreter.start, params)
        self.host._after_macrostep(self)
        return self

    def send(self, name: str, data: Any = None, **fields) -> None:
        """Queue an external event and, unless a macrostep is already running, process it now."""
        self.host.deliver(self, Event(name, "external", data, **fields))
        if not self.host.dispatching:
            self.host.run_ready()

    # --- persistence ------------------------------------------------------------------------
    def snapshot(self) -> dict:
        return {
            "id": self.id,
            "document": self.document.url,
            # Documents given inline (<invoke><content>) have no URL of their own to reload from.
            "document_text": self.document.source_text,
            "invokeid": self.invokeid,
            "interpreter": self.interpreter.snapshot(),
            "external_queue": [e.queued_dict() for e in self.external_queue],
            "pending_sends": self.pending_sends,
            "children": {iid: child.snapshot() for iid, child in self.children.items()},
            "cancelled_invokes": sorted(self.cancelled_invokes),
            "log": [[label, value] for label, value in self.log],
        }


def _load_snapshot_document(snap: dict, extensions) -> m.Document:
    from .parser import load_document, load_string

    if snap.get("document_text"):
        return load_string(snap["document_text"], snap["document"], extensions)
    return load_document(snap["document"], extensions)


class SessionHost:
    """Runs sessions: routes their events, keeps their timers, starts and cancels children.

    A server subclasses it at four points, called at exactly the moments it must observe:
    `_enqueue` (an external event was queued), `_after_macrostep` (a macrostep ended),
    `_end_session` (a session ended) and `_arm` (a delayed send was put on the clock).
    Callbacks (`on_log`, `on_event`, `on_state_entered`, `on_session_end`) serve observers."""

    def __init__(self, clock: Clock | None = None, *, extensions: Extensions | None = None,
                 datamodel_options: dict | None = None, budgets: Budgets | None = None,
                 sources: SourcePolicy = DEFAULT_POLICY):
        self.clock = clock or VirtualClock()
        self.extensions = extensions
        self.sources = sources  # where sessions may read from and send to
        self.datamodel_options = datamodel_options or {}
        self.budgets = budgets or Budgets()
        self.sessions: dict[str, Session] = {}
        self.ready: deque[Session] = deque()  # sessions with queued events: trusted ones
        self.ready_probation: deque[Session] = deque()  # ... new ones and those whose last macrostep was long
        self._probation_served = 0.0  # perf_counter when the probation lane last had a turn
        self.long_spent = 0.0  # seconds the long macrosteps of the last run_ready() took
        # start_session() goes on with what is queued at once, unless a dispatcher of its own (a
        # server's) schedules that work fairly.
        self.run_after_start = True
        self.on_budget_breach: Callable[[Session, Breach, bool], None] | None = None  # (.., ended)
        self.dispatching = False
        self.ioprocessors: dict[str, Any] = {}  # type URI -> processor with .send() and .location()
        self.document_loader: Callable[[str], m.Document] | None = None
        self.on_log: Callable[[Session, str | None, Any], None] | None = None
        self.on_state_entered: Callable[[Session, m.State], None] | None = None
        self.on_event: Callable[[Session, Event], None] | None = None  # every event a session takes
        self.on_state_exited: Callable[[Session, m.State], None] | None = None
        self.on_session_end: Callable[[Session], None] | None = None
        self._io_tasks: set[asyncio.Task] = set()
        self._wakeup: asyncio.Event | None = None
        self._documents: dict[tuple[str, int], m.Document] = {}
        self._reserved: dict[str, deque[list]] = {}  # session id -> places kept for events on their way

    # --- sessions -----------------------------------------------------------------------------
    def start_session(self, document: m.Document, params: dict | None = None, **kwargs) -> Session:
        session = Session(document, self, **kwargs)
        was = self.dispatching
        self.dispatching = True
        try:
            session.start(params)
        finally:
            self.dispatching = was
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
            self.rearm_pending_sends(session)
        except BaseException:
            # A half-restored session must never run: take it and its children out again.
            session.interpreter.running = False
            self._end_children(session)
            for handle in session._timers.values():
                self.clock.cancel(handle)
            dict.pop(self.sessions, session.id, None)
            raise
        if session.external_queue:
            session.queued = True
            self._lane(session).append(session)
        return session

    @property
    def has_ready(self) -> bool:
        return bool(self.ready or self.ready_probation)

    def _lane(self, session: Session) -> deque[Session]:
        trusted = session.light_streak >= self.budgets.trusted_after
        return self.ready if trusted else self.ready_probation

    def snapshot(self) -> dict:
        """Every top-level session of this host, and the clock's time (for a virtual clock)."""
        return {"now": self.clock.now(),
                "sessions": [s.snapshot() for s in self.sessions.values() if s.parent is None]}

    def ioprocessor_locations(self, session_id: str) -> dict:
        scxml = {"location": f"#_scxml_{session_id}"}
        out = {SCXML_PROCESSOR: scxml, "scxml": scxml}
        for uri, proc in self.ioprocessors.items():
            out[uri] = {"location": proc.location(session_id)}
        return out

    def deliver(self, session: Session, event: Event) -> None:
        if not session.interpreter.running:
            return
        waiting = self._reserved.get(session.id)
        if waiting:  # an earlier event is still on its way (see reserve): keep the order
            waiting.append([event])
            return
        self._enqueue(session, event)

    def reserve(self, session: Session) -> list:
        """Keep `session` a place for an event still on its way (a Basic HTTP send to a local
        session): events delivered meanwhile wait behind it, so sends keep their order."""
        place: list = []
        self._reserved.setdefault(session.id, deque()).append(place)
        return place

    def fill(self, session: Session, place: list, event: Event | None) -> None:
        """Settle a reserved place with its event (None: it never came) and let in what waited."""
        if place:
            return  # already settled
        place.append(event)
        waiting = self._reserved.get(session.id)
        while waiting and waiting[0]:
            ready = waiting.popleft()[0]
            if ready is not None and session.interpreter.running:
                self._enqueue(session, ready)
        if not waiting:
            self._reserved.pop(session.id, None)

    def _enqueue(self, session: Session, event: Event) -> None:
        session.external_queue.append(event)
        if not session.queued:
            session.queued = True
            self._lane(session).append(session)
        if self._wakeup is not None:
            self._wakeup.set()

    def run_ready(self, max_events: int | None = None, time_slice: float | None = None,
                  probation: bool = True) -> int:
        """Process queued external events, one macrostep per session turn. Returns events processed.
        `max_events` bounds one pass; `time_slice` (seconds) ends the pass once it has run that long
        or after a long macrostep, so a server can serve its sockets between passes. Without
        `probation`, only trusted sessions run. `long_spent` is the time long macrosteps took."""
        processed = 0
        self.long_spent = 0.0
        was = self.dispatching
        self.dispatching = True
        until = None if time_slice is None else time.perf_counter() + time_slice
        try:
            while max_events is None or processed < max_events:
                session = self._next_ready(probation) if self.ready_probation else (
                    self.ready.popleft() if self.ready else None)
                if session is None:
                    break
                session.queued = False
                if not session.external_queue:
                    continue
                event = session.external_queue.popleft()
                processed += 1
                if event.invokeid is not None and event.invokeid in session.cancelled_invokes:
                    continue  # events from a cancelled child are never processed
                if event.origintype is not None or event.invokeid is not None or event.type != "external":
                    # Made by sessions (a <send>, a module's outcome, a child's done event): what
                    # zero-time loops are made of. Events handed in from outside (HTTP, Session.send)
                    # carry no origin and meet the admission limits instead.
                    breach = session.ledger.take_event(self.clock.now())
                    if breach is not None:
                        session.interpreter.note_breach(breach)
                took = self._run_macrostep(session, session.interpreter.process_external_event, event)
                was_long = session.light_streak == 0
                if was_long:
                    self.long_spent += took
                self._after_macrostep(session)
                if session.external_queue and session.interpreter.running and not session.queued:
                    session.queued = True
                    self._lane(session).append(session)
                if until is not None and (was_long or time.perf_counter() > until):
                    break
        finally:
            self.dispatching = was
        return processed

    def _next_ready(self, probation: bool = True) -> Session | None:
        """Trusted sessions first; the probation lane when the trusted one is empty, or when it has
        waited `heavy_every` seconds, so sessions on probation are slowed down, never starved."""
        waiting = self.ready_probation
        if waiting and probation:
            now = time.perf_counter()
            if not self.ready or now - self._probation_served >= self.budgets.heavy_every:
                self._probation_served = now
                return waiting.popleft()
        return self.ready.popleft() if self.ready else None

    def _run_macrostep(self, session: Session, step: Callable[..., None], arg: Any) -> float:
        """Run one macrostep of `session` under its budgets, then settle what it breached.
        Returns the seconds it took."""
        interp = session.interpreter
        interp.meter.trusted = session.light_streak >= self.budgets.trusted_after
        started = time.perf_counter()
        try:
            step(arg)
        except RecursionError:
            interp.note_breach(Breach("internal", 0, "nesting too deep for the interpreter"))
        except Exception as exc:  # one session's failure must never harm another
            log.exception("session %s failed in a macrostep", session.id)
            interp.note_breach(Breach("internal", 0, f"internal error: {type(exc).__name__}: {exc}"))
        took = time.perf_counter() - started
        if took > self.budgets.heavy_macrostep:
            session.light_streak = 0
        else:
            session.light_streak += 1
        if interp.breaches:
            self._breached(session, interp.take_breaches())
        return took

    def _breached(self, session: Session, breaches: list[Breach]) -> None:
        """One strike per macrostep, whatever it breached. Below the limit the session gets the
        error event of what stopped its macrostep; at the limit it ends, running no more user code."""
        session.light_streak = 0
        stopping = next((b for b in breaches if b.stops_macrostep), breaches[0])
        interp = session.interpreter
        end = interp.running and session.ledger.strike(self.clock.now())
        log.warning("session %s broke its %s budget%s: %s", session.id, stopping.budget,
                    " and is ended" if end else "", stopping.description)
        if self.on_budget_breach is not None:
            self.on_budget_breach(session, stopping, end)
        if end:
            session.stopped_by = stopping
            interp.running = False
            self._end_children(session)
            parent = session.parent
            if parent is not None and parent.children.get(session.invokeid) is session:
                # The invoking session would wait forever for a done event: it hears why instead.
                del parent.children[session.invokeid]
                self.deliver(parent, Event(stopping.event_name, "platform",
                                           {**stopping.event_data(), "invokeid": session.invokeid}))
        elif interp.running and stopping.stops_macrostep:
            self.deliver(session, Event(stopping.event_name, "platform", stopping.event_data()))

    def _end_children(self, session: Session) -> None:
        for invokeid, child in list(session.children.items()):
            session.children.pop(invokeid, None)
            session.cancelled_invokes.add(invokeid)
            child.interpreter.running = False
            self._end_children(child)
            self._end_session(child)

    def _after_macrostep(self, session: Session) -> None:
        if not session.interpreter.running:
            self._end_session(session)

    def _end_session(self, session: Session) -> None:
        for handle in session._timers.values():
            self.clock.cancel(handle)
        session._timers.clear()
        session.pending_sends.clear()
        session.external_queue.clear()
        self._reserved.pop(session.id, None)
        self.sessions.pop(session.id, None)
        if self.on_session_end is not None:
            self.on_session_end(session)
        session.interpreter.datamodel.close()  # an ended session's context is not kept alive

    def terminate(self, session: Session) -> None:
        """End a session from outside (HTTP terminate, <session:terminate>): its states exit
        (onexit runs, invoked children are cancelled) without a done event, then it is removed."""
        was = self.dispatching
        self.dispatching = True
        try:
            session.interpreter.cancel()
        finally:
            self.dispatching = was
        # A plain lookup: a server's table may restore evicted sessions on get().
        if dict.get(self.sessions, session.id) is session:
            self._end_session(session)

    def run_until_idle(self, max_events: int | None = None) -> None:
        """Virtual clock: process everything, jumping time to each next timer, until nothing is left."""
        count = 0
        while True:
            count += self.run_ready()
            if max_events is not None and count >= max_events:
                return
            if not (self.clock.virtual and self.clock.advance()):
                return

    async def run_until(self, predicate: Callable[[], bool], timeout: float | None = None) -> bool:
        """Run until `predicate()` holds; with a real clock and async I/O. False on timeout."""
        loop = asyncio.get_running_loop()
        deadline = None if timeout is None else loop.time() + timeout
        self._wakeup = asyncio.Event()
        try:
            while True:
                self.run_ready()
                if predicate():
                    return True
                if self._io_tasks:
                    await asyncio.wait(set(self._io_tasks), timeout=0.05)
                    if self.has_ready:
                        continue
                if self.clock.virtual:
                    if deadline is not None and loop.time() > deadline:
                        return predicate()  # virtual time may run forever: the wall clock bounds it
                    if self._io_tasks or self.has_ready:
                        continue
                    if not self.clock.advance():
                        await asyncio.sleep(0)
                        if not self.has_ready and not self._io_tasks:
                            return predicate()
                    continue
                remaining = None if deadline is None else deadline - loop.time()
                if remaining is not None and remaining <= 0:
                    return False
                self._wakeup.clear()
                try:
                    await asyncio.wait_for(self._wakeup.wait(), timeout=min(remaining or 0.25, 0.25))
                except TimeoutError:
                    pass
                if deadline is not None and loop.time() > deadline:
                    self.run_ready()
                    return predicate()
        finally:
            self._wakeup = None

    def spawn(self, coro) -> asyncio.Task:
        """Run async I/O for a session; the host counts it as pending work."""
        task = asyncio.get_running_loop().create_task(coro)
        self._io_tasks.add(task)
        task.add_done_callback(self._io_done)
        return task

    def _io_done(self, task: asyncio.Task) -> None:
        self._io_tasks.discard(task)
        if self._wakeup is not None:
            self._wakeup.set()

    # --- InterpreterHost: <send>, <cancel> ------------------------------------------------
    def send(self, interp: Interpreter, req: dict, node: m.Send) -> None:
        session = interp.session
        send_type = req["type"]
        if send_type is None or send_type in _SCXML_TYPES:
            self._scxml_send(session, req, node)
            return
        processor = self.ioprocessors.get(send_type)
        if processor is None:
            raise ExecutionError(f"<send> type '{send_type}' is not supported")
        event = Event(req["event"], "external", req["data"], sendid=self._event_sendid(req, node),
                      origin=processor.location(session.id), origintype=send_type)
        if req["delay"] > 0:
            self._schedule(session, req, event, lambda: processor.send(self, session, req, event))
        else:
            processor.send(self, session, req, event)

    @staticmethod
    def _event_sendid(req: dict, node: m.Send) -> str | None:
        return req["sendid"] if (node.id is not None or node.idlocation is not None) else None

    def _scxml_send(self, session: Session, req: dict, node: m.Send) -> None:
        if req["event"] is None:
            raise ExecutionError("<send> to the SCXML event processor needs 'event' or 'eventexpr'")
        target = req["target"]
        if target is not None and target != "" and not (isinstance(target, str) and target.startswith("#_")):
            raise ExecutionError(f"<send> target '{target}' is not valid for the SCXML event processor")
        event = Event(req["event"], "external", req["data"], sendid=self._event_sendid(req, node),
                      origin=f"#_scxml_{session.id}", origintype=SCXML_PROCESSOR)
        if req.get("pairs"):
            event.raw = urlencode([(k, _raw_value(v)) for k, v in req["pairs"]])
        if target == "#_internal":
            event.type = "internal"
        if req["delay"] > 0:
            self._schedule(session, req, event, lambda: self._dispatch_later(session, target, event, req["sendid"]))
        else:
            self._dispatch(session, target, event)

    def _dispatch(self, session: Session, target: str | None, event: Event) -> None:
        if not target:
            self.deliver(session, event)
        elif target == "#_internal":
            session.interpreter.enqueue_internal(event)
        elif target == "#_parent":
            if session.parent is None:
                raise CommunicationError("this session has no parent")
            event.invokeid = session.invokeid
            self.deliver(session.parent, event)
        elif target.startswith("#_scxml_"):
            other = self.sessions.get(target[len("#_scxml_"):])
            if other is None:
                raise CommunicationError(f"no session '{target[len('#_scxml_'):]}'")
            self.deliver(other, event)
        else:
            child = session.children.get(target[2:])
            if child is None:
                raise CommunicationError(f"no invoked session '{target[2:]}'")
            self.deliver(child, event)

    def _dispatch_later(self, session: Session, target, event: Event, sendid: str) -> None:
        try:
            self._dispatch(session, target, event)
        except ExecutionError as exc:
            err = Event(exc.event_name, "platform", {"message": str(exc)}, sendid=sendid)
            self.deliver(session, err)

    def _schedule(self, session: Session, req: dict, event: Event, fire: Callable[[], None]) -> None:
        # Timers are keyed by a fresh key: two sends may share a sendid, and both must arrive.
        key = new_session_id()
        due = self.clock.now() + req["delay"]
        session.pending_sends[key] = {"sendid": req["sendid"], "due": due, "target": req["target"],
                                      "type": req["type"], "event": event.to_dict()}
        self._arm(session, key, due, fire)

    def _arm(self, session: Session, key: str, due: float, fire: Callable[[], None]) -> None:
        def on_due() -> None:
            session._timers.pop(key, None)
            if session.pending_sends.pop(key, None) is not None and session.interpreter.running:
                fire()

        session._timers[key] = self.clock.call_at(due, on_due)

    def rearm_pending_sends(self, session: Session) -> None:
        """After a restore: put every saved delayed send back on the clock (overdue ones fire at once)."""
        for key, pending in list(session.pending_sends.items()):
            event = Event.from_dict(pending["event"])
            sendid = pending["sendid"]
            if pending["type"] in (None, *_SCXML_TYPES):
                def fire(target=pending["target"], ev=event, sid=sendid):
                    self._dispatch_later(session, target, ev, sid)
            else:
                processor = self.ioprocessors[pending["type"]]
                req = {"sendid": sendid, "target": pending["target"], "type": pending["type"], "delay": 0.0,
                       "event": event.name, "data": event.data}

                def fire(req=req, ev=event, processor=processor):
                    processor.send(self, session, req, ev)

            self._arm(session, key, pending["due"], fire)

    def cancel_send(self, interp: Interpreter, sendid: str) -> bool:
        """Cancel this session's pending sends with that id; True if there was one."""
        session = interp.session
        keys = [k for k, p in session.pending_sends.items() if p["sendid"] == sendid]
        for key in keys:
            del session.pending_sends[key]
            handle = session._timers.pop(key, None)
            if handle is not None:
                self.clock.cancel(handle)
        return bool(keys)

    # --- InterpreterHost: <invoke> -------------------------------------------------------------
    def start_invoke(self, interp: Interpreter, req: dict, node: m.Invoke) -> None:
        session = interp.session
        inv_type = req["type"]
        if inv_type is not None and inv_type not in _SCXML_INVOKE_TYPES:
            raise ExecutionError(f"<invoke> type '{inv_type}' is not supported")
        document = self._invoked_document(req, node, interp.doc.extensions or self.extensions)
        invokeid = req["invokeid"]
        child = Session(document, self, parent=session, invokeid=invokeid)
        session.children[invokeid] = child
        params = req["data"] if isinstance(req["data"], dict) else None
        child.start(params)

    def _invoked_document(self, req: dict, node: m.Invoke, extensions) -> m.Document:
        from .parser import load_document, load_string
        from .resources import resolve_url

        try:
            content = req["content"]
            if content is not None:
                text = content.xml if isinstance(content, XmlValue) else str(content)
                return load_string(text, node.url, extensions)
            if req["src"] is None:
                raise ExecutionError("<invoke> needs 'src', 'srcexpr' or <content>")
            url = resolve_url(str(req["src"]), node.url)
            self.sources.check_reference(url, node.url)
            document = self._documents.get((url, id(extensions)))
            if document is None:
                loader = self.document_loader or (lambda u: load_document(u, extensions, self.sources))
                document = self._documents[(url, id(extensions))] = loader(url)
            return document
        except (ScxmlLoadError, SourceError) as exc:
            raise ExecutionError(f"<invoke> cannot load the document: {exc}") from None

    def cancel_invoke(self, interp: Interpreter, invokeid: str) -> None:
        session = interp.session
        child = session.children.pop(invokeid, None)
        if child is not None:  # a child that already finished has nothing left to cancel
            session.cancelled_invokes.add(invokeid)
            child.interpreter.cancel()
            self._end_session(child)

    def forward_to_invoke(self, interp: Interpreter, invokeid: str, event: Event) -> None:
        child = interp.session.children.get(invokeid)
        if child is not None:
            self.deliver(child, Event(event.name, event.type, event.data, event.sendid, event.origin,
                                      event.origintype, event.invokeid))

    def done(self, interp: Interpreter, donedata: Any) -> None:
        session = interp.session
        session.done_data = donedata
        parent = session.parent
        if parent is not None and session.invokeid in parent.children:
            parent.children.pop(session.invokeid, None)
            self.deliver(parent, Event(f"done.invoke.{session.invokeid}", "external", donedata,
                                       invokeid=session.invokeid))

    # --- InterpreterHost: logging and tracing ---------------------------------------------------
    def log(self, interp: Interpreter, label: str | None, value: Any, level: str | None = None) -> None:
        session = interp.session
        session.log.append((label, value))
        if len(session.log) > MAX_LOG_ENTRIES:  # long-lived sessions keep their recent log only
            del session.log[: len(session.log) - MAX_LOG_ENTRIES]
        if self.on_log is not None:
            self.on_log(session, label, value)

    def event_taken(self, interp: Interpreter, event: Event) -> None:
        if self.on_event is not None:
            self.on_event(interp.session, event)

    def state_exited(self, interp: Interpreter, state: m.State) -> None:
        if self.on_state_exited is not None:
            self.on_state_exited(interp.session, state)

    def state_entered(self, interp: Interpreter, state: m.State) -> None:
        if self.on_state_entered is not None:
            self.on_state_entered(interp.session, state)
