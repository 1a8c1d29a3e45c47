"""Sessions waiting for their `idealtime` (`<session:start idealtime>`, `<session:updatestart>`).

One `Schedules` per world: session id -> (document URL, params, timer). The id is given out when
the start is asked for; the session starts with that id when its time comes.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from openors.scxml.session import new_session_id as _engine_session_id

from ..actions import ActionError

if TYPE_CHECKING:
    from ..world import OrsWorld

MAX_DELAY_S = 366 * 24 * 3600.0  # a start more than a year ahead is a mistake, not a schedule
MAX_WAITING = 10000  # scheduled starts one world keeps


@dataclass
class Waiting:
    url: str
    params: dict
    timer: Any


class Schedules:
    def __init__(self, world: OrsWorld):
        self.world = world
        self.waiting: dict[str, Waiting] = {}

    def add(self, session_id: str, url: str, params: dict, delay: float) -> None:
        if len(self.waiting) >= MAX_WAITING:
            raise ActionError("unknown", f"<session:start>: {MAX_WAITING} sessions already wait for their idealtime")
        timer = self.world.host.clock.call_later(delay, self._start, session_id)
        self.waiting[session_id] = Waiting(url, params, timer)
        self.world.trace("session.scheduled", session=session_id, url=url, delay=delay)

    def move(self, session_id: str, delay: float) -> bool:
        entry = self.waiting.get(session_id)
        if entry is None:
            return False
        clock = self.world.host.clock
        clock.cancel(entry.timer)
        entry.timer = clock.call_later(max(0.0, delay), self._start, session_id)
        return True

    def _start(self, session_id: str) -> None:
        entry = self.waiting.pop(session_id, None)
        if entry is not None:
            self.world.start_session(entry.url, params=entry.params, session_id=session_id)


def new_session_id() -> str:
    return _engine_session_id()


def scheduled_delay(world: OrsWorld, idealtime: Any) -> float:
    """Seconds from now until `idealtime` on the sessions' clock (0 when absent or past)."""
    if idealtime in (None, ""):
        return 0.0
    when = _epoch_seconds(idealtime)
    delay = when - world.session_module.now()
    if delay > MAX_DELAY_S:
        raise ActionError("unknown", f"idealtime {idealtime!r} is more than a year ahead")
    return max(0.0, delay)


def _epoch_seconds(value: Any) -> float:
    if isinstance(value, bool):
        raise ActionError("unknown", f"idealtime {value!r} is not a time")
    if isinstance(value, int | float):
        if not math.isfinite(value):
            raise ActionError("unknown", f"idealtime {value!r} is not a time")
        return float(value) / 1000.0  # JS time: milliseconds since 1970
    text = str(value).strip()
    try:
        parsed = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        try:
            return float(text) / 1000.0
        except ValueError:
            raise ActionError("unknown", f"idealtime {value!r} is neither milliseconds since 1970 nor an "
                              "ISO 8601 time") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    return parsed.timestamp()
