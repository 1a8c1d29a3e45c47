"""Writes session snapshots to the store off the hot path.

Macrosteps only mark a session dirty (a set insert). A background task takes the dirty set every
`interval` seconds — or at once when `batch_size` sessions are dirty or a caller waits for
durability — snapshots those sessions on the loop (they are between macrosteps there), and commits
the whole batch in one transaction on a single writer thread. Ended sessions are deleted in the same
batches. Batches are sequential, so a delete always lands after the session's last save.

Batches size themselves by load: while one commits, whatever changes joins the next, so a busy
server commits many sessions at a time and an idle one commits each change at once; a change
nobody waits for waits about as long as the last commit took (`interval` at most), not a fixed
`interval`. Snapshots
are taken in slices of at most `SLICE_S` seconds with a loop turn between them, so a large batch
never keeps requests waiting longer than a slice.

A top-level session's document is reloaded from its URL on restore, so its snapshot keeps only
the SHA-256 of the source (`document_sha256`), never the text: the restore compares it (see
`check_document` in host.py). Invoked children with inline content keep their text.

Failures never pass for success: a session whose snapshot cannot be taken fails the callers
waiting on it (and only them: the rest of the batch is written) and stays in `unsaved` until a
snapshot of it is committed, which keeps it from being evicted; a batch the store refuses fails
every caller waiting on it and is retried with a growing delay.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import sqlite3
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import orjson
import redis

from openors.scxml import Session
from openors.scxml.errors import ExecutionError

from .errors import PersistenceFailed
from .metrics import Metrics
from .store import Store, StoreBusy, StoredSession

log = logging.getLogger("openors.runtime.writer")

MAX_RETRY_DELAY_S = 2.0  # a store that keeps refusing is retried at least this often
TAKEN_OVER = "another node owns this session now (this node stalled past its heartbeat)"
MIN_GATHER_S = 0.001  # shortest wait for more changes to join a batch nobody waits for
SLICE_S = 0.002  # longest run of snapshots before the loop serves sockets and timers again
_HASHES_KEPT = 256  # documents whose hash is remembered (documents are few; reloads make new ones)


class SnapshotWriter:
    def __init__(self, store: Store, find_session: Callable[[str], Session | None], metrics: Metrics, *,
                 interval: float = 0.05, batch_size: int = 500,
                 snapshot: Callable[[Session, bool], dict] = Session.snapshot):
        self.store = store
        self.find_session = find_session  # a live top-level session by id (never restores)
        # the session's snapshot as data (the host's, with its parts); its flag: embed_json
        self.snapshot = snapshot
        self.metrics = metrics
        self.interval = interval
        self.batch_size = batch_size
        self.dirty: set[str] = set()
        self.in_flight: set[str] = set()  # ids of the batch being committed
        self._deleted: set[str] = set()
        self._raw: dict[str, StoredSession] = {}  # rows that are not live sessions (scheduled starts)
        self.unsaved: dict[str, str] = {}  # session id -> why its latest snapshot is not in the store
        self._waiters: list[tuple[asyncio.Future, str | None]] = []  # (caller, the session it waits on)
        self._delay = MIN_GATHER_S  # the last commit's time; grows while the store refuses batches
        self._has_work = asyncio.Event()
        self._urgent = asyncio.Event()
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="openors-store")
        self._task: asyncio.Task | None = None
        self._stopping = False
        self._hashes: dict[int, tuple[object, str | None]] = {}  # id(document) -> (document, its hash)

    # --- what the runtime calls on the hot path ---------------------------------------------------
    def mark_dirty(self, session_id: str) -> None:
        self.dirty.add(session_id)
        self._has_work.set()
        if len(self.dirty) >= self.batch_size:
            self._urgent.set()

    def mark_deleted(self, session_id: str) -> None:
        self.dirty.discard(session_id)
        self.unsaved.pop(session_id, None)
        self._raw.pop(session_id, None)
        self._deleted.add(session_id)
        self._has_work.set()

    def save_row(self, row: StoredSession) -> None:
        self._deleted.discard(row.id)
        self._raw[row.id] = row
        self._has_work.set()

    async def durable(self, session_id: str | None = None) -> None:
        """Return once everything changed before this call is committed. Raises PersistenceFailed
        when the store refuses that batch, or when `session_id`'s latest snapshot cannot be taken."""
        future = asyncio.get_running_loop().create_future()
        self._waiters.append((future, session_id))
        self._has_work.set()
        self._urgent.set()
        await future

    # --- the background task --------------------------------------------------------------------
    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run(), name="openors-snapshot-writer")

    async def _run(self) -> None:
        while not self._stopping:
            await self._has_work.wait()
            if not self._urgent.is_set():
                try:  # gather more work into this batch, unless someone waits
                    await asyncio.wait_for(self._urgent.wait(), self._delay)
                except TimeoutError:
                    pass
            # one loop turn first: the dispatcher, if woken, runs the events just queued, so their
            # snapshot is of the state after them; and after a failed batch, the callers just told
            # of the failure act on it before any retry (a start that failed is ended, so a retry
            # cannot write it after all)
            await asyncio.sleep(0)
            await self.flush()

    async def flush(self) -> bool:
        """Write what is pending as one batch; False when the store refused it."""
        self._has_work.clear()
        self._urgent.clear()
        ids, self.dirty = self.dirty, set()
        deletes, self._deleted = self._deleted, set()
        raw, self._raw = list(self._raw.values()), {}
        waiters, self._waiters = self._waiters, []
        snapshots, failed = await self._snapshot_rows(ids)
        rows = raw + snapshots
        self.in_flight = ids
        started = time.perf_counter()
        committed = started
        try:
            refused = None
            if rows or deletes:
                refused = await self._write(rows, deletes)
                committed = time.perf_counter()
                self.metrics.persistence_latency.observe(committed - started)
                self.metrics.persistence_batch_size.observe(len(rows) + len(deletes))
        except Exception as exc:
            self._batch_failed(exc, ids, failed, deletes, raw, waiters)
            return False
        finally:
            self.in_flight = set()
        # Group commit sized by load: a change nobody waits for waits about as long as the last
        # commit took, the time in which the store would have taken it anyway (`interval` at most).
        self._delay = min(self.interval, max(MIN_GATHER_S, committed - started))
        for row in snapshots:
            self.unsaved.pop(row.id, None)
        for sid in refused or ():  # fenced: another node took the session over meanwhile
            self.metrics.persistence_failures.labels("owner").inc()
            self.unsaved[sid] = TAKEN_OVER
        for waiter, session_id in waiters:
            if waiter.done():
                continue
            why = self.unsaved.get(session_id) if session_id is not None else None
            if why is None:
                waiter.set_result(None)
            else:
                waiter.set_exception(PersistenceFailed(
                    f"session '{session_id}' could not be saved, so this is not acknowledged: {why}",
                    reason="owner" if why == TAKEN_OVER else "snapshot",
                    sessionid=session_id, cause=why))
        return True

    def _batch_failed(self, exc: Exception, ids: set[str], failed: set[str], deletes: set[str],
                      raw: list[StoredSession], waiters: list) -> None:
        self.metrics.persistence_failures.labels("store").inc()
        cause = _store_reason(exc)
        log.error("the store refused a batch of %d saves, %d deletes: %s; retrying", len(ids) + len(raw),
                  len(deletes), cause, exc_info=not _is_store_error(exc))
        self._delay = min(max(self._delay, self.interval) * 2, MAX_RETRY_DELAY_S)
        self.dirty |= ids - deletes - failed  # kept for the next batch
        self._deleted |= deletes
        for row in raw:
            self._raw.setdefault(row.id, row)
        self._has_work.set()
        fault = PersistenceFailed(f"the store could not commit, so this is not acknowledged: {cause}",
                                  reason="store", cause=cause)
        for waiter, _ in waiters:
            if not waiter.done():
                waiter.set_exception(fault)

    async def _write(self, rows: list[StoredSession], deletes: set[str]) -> list[str] | None:
        """A small batch on the loop when the store says that is cheaper than the hand-off and it
        need not wait for a lock; everything else on the writer thread."""
        if len(rows) + len(deletes) <= self.store.inline_rows:
            try:
                return self.store.write_batch_now(rows, deletes)
            except StoreBusy:
                pass  # held elsewhere: the writer thread waits for it, not the loop
        return await asyncio.get_running_loop().run_in_executor(
            self._executor, self.store.write_batch, rows, deletes)

    async def _snapshot_rows(self, ids: set[str]) -> tuple[list[StoredSession], set[str]]:
        """The rows of these sessions, and the ids of those whose snapshot failed (now in `unsaved`).
        Yields to the loop every `SLICE_S`: a session changed meanwhile is dirty again, for the next
        batch; one ended meanwhile is skipped (its delete is queued)."""
        rows = []
        failed = set()
        now = time.time()
        slice_end = time.perf_counter() + SLICE_S
        for sid in ids:
            if time.perf_counter() > slice_end:
                await asyncio.sleep(0)
                slice_end = time.perf_counter() + SLICE_S
            session = self.find_session(sid)
            if session is None or session.is_done:
                continue  # ended meanwhile: its delete is queued
            try:
                text = self._snapshot_text(session)
            except Exception as exc:
                why = f"its state cannot be serialised: {exc}" if isinstance(exc, ExecutionError) \
                    else f"its snapshot failed: {type(exc).__name__}: {exc}"
                self.metrics.persistence_failures.labels("snapshot").inc()
                log.error("cannot snapshot session: %s", why, extra={"session_id": sid},
                          exc_info=not isinstance(exc, ExecutionError))
                self.unsaved[sid] = why
                failed.add(sid)
                continue
            rows.append(StoredSession(sid, session.document.url, now, text))
        return rows, failed

    def _snapshot_text(self, session: Session) -> str:
        """The session's snapshot as the store keeps it, encoded once: the datamodel's JSON text
        goes in as it is (embed_json), not parsed into data to be encoded again."""
        snap = self._stored_snapshot(session, True)
        try:
            return orjson.dumps(snap, default=str).decode()
        except TypeError:
            pass
        try:  # keys that are not strings (event data from Python): orjson's slower option takes them
            return orjson.dumps(snap, default=str, option=orjson.OPT_NON_STR_KEYS).decode()
        except TypeError:
            # an integer beyond 64 bits, or text orjson refuses (a lone surrogate): the standard
            # encoder takes them, from the snapshot as plain data (it cannot embed JSON text)
            return json.dumps(self._stored_snapshot(session, False), separators=(",", ":"), default=str)

    def _stored_snapshot(self, session: Session, embed_json: bool) -> dict:
        snap = self.snapshot(session, embed_json)
        document = session.document
        if document.url is not None:  # reloaded from its URL on restore: its hash is enough
            snap["document_text"] = None
            digest = document.source_sha256 or self._document_hash(document)
            if digest is not None:
                snap["document_sha256"] = digest
        return snap

    def _document_hash(self, document) -> str | None:
        """For documents compiled elsewhere than the runtime's cache, from the text they keep."""
        kept = self._hashes.get(id(document))
        if kept is not None and kept[0] is document:
            return kept[1]
        digest = document_hash(document.source_text)
        if len(self._hashes) >= _HASHES_KEPT:
            self._hashes.clear()
        self._hashes[id(document)] = (document, digest)
        return digest

    async def close(self) -> None:
        """Final flush (graceful shutdown), then stop the task and the writer thread."""
        if self._task is not None:
            # never cancel a flush half-way: its sessions were taken out of the dirty set
            self._stopping = True
            self._has_work.set()
            self._urgent.set()
            await self._task
            self._task = None
        await self.flush()
        self._executor.shutdown(wait=True)


def _is_store_error(exc: Exception) -> bool:
    return isinstance(exc, (sqlite3.Error, redis.RedisError, OSError))


def _store_reason(exc: Exception) -> str:
    """What the store said, as a client may read it ("database or disk is full")."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return text or type(exc).__name__


def document_hash(source_text: str | None) -> str | None:
    return None if source_text is None else hashlib.sha256(source_text.encode("utf-8", "replace")).hexdigest()
