"""Keeps Python's full garbage collections off the request path.

With a thousand live sessions a full collection takes 80-120 ms (measured on 2 vCPUs), and
CPython starts one whenever the objects that outlived younger collections grow by a quarter:
under load that lands every few seconds, and every request in flight waits for it (it was the p99
of /event). Live sessions are long-lived by nature, so their objects are moved out of the
collector's way (`gc.freeze()`) once enough sessions started since the last time; full
collections then only look at what is new. Events do not start sessions but leave survivors too
(queued events, timers, the trace): while the process allocates, whatever survived a young
collection is frozen every `FREEZE_EVERY_S` as well, so a full collection never has more than
that much to look at (a freeze costs no scan: it moves lists). Ended sessions, and any cycle
frozen with the rest, are collected in one pass once enough sessions ended or `SWEEP_EVERY_S`
passed: everything is unfrozen, collected, then frozen again. One pause per that many ended
sessions or minutes instead of one every few seconds."""

from __future__ import annotations

import asyncio
import gc
import logging
import time

log = logging.getLogger("openors.runtime.collector")

CHECK_S = 0.25  # how often the pacer looks (a burst of starts is frozen within a quarter second)
FREEZE_AFTER_STARTS = 50  # sessions started since the last freeze that make a new one worth it
SWEEP_AFTER_ENDS = 1000  # sessions ended since the last full pass, at least ...
SWEEP_SHARE = 0.5  # ... and at least this share of the sessions alive
FREEZE_EVERY_S = 1.0  # while anything is allocated, survivors are frozen at least this often
SWEEP_EVERY_S = 600.0  # frozen garbage (cycles) waits at most this long for a full pass


class CollectorPacer:
    def __init__(self, live_sessions, *, freeze_after: int = FREEZE_AFTER_STARTS,
                 sweep_after: int = SWEEP_AFTER_ENDS):
        self.live_sessions = live_sessions  # () -> number of sessions held in memory
        self.freeze_after = freeze_after
        self.sweep_after = sweep_after
        self.started = 0  # since the last freeze
        self.ended = 0  # since the last full pass
        self._task: asyncio.Task | None = None
        now = time.monotonic()
        self._frozen_at = now
        self._swept_at = now
        self._young_collections = _young_collections()  # at the last freeze

    def note_started(self) -> None:
        self.started += 1

    def note_ended(self) -> None:
        self.ended += 1

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run(), name="openors-gc-pacer")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        gc.unfreeze()  # whatever ended is collectable again

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(CHECK_S)
            self.pace()

    def pace(self) -> None:
        now = time.monotonic()
        allocating = _young_collections() != self._young_collections
        if self.ended >= max(self.sweep_after, SWEEP_SHARE * self.live_sessions()) \
                or (now - self._swept_at >= SWEEP_EVERY_S and gc.get_freeze_count() > 0 and allocating):
            started = time.perf_counter()
            gc.unfreeze()
            gc.collect()
            gc.freeze()
            self.ended = self.started = 0
            self._swept_at = now
            self._frozen(now)
            log.info("full garbage collection", extra={"ms": round((time.perf_counter() - started) * 1000, 1)})
        elif self.started >= self.freeze_after or (allocating and now - self._frozen_at >= FREEZE_EVERY_S):
            gc.collect(1)  # young garbage is not frozen with the sessions
            gc.freeze()
            self.started = 0
            self._frozen(now)

    def _frozen(self, now: float) -> None:
        self._frozen_at = now
        self._young_collections = _young_collections()


def _young_collections() -> int:
    """How many young collections ran so far: it moves only while the process allocates."""
    return gc.get_stats()[0]["collections"]
