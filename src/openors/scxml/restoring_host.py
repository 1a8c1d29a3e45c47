"""A host that proves sessions survive persistence: after every macrostep it saves the session's
tree as the server does (its snapshot as JSON text), throws the sessions away (interpreters,
datamodels, their JS contexts) and restores them into fresh ones, which then run on.

Only what the snapshot carries survives, so anything it forgets shows up as a different outcome.
Used by the IRP runner's `--snapshot-every-macrostep` mode (w3c.py).
"""

from __future__ import annotations

import json
from collections import deque

from .events import Event
from .session import Session, SessionHost


class RestoringHost(SessionHost):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.restores = 0  # how many times a session tree was thrown away and restored
        self._nesting = 0  # macrosteps running: a child's first one runs inside its parent's
        self._latest: dict[str, Session] = {}  # session id -> its latest incarnation

    def latest(self, session: Session) -> Session:
        """The object that is this session now (references taken before a restore go stale)."""
        return self._latest.get(session.id, session)

    # --- where the engine calls out ----------------------------------------------------------
    def _run_macrostep(self, session, step, arg):
        self._nesting += 1
        try:
            return super()._run_macrostep(session, step, arg)
        finally:
            self._nesting -= 1

    def _after_macrostep(self, session: Session) -> None:
        super()._after_macrostep(session)
        if self._nesting:
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
        # Strict JSON, as the store keeps it: a value that is not data fails here, loudly.
        text = json.dumps(root.snapshot(), separators=(",", ":"))
        old = list(_tree(root))
        for session in old:
            self._discard(session)
        gone = {id(s) for s in old}
        self.ready = deque(s for s in self.ready if id(s) not in gone)
        self.ready_probation = deque(s for s in self.ready_probation if id(s) not in gone)
        fresh = self.restore_session(json.loads(text), document=root.document)
        for session in _tree(fresh):
            self._latest[session.id] = session
        self.restores += 1

    def _discard(self, session: Session) -> None:
        """Take a session out without ending it (no done event, no onexit): its timers go, its
        JS context is closed, so any later use of the old objects fails instead of passing."""
        for handle in session._timers.values():
            self.clock.cancel(handle)
        session._timers.clear()
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
