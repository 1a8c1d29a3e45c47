"""Writes session snapshots to the store off the hot path.

Macrosteps only mark a session dirty (a set insert). A background task takes the dirty set every
`interval` seconds — or at once when `batch_size` sessions are dirty or a caller waits for
durability — snapshots those sessions on the loop (they are between macrosteps there), and commits
the whole batch in one transaction on a single writer thread. Ended sessions are deleted in the same
batches. Batches are sequential, so a delete always lands after the session's last save.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from openors.scxml import Session

from .metrics import Metrics
from .store import Store, StoredSession

log = logging.getLogger("openors.runtime.writer")


class SnapshotWriter:
    def __init__(self, store: Store, find_session: Callable[[str], Session | None], metrics: Metrics, *,
                 interval: float = 0.05, batch_size: int = 500,
                 snapshot: Callable[[Session], dict] = Session.snapshot):
        self.store = store
        self.find_session = find_session  # a live top-level session by id (never restores)
        self.snapshot = snapshot  # the session's snapshot as data (the host's, with its parts)
        self.metrics = metrics
        self.interval = interval
        self.batch_size = batch_size
        self.dirty: set[str] = set()
        self.in_flight: set[str] = set()  # ids of the batch being committed
        self._deleted: set[str] = set()
        self._raw: dict[str, StoredSession] = {}  # rows that are not live sessions (scheduled starts)
        self._waiters: list[asyncio.Future] = []
        self._has_work = asyncio.Event()
        self._urgent = asyncio.Event()
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="openors-store")
        self._task: asyncio.Task | None = None
        self._stopping = False

    # --- what the runtime calls on the hot path ---------------------------------------------------
    def mark_dirty(self, session_id: str) -> None:
        self.dirty.add(session_id)
        self._has_work.set()
        if len(self.dirty) >= self.batch_size:
            self._urgent.set()

    def mark_deleted(self, session_id: str) -> None:
        self.dirty.discard(session_id)
        self._raw.pop(session_id, None)
        self._deleted.add(session_id)
        self._has_work.set()

    def save_row(self, row: StoredSession) -> None:
        self._deleted.discard(row.id)
        self._raw[row.id] = row
        self._has_work.set()

    async def durable(self) -> None:
        """Return once everything changed before this call is committed."""
        future = asyncio.get_running_loop().create_future()
        self._waiters.append(future)
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
                    await asyncio.wait_for(self._urgent.wait(), self.interval)
                except TimeoutError:
                    pass
            await self.flush()

    async def flush(self) -> None:
        self._has_work.clear()
        self._urgent.clear()
        ids, self.dirty = self.dirty, set()
        deletes, self._deleted = self._deleted, set()
        raw, self._raw = list(self._raw.values()), {}
        waiters, self._waiters = self._waiters, []
        rows = raw + self._snapshot_rows(ids)
        self.in_flight = ids
        started = time.perf_counter()
        try:
            if rows or deletes:
                await asyncio.get_running_loop().run_in_executor(
                    self._executor, self.store.write_batch, rows, deletes)
                self.metrics.persistence_latency.observe(time.perf_counter() - started)
                self.metrics.persistence_batch_size.observe(len(rows) + len(deletes))
        except Exception as exc:
            self.metrics.persistence_failures.inc()
            log.exception("store batch of %d saves, %d deletes failed; will retry", len(rows), len(deletes))
            self.dirty |= ids - deletes  # keep them for the next batch
            self._deleted |= deletes
            for row in raw:
                self._raw.setdefault(row.id, row)
            self._has_work.set()
            for waiter in waiters:
                if not waiter.done():
                    waiter.set_exception(exc)
            return
        finally:
            self.in_flight = set()
        for waiter in waiters:
            if not waiter.done():
                waiter.set_result(None)

    def _snapshot_rows(self, ids: set[str]) -> list[StoredSession]:
        rows = []
        now = time.time()
        for sid in ids:
            session = self.find_session(sid)
            if session is None or session.is_done:
                continue  # ended meanwhile: its delete is queued
            try:
                text = json.dumps(self.snapshot(session), separators=(",", ":"), default=str)
            except Exception:
                log.exception("cannot snapshot session", extra={"session_id": sid})
                continue
            rows.append(StoredSession(sid, session.document.url, now, text))
        return rows

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
