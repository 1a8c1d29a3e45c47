"""What a long-running server adds to the engine's `SessionHost`, through its declared extension
points only: a session table that knows evicted sessions, and a listener that keeps the count and
the waiting time of queued events (backpressure and the queuing-time metric)."""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Callable
from typing import Any

from openors.scxml import Event, Session
from openors.scxml import model as m
from openors.scxml.listeners import SessionListener
from openors.scxml.session import PARTS_KEY

from .writer import document_hash

log = logging.getLogger("openors.runtime")

__all__ = ["PARTS_KEY", "QueueWatch", "SessionTable", "check_document"]


class SessionTable(dict):
    """`host.sessions`, which also knows evicted sessions: `get()` brings one back to memory, so an
    event sent to it by another session (`#_scxml_<id>`) or the Basic HTTP processor still arrives.
    Plain indexing and `dict.get(table, id)` never restore."""

    def __init__(self) -> None:
        super().__init__()
        self.restorer: Callable[[str], Session | None] | None = None

    def get(self, key: str, default: Any = None) -> Any:
        session = super().get(key)
        if session is None and self.restorer is not None:
            session = self.restorer(key)
        return default if session is None else session


def check_document(snap: dict, document: m.Document | None) -> None:
    """A session saved with its document's hash is restored on the document its URL gives now. If
    that changed, the session goes on with the new version, as ORS does when a strategy is
    redeployed (a snapshot whose states the new version lacks fails to restore and is quarantined):
    flagged in the log, so a restore that behaves oddly can be traced to the redeployment."""
    if document is None:
        return  # loaded later from the snapshot's own URL or text
    saved = snap.get("document_sha256")
    now = document.source_sha256 or document_hash(document.source_text)
    if saved is not None and now is not None and saved != now:
        log.warning("session restored on a document that changed since its snapshot", extra={
            "session_id": snap.get("id"), "url": document.url})


class QueueWatch(SessionListener):
    """Counts external events waiting in any queue, and tells how long each one waited."""

    def __init__(self) -> None:
        self.queued_events = 0
        self._arrivals: dict[str, deque[tuple[float, str]]] = {}  # session id -> (queued at, name)
        self._starting: set[str] = set()  # sessions whose first macrostep (start) is ahead

    def session_started(self, session: Session) -> None:
        self._starting.add(session.id)

    def session_restored(self, session: Session) -> None:
        self._starting.discard(session.id)
        if session.external_queue:
            now = time.monotonic()
            self._arrivals[session.id] = deque((now, e.name) for e in session.external_queue)
            self.queued_events += len(session.external_queue)

    def event_queued(self, session: Session, event: Event) -> None:
        self._arrivals.setdefault(session.id, deque()).append((time.monotonic(), event.name))
        self.queued_events += 1

    def session_ended(self, session: Session) -> None:
        self.forget(session.id)

    def consumed(self, session: Session) -> tuple[str, float] | None:
        """A macrostep of `session` ended: the event it took and how long that waited (None for
        the start macrostep, which takes no queued event)."""
        if session.id in self._starting:
            self._starting.discard(session.id)
            return None
        arrivals = self._arrivals.get(session.id)
        if not arrivals:
            return None
        queued_at, name = arrivals.popleft()
        self.queued_events -= 1
        return name, time.monotonic() - queued_at

    def forget(self, session_id: str) -> None:
        """Drop the bookkeeping of a session leaving memory (ended or evicted)."""
        arrivals = self._arrivals.pop(session_id, None)
        if arrivals:
            self.queued_events -= len(arrivals)
        self._starting.discard(session_id)
