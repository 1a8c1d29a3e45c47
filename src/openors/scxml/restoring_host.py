"""A host that proves sessions survive persistence: after every macrostep it saves the session's
tree as the server does (its snapshot as JSON text), throws the sessions away (interpreters,
datamodels, their JS contexts) and restores them into fresh ones, which then run on.

Only what the snapshot carries survives, so anything it forgets shows up as a different outcome.
Used by the IRP runner's `--snapshot-every-macrostep` mode (w3c.py).
"""

from __future__ import annotations

import json
from collections import deque
from typing import Any

import orjson

from .events import Event
from .session import Session, SessionHost


class RestoringHost(SessionHost):
    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.restores = 0  # how many times a session tree was thrown away and restored
        self._latest: dict[str, Session] = {}  # session id -> its latest incarnation
        self._starting: set[str] = set()  # sessions whose first macrostep (start) is ahead
        self.listeners.on("session_started", lambda session: self._starting.add(session.id))
        self.listeners.on("session_restored", lambda session: self._starting.discard(session.id))

    def latest(self, session: Session) -> Session:
        """The object that is this session now (references taken before a restore go stale)."""
        return self._latest.get(session.id, session)

    # --- where the engine calls out ----------------------------------------------------------
    def macrostep_done(self, session: Session) -> None:
        super().macrostep_done(session)
        starting = session.id in self._starting
        self._starting.discard(session.id)
        if starting and session.parent is not None:
            return  # a child started inside its parent's macrostep: the parent is mid-way
        root = session
        while root.parent is not None:
            root = root.parent
        if root.interpreter.running:
            self._persist_and_restore(root)

    # Stale references (an HTTP send in flight, a place kept for it) name the session by object.
    def deliver(self, session: Session, event: Event) -> None:
        super().deliver(self.latest(session), event)

    def fill(self, session: Session, place: list, event: Event | None) -> None:
        super().fill(self.latest(session), place, event)

    # --- the round trip ------------------------------------------------------------------------
    def _persist_and_restore(self, root: Session) -> None:
        # Strict JSON, as the store keeps it (the datamodel's JSON text embedded, as the server's
        # writer does): a value that is not data fails here, loudly. What orjson refuses (an
        # integer beyond 64 bits) goes through the standard encoder, as in the writer.
        try:
            text = orjson.dumps(root.snapshot(embed_json=True)).decode()
        except TypeError:
            text = json.dumps(root.snapshot(), separators=(",", ":"))
        old = list(_tree(root))
        for session in old:
            self._discard(session)
        gone = {id(s) for s in old}
        scheduler = self.scheduler
        scheduler.ready = deque(s for s in scheduler.ready if id(s) not in gone)
        scheduler.ready_probation = deque(s for s in scheduler.ready_probation if id(s) not in gone)
        fresh = self.restore_session(json.loads(text), document=root.document)
        for session in _tree(fresh):
            self._latest[session.id] = session
        self.restores += 1

    def _discard(self, session: Session) -> None:
        """Take a session out without ending it (no done event, no onexit): its timers go, its
        JS context is closed, so any later use of the old objects fails instead of passing."""
        self.scheduler.cancel_timers(session)
        session.external_queue.clear()
        session.queued = False
        if self.sessions.get(session.id) is session:
            del self.sessions[session.id]
        session.interpreter.running = False
        session.interpreter.datamodel.close()


def _tree(session: Session):
    yield session
    for child in list(session.children.values()):
        yield from _tree(child)
