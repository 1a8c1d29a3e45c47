"""What one session may spend, and what happens when it spends more.

A server of calls never trusts a strategy. Every evaluation and every macrostep has a CPU deadline,
every macrostep a bound on its microsteps, every QuickJS context a memory cap, and every session a
bound on the events it takes within one second of its clock (under a virtual clock a zero-time loop
takes them all at one instant, so this is what ends it there).

A breach never leaves a half-entered configuration: an evaluation past its deadline fails like any
script error (the element's error event, the block stops); a macrostep past its deadline or its
microstep bound stops at the next microstep boundary, drops what its internal queue still held and
gets `error.budget.<name>` as its next external event. A second breach within `strike_window`
seconds of the session's clock ends the session (no user code runs any more), with the reason
logged and reported to the host's listeners.
"""

from __future__ import annotations

import gc
import time
from dataclasses import dataclass, replace

MIB = 1024 * 1024


@dataclass(frozen=True)
class Budgets:
    microsteps: int = 1000  # microsteps in one macrostep
    eval_cpu: float = 0.020  # CPU seconds of one JS evaluation
    macrostep_cpu: float = 0.040  # CPU seconds of one macrostep (start() included)
    memory: int = 64 * MIB  # bytes of one session's QuickJS context
    events_per_second: int = 10_000  # external events one session takes within 1 s of its clock
    strikes: int = 2  # breaches within strike_window that end the session
    strike_window: float = 10.0  # seconds of the session's clock
    # Scheduling, not breaches. A session is trusted once `trusted_after` macrosteps in a row took
    # at most `heavy_macrostep` (wall seconds) each; new sessions and those whose last macrostep was
    # longer wait in a probation lane, served when no trusted session waits, or every `heavy_every`
    # seconds. A server's dispatcher also gives long macrosteps at most `heavy_share` of the loop:
    # after one that took T seconds, the probation lane rests T * (1 / share - 1) while trusted
    # sessions and sockets go on.
    heavy_macrostep: float = 0.005
    trusted_after: int = 3
    heavy_every: float = 0.1
    heavy_share: float = 0.15

    def with_overrides(self, **changes) -> Budgets:
        return replace(self, **{k: v for k, v in changes.items() if v is not None})


@dataclass(frozen=True)
class Breach:
    budget: str  # microsteps | cpu | eval_cpu | memory | events | internal
    limit: float
    description: str

    @property
    def stops_macrostep(self) -> bool:
        """eval_cpu and memory breaches fail one evaluation, which raises its own error event."""
        return self.budget in ("microsteps", "cpu", "events", "internal")

    @property
    def event_name(self) -> str:
        return f"error.budget.{self.budget}"

    def event_data(self) -> dict:
        return {"budget": self.budget, "limit": self.limit, "description": self.description}


_perf_counter = time.perf_counter
_INF = float("inf")


class _GcClock:
    """CPU time the process spent in Python's garbage collector: a full collection may take tens of
    milliseconds with many sessions alive, and whichever macrostep it lands in did not cause it."""

    spent = 0.0
    _started = 0.0

    @classmethod
    def callback(cls, phase: str, info: dict) -> None:
        if phase == "start":
            cls._started = time.thread_time()
        else:
            cls.spent += time.thread_time() - cls._started


gc.callbacks.append(_GcClock.callback)


