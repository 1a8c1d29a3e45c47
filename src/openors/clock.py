"""Time for everything in OpenORS: the real clock for production, a virtual one for tests and
simulation. The SCXML engine and the contact-center simulator share one clock, so a simulated
call and the session routing it live on the same timeline.

With the virtual clock, time only moves when asked: `advance()` jumps to the next timer. Delayed
sends and simulated people therefore complete at once, in due-time order (ties in scheduling order).
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import time
from collections.abc import Callable
from typing import Any


class TimerHandle:
    __slots__ = ("when", "seq", "callback", "args", "cancelled", "_native")

    def __init__(self, when: float, seq: int, callback: Callable[..., Any], args: tuple = ()):
        self.when = when
        self.seq = seq
        self.callback = callback
        self.args = args
        self.cancelled = False
        self._native = None

    def __lt__(self, other: TimerHandle) -> bool:
        return (self.when, self.seq) < (other.when, other.seq)


class Clock:
    """Read the time, schedule a callback, cancel one. Times are seconds as floats."""

    virtual = False

    def now(self) -> float:
        raise NotImplementedError

    def call_at(self, when: float, callback: Callable[..., Any], *args: Any) -> TimerHandle:
        raise NotImplementedError

    def call_later(self, delay: float, callback: Callable[..., Any], *args: Any) -> TimerHandle:
        return self.call_at(self.now() + max(0.0, delay), callback, *args)

    def cancel(self, handle: TimerHandle | None) -> None:
        if handle is not None:
            handle.cancelled = True

    def advance(self, seconds: float | None = None) -> bool:
        """Move time on to the next timer (a virtual clock); a real clock never jumps: False."""
        return False


def call_later(clock: Clock, delay: float, callback: Callable[..., Any], *args: Any) -> TimerHandle:
    return clock.call_later(delay, callback, *args)


class VirtualClock(Clock):
    virtual = True

    def __init__(self, start: float = 0.0):
        self._now = start
        self._heap: list[TimerHandle] = []
        self._seq = itertools.count()

    def now(self) -> float:
        return self._now

    def call_at(self, when: float, callback: Callable[..., Any], *args: Any) -> TimerHandle:
        # A time in the past means "as soon as possible": time never goes backwards.
        handle = TimerHandle(max(when, self._now), next(self._seq), callback, args)
        heapq.heappush(self._heap, handle)
        return handle

    def next_time(self) -> float | None:
        while self._heap and self._heap[0].cancelled:
            heapq.heappop(self._heap)
        return self._heap[0].when if self._heap else None

    def pending(self) -> int:
        return sum(1 for h in self._heap if not h.cancelled)

    def step(self) -> bool:
        """Run the earliest pending callback; False when there is none."""
        if self.next_time() is None:
            return False
        handle = heapq.heappop(self._heap)
        self._now = max(self._now, handle.when)
        handle.cancelled = True
        handle.callback(*handle.args)
        return True

    def advance(self, seconds: float | None = None) -> bool:
        """With no argument: jump to the next timer and run every callback due at that instant
        (False if there is none). With `seconds`: run everything due in that span."""
        if seconds is not None:
            self.run_until(self._now + seconds)
            return True
        when = self.next_time()
        if when is None:
            return False
        self._now = max(self._now, when)
        while (due := self.next_time()) is not None and due <= self._now:
            self.step()
        return True

    def run_until(self, until: float) -> None:
        """Run every callback due at or before `until`, then leave the clock at `until`."""
        while (due := self.next_time()) is not None and due <= until:
            self.step()
        self._now = max(self._now, until)

    def run_until_idle(self, max_steps: int = 1_000_000) -> None:
        """Run until nothing is scheduled; `max_steps` guards against self-rescheduling loops."""
        for _ in range(max_steps):
            if not self.step():
                return
        raise RuntimeError(f"virtual clock still busy after {max_steps} callbacks")


class RealClock(Clock):
    """Wall-clock time (seconds since the epoch, so persisted due times survive a restart),
    scheduled on the running asyncio loop."""

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

    def call_at(self, when: float, callback: Callable[..., Any], *args: Any) -> TimerHandle:
        handle = TimerHandle(when, next(self._seq), callback, args)

        def fire() -> None:
            if not handle.cancelled:
                handle.cancelled = True
                callback(*args)

        handle._native = self.loop.call_later(max(0.0, when - time.time()), fire)
        return handle

    def cancel(self, handle: TimerHandle | None) -> None:
        if handle is None:
            return
        handle.cancelled = True
        if handle._native is not None:
            handle._native.cancel()
