"""Idle-session eviction: memory follows active work, not the number of sessions.

Policy (see docs/server.md): a top-level, persisted session is evicted when it has been idle for
`idle_after` seconds — no macrostep, no event delivered — and nothing is pending for it in memory:
no queued or reserved event, no internal event, no invoked child, no unanswered /request/, its
latest snapshot committed (not dirty, not in the batch being written) and no async I/O of the host
in flight. Evicting drops the Session (and its QuickJS context) and keeps only a wake-up record:
the document URL and one loop timer at the earliest due delayed send. The session is restored from
the store on its next event, query, timer, or lookup by another session.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from openors.scxml import Session, SessionHost
from openors.scxml import model as m

from .host import check_document
from .store import Store
from .writer import SnapshotWriter

log = logging.getLogger("openors.runtime.eviction")

STORE_RETRY_S = 1.0  # an overdue timer of a session the store could not give back is retried this often


@dataclass(slots=True)
class EvictedSession:
    document: str | None
    wake: asyncio.TimerHandle | None


class Evictor:
    def __init__(self, host: SessionHost, store: Store, writer: SnapshotWriter, *,
                 load_document: Callable[[str], m.Document], may_evict: Callable[[Session], bool],
                 on_restored: Callable[[Session], None], on_evicted: Callable[[str], None],
                 idle_after: float | None,
                 on_restore_failed: Callable[[str, str | None, object, Exception], None] | None = None):
        self.host = host
        self.store = store
        self.writer = writer
        self.load_document = load_document
        self.may_evict = may_evict  # the runtime's own conditions (persisted document, no waiting request)
        self.on_restored = on_restored
        self.on_evicted = on_evicted
        self.on_restore_failed = on_restore_failed  # (id, document, snapshot, error): quarantine it
        self.idle_after = idle_after
        self.evicted: dict[str, EvictedSession] = {}
        self.store_errors: dict[str, str] = {}  # evicted session -> why the store could not give it back
        self.last_active: dict[str, float] = {}
        self._task: asyncio.Task | None = None

    def touch(self, session_id: str) -> None:
        self.last_active[session_id] = time.monotonic()

    def forget(self, session_id: str) -> None:
        self.last_active.pop(session_id, None)
        self.store_errors.pop(session_id, None)
        record = self.evicted.pop(session_id, None)
        if record is not None and record.wake is not None:
            record.wake.cancel()

    # --- the periodic sweep -----------------------------------------------------------------------
    def start(self) -> None:
        if self.idle_after is not None:
            self._task = asyncio.get_running_loop().create_task(self._run(), name="openors-evictor")

    async def _run(self) -> None:
        idle_after = self.idle_after
        assert idle_after is not None  # start() runs this task only with a policy
        period = min(max(idle_after / 4, 0.25), 30.0)
        while True:
            await asyncio.sleep(period)
            try:
                self.sweep(idle_after)
            except Exception:
                log.exception("eviction sweep failed")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
            self._task = None

    def sweep(self, idle_after: float) -> int:
        """Evict every session idle for `idle_after` seconds that may be; returns how many."""
        if self.host.has_pending_io():
            return 0  # an HTTP send in flight may hold a Session object: keep them all this round
        cutoff = time.monotonic() - idle_after
        count = 0
        for sid, seen in list(self.last_active.items()):
            if seen > cutoff:
                continue
            session = dict.get(self.host.sessions, sid)
            if session is not None and self._evictable(session):
                self._evict(session)
                count += 1
        return count

    def _evictable(self, session: Session) -> bool:
        return (session.parent is None and not session.is_done and self.host.is_quiet(session)
                and session.id not in self.writer.dirty and session.id not in self.writer.in_flight
                and self.may_evict(session))

    def _evict(self, session: Session) -> None:
        self.host.scheduler.cancel_timers(session)
        dict.pop(self.host.sessions, session.id, None)
        self.last_active.pop(session.id, None)
        due = min((p["due"] for p in session.pending_sends.values()), default=None)
        self.adopt(session.id, session.document.url, due)
        self.on_evicted(session.id)
        _dismantle(session)

    def adopt(self, session_id: str, document: str | None, due: float | None) -> None:
        """Record a session that lives only in the store (evicted, or recovered lazily)."""
        wake = None
        if due is not None:
            wake = asyncio.get_running_loop().call_later(max(0.0, due - time.time()), self._wake, session_id)
        self.evicted[session_id] = EvictedSession(document, wake)

    def _wake(self, session_id: str) -> None:
        record = self.evicted.get(session_id)
        if record is not None:
            record.wake = None  # it just fired
        if self.restore(session_id) is None and session_id in self.evicted:
            # the store could not be read: its timer is overdue, so try again soon
            self.evicted[session_id].wake = asyncio.get_running_loop().call_later(
                STORE_RETRY_S, self._wake, session_id)

    # --- bringing a session back ------------------------------------------------------------------
    def restore(self, session_id: str) -> Session | None:
        """Restore an evicted session from the store (None if it is not evicted, or if the store
        cannot be read: then it stays evicted and `store_errors` says why)."""
        record = self.evicted.pop(session_id, None)
        if record is None:
            return None
        if record.wake is not None:
            record.wake.cancel()
        try:
            row = self.store.load(session_id)
        except Exception as exc:
            # the session is still in the store: keep its record, or it would vanish (404) for good
            self.evicted[session_id] = EvictedSession(record.document, None)
            self.store_errors[session_id] = f"{type(exc).__name__}: {exc}"
            log.error("cannot read an evicted session from the store: %s", exc, extra={"session_id": session_id})
            return None
        self.store_errors.pop(session_id, None)
        if row is None:
            log.error("evicted session is missing from the store", extra={"session_id": session_id})
            return None
        snapshot = None
        try:
            snapshot = json.loads(row.snapshot)
            document = self.load_document(row.document) if row.document is not None else None
            check_document(snapshot, document)
            session = self.host.restore_session(snapshot, document=document)
        except Exception as exc:
            log.exception("cannot restore evicted session", extra={"session_id": session_id})
            dict.pop(self.host.sessions, session_id, None)  # a half-restored session must not run
            if self.on_restore_failed is not None:
                self.on_restore_failed(session_id, row.document, snapshot, exc)
            return None
        self.touch(session_id)
        self.on_restored(session)
        return session


def _dismantle(session: Session) -> None:
    """Free an evicted session's memory now rather than at the next full garbage collection.

    The datamodel's QuickJS context holds Python callbacks that refer back to the datamodel, and
    session, interpreter and executable content refer to each other: only the cycle collector would
    free them, and for long-lived objects that is the rare full collection (measured: ~150 KiB per
    evicted session kept for a long while). Nothing uses these objects again: their timers are
    cancelled and they left `host.sessions`."""
    interpreter = session.interpreter
    datamodel = interpreter.datamodel
    close = getattr(datamodel, "close", None)
    if close is not None:
        close()
    vars(datamodel).clear()
    vars(interpreter).clear()
    vars(session)["interpreter"] = None