class MacrostepMeter:
    """The running macrostep's CPU deadline, checked cheaply. The wall clock (a vDSO call) is read
    often, the thread's CPU clock (a system call) rarely: a session on probation has it read when
    its macrostep starts, so it is never blamed for time it did not run (preempted by another
    process, waiting for the GIL) nor for the garbage collector's; a trusted session (its recent
    macrosteps were all short) has it read only once half its budget has gone by on the wall
    clock, and that first half counts as CPU: no system call at all for the macrosteps that matter
    most, at the price of being blamed for at most half a budget of time it did not run."""

    __slots__ = ("budget", "slack", "watch", "trusted", "_wall_start", "_cpu_start", "_wall_deadline",
                 "exceeded", "took", "_watch_trusted", "_watch_probation")

    def __init__(self, budget: float, slack: float = 0.0):
        self.budget = budget
        self.slack = slack  # callers care once less than this is left (an evaluation's own limit)
        self.trusted = False  # set by the host before each macrostep
        # Before this perf_counter() value nothing needs a closer look: the hot paths compare
        # against it and call left() only past it.
        self.watch = float("inf")
        self._wall_start = float("inf")  # no macrostep runs: left() is infinite
        self._cpu_start: float | None = None
        self._wall_deadline = float("inf")
        self.exceeded = False
        self.took = 0.0  # wall seconds of the last macrostep (between start and stop)
        # How long after the start `watch` falls: at the wall deadline, or earlier by the slack.
        self._watch_trusted = min(budget / 2, budget - slack)
        self._watch_probation = min(budget, budget - slack)

    def start(self) -> None:
        self.exceeded = False
        now = self._wall_start = _perf_counter()
        if self.trusted:
            self._cpu_start = None
            self._wall_deadline = now + self.budget / 2
            self.watch = now + self._watch_trusted
        else:
            self._cpu_start = time.thread_time() - _GcClock.spent
            self._wall_deadline = now + self.budget
            self.watch = now + self._watch_probation

    def stop(self) -> None:
        self.took = _perf_counter() - self._wall_start
        self._wall_start = self._wall_deadline = self.watch = _INF

    def left(self) -> float:
        """Seconds the macrostep may still run (inf when no macrostep runs); 0 once it is over."""
        if self.exceeded:
            return 0.0
        now = time.perf_counter()
        if now < self._wall_deadline:
            if self._cpu_start is None:
                return self.budget - (now - self._wall_start)  # as if all the wall time were CPU
            return self._wall_deadline - now  # CPU left is at least the wall time left
        cpu = time.thread_time() - _GcClock.spent
        if self._cpu_start is None:  # a trusted session's first look: the wall time so far counts
            self._cpu_start = cpu - (now - self._wall_start)
        left = self.budget - (cpu - self._cpu_start)
        if left <= 0:
            self.exceeded = True
            self.watch = 0.0
            return 0.0
        self._wall_deadline = now + left
        self.watch = now  # from now on every look is a close one (long macrosteps only)
        return left

    def over(self) -> bool:
        return self.left() <= 0

    def excuse(self, seconds: float) -> None:
        """Leave `seconds` of work the session did not choose (a payload pushed in) out of its budget."""
        self._wall_start += seconds
        self._wall_deadline += seconds
        self.watch += seconds
        if self._cpu_start is not None:
            self._cpu_start += seconds


class BudgetLedger:
    """One session's record of breaches and of the events it took in the current one-second window."""

    __slots__ = ("budgets", "strikes", "window_start", "window_events")

    def __init__(self, budgets: Budgets):
        self.budgets = budgets
        self.strikes: list[float] = []  # a handful at most: a deque would cost 0.6 KiB a session
        self.window_start: float | None = None
        self.window_events = 0

    def take_event(self, now: float) -> Breach | None:
        """Count one external event; a breach when the window already held its share."""
        if self.window_start is None or now - self.window_start >= 1.0:
            self.window_start, self.window_events = now, 0
        self.window_events += 1
        limit = self.budgets.events_per_second
        if self.window_events > limit:
            self.window_start, self.window_events = now, 0  # a fresh allowance after the error event
            return Breach("events", limit, f"the session took more than {limit} events within one second "
                                           "of its clock (a loop of events that never waits)")
        return None

    def strike(self, now: float) -> bool:
        """Record a breach at `now`; True when the session has now had too many and must end."""
        window = self.budgets.strike_window
        while self.strikes and now - self.strikes[0] > window:
            del self.strikes[0]
        self.strikes.append(now)
        return len(self.strikes) >= self.budgets.strikes
