"""Clocks the platform runs on: a deterministic virtual clock and an asyncio adapter.

The simulator only needs three things from time: read it, schedule a callback, cancel one.
Keeping that surface tiny lets tests run hours of contact-center traffic in milliseconds.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable


@runtime_checkable
class Clock(Protocol):
    """What the platform needs from time. Times are seconds as floats."""

    def now(self) -> float: ...

    def call_at(self, when: float, callback: Callable[..., Any], *args: Any) -> Any: ...

    def cancel(self, handle: Any) -> None: ...


def call_later(clock: Clock, delay: float, callback: Callable[..., Any], *args: Any) -> Any:
    """Schedule relative to now on any clock."""
    return clock.call_at(clock.now() + max(0.0, delay), callback, *args)


@dataclass(order=True)
class TimerHandle:
    """A scheduled callback of the virtual clock; ordered by (time, seq) so equal times run FIFO."""

    when: float
    seq: int
    callback: Callable[..., Any] = field(compare=False)
    args: tuple = field(compare=False, default=())
    cancelled: bool = field(compare=False, default=False)


class VirtualClock:
    """Time that only moves when asked to. Callbacks at equal times run in scheduling order."""

    def __init__(self, start: float = 0.0) -> None:
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

    def call_later(self, delay: float, callback: Callable[..., Any], *args: Any) -> TimerHandle:
        return self.call_at(self._now + max(0.0, delay), callback, *args)

    def cancel(self, handle: TimerHandle | None) -> None:
        if handle is not None:
            handle.cancelled = True

    def pending(self) -> int:
        return sum(1 for h in self._heap if not h.cancelled)

    def next_time(self) -> float | None:
        self._drop_cancelled()
        return self._heap[0].when if self._heap else None

    def step(self) -> bool:
        """Run the earliest pending callback; False when there is none."""
        self._drop_cancelled()
        if not self._heap:
            return False
        handle = heapq.heappop(self._heap)
        self._now = handle.when
        handle.callback(*handle.args)
        return True

    def run_until(self, until: float) -> None:
        """Run every callback due at or before `until`, then leave the clock at `until`."""
        while True:
            nxt = self.next_time()
            if nxt is None or nxt > until:
                break
            self.step()
        self._now = max(self._now, until)

    def advance(self, seconds: float) -> None:
        self.run_until(self._now + seconds)

    def run_until_idle(self, max_steps: int = 1_000_000) -> None:
        """Run until nothing is scheduled; max_steps guards against self-rescheduling loops."""
        for _ in range(max_steps):
            if not self.step():
                return
        raise RuntimeError(f"virtual clock still busy after {max_steps} callbacks")

    def _drop_cancelled(self) -> None:
        while self._heap and self._heap[0].cancelled:
            heapq.heappop(self._heap)


class AsyncioClock:
    """Real time on an asyncio loop; now() counts seconds since the clock was created."""

    def __init__(self, loop: asyncio.AbstractEventLoop | None = None) -> None:
        self._loop = loop or asyncio.get_event_loop()
        self._origin = self._loop.time()

    def now(self) -> float:
        return self._loop.time() - self._origin

    def call_at(self, when: float, callback: Callable[..., Any], *args: Any) -> asyncio.TimerHandle:
        return self._loop.call_at(self._origin + when, callback, *args)

    def call_later(self, delay: float, callback: Callable[..., Any], *args: Any) -> asyncio.TimerHandle:
        return self._loop.call_later(max(0.0, delay), callback, *args)

    def cancel(self, handle: asyncio.TimerHandle | None) -> None:
        if handle is not None:
            handle.cancel()
