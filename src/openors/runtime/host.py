"""The engine's `SessionHost`, with the few hooks a long-running server needs.

The engine calls `_after_macrostep`, `_enqueue`, `_end_session` and `_arm` at exactly the points
the runtime must observe (a macrostep ended, an event was queued, a session ended, a timer fired);
overriding them here keeps the engine untouched. docs/server.md lists them as candidates for public
hooks in the engine.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Callable
from typing import Any, Protocol

from openors.scxml import Event, Session, SessionHost
from openors.scxml.clock import Clock

log = logging.getLogger("openors.runtime")


class HostListener(Protocol):
    def macrostep_done(self, session: Session, event_name: str | None, waited: float | None) -> None: ...
    def session_ended(self, session: Session) -> None: ...
    def timer_fired(self, session: Session) -> None: ...
    def state_entered(self, session: Session, state_id: str) -> None: ...
    def state_exited(self, session: Session, state_id: str) -> None: ...
    def logged(self, session: Session, label: str | None, value: Any) -> None: ...


class SessionTable(dict):
    """`host.sessions`, which also knows evicted sessions: `get()` brings one back to memory, so an
    event sent to it by another session (`#_scxml_<id>`) or the Basic HTTP processor still arrives.
    Plain indexing and `dict.get(table, id)` never restore."""

    def __init__(self):
        super().__init__()
        self.restorer: Callable[[str], Session | None] | None = None

    def get(self, key, default=None):
        session = super().get(key)
        if session is None and self.restorer is not None:
            session = self.restorer(key)
        return default if session is None else session


class SnapshotPart(Protocol):
    """State a layer above the engine keeps per session and that must survive with it (the ORS
    modules' requests in flight): `save` gives it as JSON data, None when there is none;
    `restore` takes it back when the session's snapshot is restored."""

    def save(self, session: Session) -> Any: ...
    def restore(self, session: Session, data: Any) -> Any: ...


def _check_document(snap: dict, document) -> None:
    """A session saved with its document's hash is restored on the document its URL gives now. If
    that changed, the session goes on with the new version, as ORS does when a strategy is
    redeployed (a snapshot whose states the new version lacks fails to restore and is quarantined):
    flagged in the log, so a restore that behaves oddly can be traced to the redeployment."""
    from .writer import document_hash

    saved = snap.get("document_sha256")
    now = document.source_sha256 or document_hash(document.source_text)
    if saved is not None and now is not None and saved != now:
        log.warning("session restored on a document that changed since its snapshot", extra={
            "session_id": snap.get("id"), "url": document.url})


PARTS_KEY = "parts"  # where a session snapshot carries its parts: {part name: data}


class RuntimeHost(SessionHost):
    def __init__(self, clock: Clock, listener: HostListener, wake: asyncio.Event, **kwargs):
        super().__init__(clock, **kwargs)
        self.sessions = SessionTable()
        self.snapshot_parts: dict[str, SnapshotPart] = {}
        self.listener = listener
        self._wakeup = wake  # the engine sets it whenever it queues an event or an async I/O ends
        self.run_after_start = False  # the runtime's dispatcher runs queued work, in fair slices
        self.queued_events = 0  # external events waiting in any queue (global backpressure)
        self._arrivals: dict[str, deque[tuple[float, str]]] = {}  # session id -> (queued at, name)
        self._started: set[str] = set()  # sessions whose first macrostep is behind them

    # --- what the engine calls ----------------------------------------------------------------
    def _enqueue(self, session: Session, event: Event) -> None:
        super()._enqueue(session, event)
        self._arrivals.setdefault(session.id, deque()).append((time.monotonic(), event.name))
        self.queued_events += 1

    def _after_macrostep(self, session: Session) -> None:
        name = waited = None
        if session.id in self._started:
            arrivals = self._arrivals.get(session.id)
            if arrivals:  # the macrostep consumed the oldest queued event
                queued_at, name = arrivals.popleft()
                waited = time.monotonic() - queued_at
                self.queued_events -= 1
        else:
            self._started.add(session.id)  # the macrostep of start()
        self.listener.macrostep_done(session, name, waited)
        super()._after_macrostep(session)

    def _end_session(self, session: Session) -> None:
        self.forget(session.id)
        super()._end_session(session)
        self.listener.session_ended(session)

    def _arm(self, session: Session, key: str, due: float, fire: Callable[[], None]) -> None:
        def fire_and_note() -> None:
            fire()
            # the session's pending sends changed even when the event went to another session
            self.listener.timer_fired(session)

        super()._arm(session, key, due, fire_and_note)

    def restore_session(self, snap: dict, document=None, parent=None) -> Session:
        if parent is None and document is not None:
            _check_document(snap, document)
        session = super().restore_session(snap, document, parent)
        self._started.add(session.id)
        now = time.monotonic()
        if session.external_queue:
            self._arrivals[session.id] = deque((now, e.name) for e in session.external_queue)
            self.queued_events += len(session.external_queue)
        if parent is None:  # parts are saved with the top-level session, for its whole tree
            self._restore_parts(session, snap.get(PARTS_KEY) or {})
        return session

    def snapshot_session(self, session: Session) -> dict:
        """The engine's snapshot of a top-level session, with the parts of the layers above."""
        snap = session.snapshot()
        parts = {}
        for name, part in self.snapshot_parts.items():
            data = part.save(session)
            if data is not None:
                parts[name] = data
        if parts:
            snap[PARTS_KEY] = parts
        return snap

    def _restore_parts(self, session: Session, parts: dict) -> None:
        for name, data in parts.items():
            part = self.snapshot_parts.get(name)
            if part is None:
                log.warning("snapshot part %r has no owner in this server; ignored", name,
                            extra={"session_id": session.id})
                continue
            part.restore(session, data)

    def log(self, interp, label, value, *args, **kwargs) -> None:
        super().log(interp, label, value, *args, **kwargs)
        self.listener.logged(interp.session, label, value)

    def state_entered(self, interp, state) -> None:
        super().state_entered(interp, state)
        self.listener.state_entered(interp.session, state.id)

    def state_exited(self, interp, state) -> None:
        super().state_exited(interp, state)
        self.listener.state_exited(interp.session, state.id)

    # --- what the runtime calls -----------------------------------------------------------------
    def forget(self, session_id: str) -> None:
        """Drop the bookkeeping of a session leaving memory (ended or evicted)."""
        arrivals = self._arrivals.pop(session_id, None)
        if arrivals:
            self.queued_events -= len(arrivals)
        self._started.discard(session_id)

    def terminate(self, session: Session) -> None:
        super().terminate(session)
        self._wakeup.set()  # the dispatcher notices what the ended session leaves behind

    def has_pending_io(self) -> bool:
        return bool(self._io_tasks)

    def is_quiet(self, session: Session) -> bool:
        """Nothing queued, reserved or running for this session: safe to take it out of memory."""
        return (not session.external_queue and not session.queued and session.id not in self._reserved
                and not session.children and not session.interpreter.internal_queue)
