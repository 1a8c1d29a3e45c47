"""Keeps Python's full garbage collections off the request path.

With a thousand live sessions a full collection takes 80-120 ms (measured on 2 vCPUs), and
CPython starts one whenever the objects that outlived younger collections grow by a quarter:
under load that lands every few seconds, and every request in flight waits for it (it was the p99
of /event). Live sessions are long-lived by nature, so their objects are moved out of the
collector's way (`gc.freeze()`) once enough sessions started since the last time; full
collections then only look at what is new. Ended sessions may leave cycles among frozen objects,
so once enough sessions ended, everything is unfrozen and collected in one pass, then frozen
again: one pause per that many ended sessions instead of one every few seconds."""

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


class CollectorPacer:
    def __init__(self, live_sessions, *, freeze_after: int = FREEZE_AFTER_STARTS,
                 sweep_after: int = SWEEP_AFTER_ENDS):
        self.live_sessions = live_sessions  # () -> number of sessions held in memory
        self.freeze_after = freeze_after
        self.sweep_after = sweep_after
        self.started = 0  # since the last freeze
        self.ended = 0  # since the last full pass
        self._task: asyncio.Task | None = None

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
        if self.ended >= max(self.sweep_after, SWEEP_SHARE * self.live_sessions()):
            started = time.perf_counter()
            gc.unfreeze()
            gc.collect()
            gc.freeze()
            self.ended = self.started = 0
            log.info("full garbage collection", extra={"ms": round((time.perf_counter() - started) * 1000, 1)})
        elif self.started >= self.freeze_after:
            gc.collect(1)  # young garbage is not frozen with the sessions
            gc.freeze()
            self.started = 0
