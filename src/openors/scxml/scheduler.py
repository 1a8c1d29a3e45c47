"""The scheduler of a host's sessions: external queues, fair turns, budgets per macrostep, timers
and the async I/O the host waits for.

One host runs many sessions on one thread and never blocks. `run_ready()` processes queued
external events one macrostep per session turn, trusted sessions before those on probation
(budgets.py); timers come from a `Clock`. With a virtual clock, `run_until_idle()` lets time jump to
the next timer whenever nothing else is left to do.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .budgets import Breach, Budgets
from .clock import Clock, TimerHandle
from .events import Event

if TYPE_CHECKING:
    from collections.abc import Coroutine

    from .session import Session, SessionHost

log = logging.getLogger("openors.scxml")


class Scheduler:
    def __init__(self, host: SessionHost, clock: Clock, budgets: Budgets):
        self.host = host
        self.clock = clock
        self.budgets = budgets
        self.ready: deque[Session] = deque()  # sessions with queued events: trusted ones
        self.ready_probation: deque[Session] = deque()  # ... new ones and those whose last macrostep was long
        self._probation_served = 0.0  # perf_counter when the probation lane last had a turn
        self.long_spent = 0.0  # seconds the long macrosteps of the last run_ready() took
        self.dispatching = False  # a macrostep is running: deliveries only queue
        self.io_tasks: set[asyncio.Task] = set()
        self.wakeup: asyncio.Event | None = None  # set whenever work arrives (run_until, a server)
        self._reserved: dict[str, deque[list]] = {}  # session id -> places kept for events on their way
        self._on_event_queued = host.listeners.calls["event_queued"]  # the hook's (stable) list
        # A debugger's say before a session takes its next external event: True holds the session's
        # queue (the session is left out of the lanes until `release`); other sessions run on.
        self.hold: Callable[[Session, Event], bool] | None = None

    # --- queues -------------------------------------------------------------------------------
    @property
    def has_ready(self) -> bool:
        return bool(self.ready or self.ready_probation)

    def lane(self, session: Session) -> deque[Session]:
        trusted = session.light_streak >= self.budgets.trusted_after
        return self.ready if trusted else self.ready_probation

    def deliver(self, session: Session, event: Event) -> None:
        if not session.interpreter.running:
            return
        waiting = self._reserved.get(session.id)
        if waiting:  # an earlier event is still on its way (see reserve): keep the order
            waiting.append([event])
            return
        self.enqueue(session, event)

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
                self.enqueue(session, ready)
        if not waiting:
            self._reserved.pop(session.id, None)

    def has_reserved(self, session: Session) -> bool:
        return session.id in self._reserved

    def enqueue(self, session: Session, event: Event) -> None:
        session.external_queue.append(event)
        for call in self._on_event_queued:
            call(session, event)
        if not session.queued:  # mark_ready, on the path every event takes
            session.queued = True
            (self.ready if session.light_streak >= self.budgets.trusted_after else self.ready_probation).append(session)
        if self.wakeup is not None:
            self.wakeup.set()

    def deliver_and_run(self, session: Session, event: Event) -> None:
        """`deliver` then `run_ready`, for an event handed in from outside the sessions (no origin,
        so no event ledger: see run_ready). A short way for the common case: nothing else is
        queued, held or reserved and no macrostep runs, so the event's macrostep runs right away
        (what run_ready would do first) and run_ready only runs for what that macrostep queued."""
        if self.ready or self.ready_probation or self._on_event_queued or not self.run_at_once(session, event):
            self.deliver(session, event)
            if not self.dispatching:
                self.run_ready()
            return
        if self.ready or self.ready_probation:
            self.run_ready()

    def run_at_once(self, session: Session, event: Event) -> bool:
        """Run the macrostep of an event handed in from outside the sessions (no origin) now, when
        that is what the dispatcher would do with it next anyway: no macrostep is running, the
        session is running, trusted (not on probation), holds no queued or reserved event, and is
        not held (a debugger's breakpoint). Returns False, having done nothing, otherwise: the
        caller then delivers the event. Events queued meanwhile for other sessions wait for the
        next run_ready."""
        if (self.dispatching or session.external_queue or not session.interpreter.running
                or session.light_streak < self.budgets.trusted_after
                or (self._reserved and session.id in self._reserved)
                or (self.hold is not None and self.hold(session, event))):
            return False
        self.dispatching = True
        try:
            self.run_macrostep(session, session.interpreter.process_external_event, event)
            self.host.macrostep_done(session)
        finally:
            self.dispatching = False
        if (self.ready or self.ready_probation) and self.wakeup is not None:
            self.wakeup.set()
        return True

    def mark_ready(self, session: Session) -> None:
        if not session.queued:
            session.queued = True
            self.lane(session).append(session)

    def release(self, session: Session) -> None:
        """A held session may take its queued events again."""
        if session.external_queue and session.interpreter.running:
            self.mark_ready(session)
            if self.wakeup is not None:
                self.wakeup.set()

    def forget(self, session: Session) -> None:
        """The session left: drop what the scheduler kept for it."""
        self.cancel_timers(session)
        session.external_queue.clear()
        self._reserved.pop(session.id, None)

    # --- macrosteps ---------------------------------------------------------------------------
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
                if self.hold is not None and self.hold(session, session.external_queue[0]):
                    continue
                event = session.external_queue.pop(0)
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
                took = self.run_macrostep(session, session.interpreter.process_external_event, event)
                was_long = session.light_streak == 0
                if was_long:
                    self.long_spent += took
                self.host.macrostep_done(session)
                if session.external_queue and session.interpreter.running:
                    self.mark_ready(session)
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

    def run_macrostep(self, session: Session, step: Callable[..., None], arg: Any) -> float:
        """Run one macrostep of `session` under its budgets, then settle what it breached.
        Returns the seconds it took."""
        interp = session.interpreter
        meter = interp.meter
        meter.trusted = session.light_streak >= self.budgets.trusted_after
        meter.took = 0.0  # the step measures itself: it runs between the meter's start and stop
        try:
            step(arg)
        except RecursionError:
            interp.note_breach(Breach("internal", 0, "nesting too deep for the interpreter"))
        except Exception as exc:  # one session's failure must never harm another
            log.exception("session %s failed in a macrostep", session.id)
            interp.note_breach(Breach("internal", 0, f"internal error: {type(exc).__name__}: {exc}"))
        took = meter.took
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
        self.host.listeners.notify("budget_breached", session, stopping, end)
        if end:
            session.stopped_by = stopping
            interp.running = False
            self.host.invoker.end_children(session)
            parent = session.parent
            if parent is not None and session.invokeid is not None \
                    and parent.children.get(session.invokeid) is session:
                # The invoking session would wait forever for a done event: it hears why instead.
                del parent.children[session.invokeid]
                self.deliver(parent, Event(stopping.event_name, "platform",
                                           {**stopping.event_data(), "invokeid": session.invokeid}))
        elif interp.running and stopping.stops_macrostep:
            self.deliver(session, Event(stopping.event_name, "platform", stopping.event_data()))

    # --- timers -------------------------------------------------------------------------------
    def arm(self, session: Session, key: str, due: float, fire: Callable[[], None]) -> None:
        """Call `fire` at `due` unless the session drops `key` from its pending sends first."""
        def on_due() -> None:
            session.timers.pop(key, None)
            if session.pending_sends.pop(key, None) is not None and session.interpreter.running:
                fire()
                # the session's pending sends changed even when the event went to another session
                self.host.listeners.notify("timer_fired", session)

        session.timers[key] = self.clock.call_at(due, on_due)

    def disarm(self, session: Session, key: str) -> None:
        handle: TimerHandle | None = session.timers.pop(key, None)
        if handle is not None:
            self.clock.cancel(handle)

    def cancel_timers(self, session: Session) -> None:
        for handle in session.timers.values():
            self.clock.cancel(handle)
        session.timers.clear()

    # --- run loops ----------------------------------------------------------------------------
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
        self.wakeup = asyncio.Event()
        try:
            while True:
                self.run_ready()
                if predicate():
                    return True
                if self.io_tasks:
                    await asyncio.wait(set(self.io_tasks), timeout=0.05)
                    if self.has_ready:
                        continue
                if self.clock.virtual:
                    if deadline is not None and loop.time() > deadline:
                        return predicate()  # virtual time may run forever: the wall clock bounds it
                    if self.io_tasks or self.has_ready:
                        continue
                    if not self.clock.advance():
                        await asyncio.sleep(0)
                        if not self.has_ready and not self.io_tasks:
                            return predicate()
                    continue
                remaining = None if deadline is None else deadline - loop.time()
                if remaining is not None and remaining <= 0:
                    return False
                self.wakeup.clear()
                try:
                    await asyncio.wait_for(self.wakeup.wait(), timeout=min(remaining or 0.25, 0.25))
                except TimeoutError:
                    pass
                if deadline is not None and loop.time() > deadline:
                    self.run_ready()
                    return predicate()
        finally:
            self.wakeup = None

    def spawn(self, coro: Coroutine[Any, Any, Any]) -> asyncio.Task:
        """Run async I/O for a session; the scheduler counts it as pending work."""
        task = asyncio.get_running_loop().create_task(coro)
        self.io_tasks.add(task)
        task.add_done_callback(self._io_done)
        return task

    def _io_done(self, task: asyncio.Task) -> None:
        self.io_tasks.discard(task)
        if self.wakeup is not None:
            self.wakeup.set()
