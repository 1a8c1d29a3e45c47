"""Clocks: the real one for production, a virtual one for tests and simulation.

With the virtual clock, time only moves when the host has nothing else to do: it jumps to the
next timer. Delayed sends then complete at once, in due-time order (ties in scheduling order).
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import time
from collections.abc import Callable


class TimerHandle:
    __slots__ = ("when", "seq", "callback", "cancelled", "_native")

    def __init__(self, when: float, seq: int, callback: Callable[[], None]):
        self.when = when
        self.seq = seq
        self.callback = callback
        self.cancelled = False
        self._native = None

    def __lt__(self, other: TimerHandle) -> bool:
        return (self.when, self.seq) < (other.when, other.seq)


class Clock:
    virtual = False

    def now(self) -> float:
        raise NotImplementedError

    def call_at(self, when: float, callback: Callable[[], None]) -> TimerHandle:
        raise NotImplementedError

    def call_later(self, delay: float, callback: Callable[[], None]) -> TimerHandle:
        return self.call_at(self.now() + max(0.0, delay), callback)

    def cancel(self, handle: TimerHandle) -> None:
        handle.cancelled = True


class VirtualClock(Clock):
    virtual = True

    def __init__(self, start: float = 0.0):
        self._now = start
        self._heap: list[TimerHandle] = []
        self._seq = itertools.count()

    def now(self) -> float:
        return self._now

    def call_at(self, when: float, callback: Callable[[], None]) -> TimerHandle:
        handle = TimerHandle(max(when, self._now), next(self._seq), callback)
        heapq.heappush(self._heap, handle)
        return handle

    def next_due(self) -> float | None:
        while self._heap and self._heap[0].cancelled:
            heapq.heappop(self._heap)
        return self._heap[0].when if self._heap else None

    def advance(self) -> bool:
        """Jump to the next timer and fire it (and any due at the same instant). False if none."""
        when = self.next_due()
        if when is None:
            return False
        self._now = max(self._now, when)
        while self._heap and self._heap[0].when <= self._now:
            handle = heapq.heappop(self._heap)
            if not handle.cancelled:
                handle.cancelled = True
                handle.callback()
        return True

    def advance_to(self, when: float) -> None:
        """Fire every timer due up to `when`, then set the time to `when`."""
        while True:
            due = self.next_due()
            if due is None or due > when:
                break
            self.advance()
        self._now = max(self._now, when)

    @property
    def pending(self) -> int:
        return sum(1 for h in self._heap if not h.cancelled)


class RealClock(Clock):
    """Wall-clock time on the running asyncio loop."""

    def __init__(self, loop: asyncio.AbstractEventLoop | None = None):
        self._loop = loop
        self._seq = itertools.count()

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        if self._loop is None:
            self._loop = asyncio.get_running_loop()
        return self._loop

    def now(self) -> float:
        return time.time()

    def call_at(self, when: float, callback: Callable[[], None]) -> TimerHandle:
        handle = TimerHandle(when, next(self._seq), callback)

        def fire() -> None:
            if not handle.cancelled:
                handle.cancelled = True
                callback()

        handle._native = self.loop.call_later(max(0.0, when - time.time()), fire)
        return handle

    def cancel(self, handle: TimerHandle) -> None:
        handle.cancelled = True
        if handle._native is not None:
            handle._native.cancel()
