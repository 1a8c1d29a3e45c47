"""Numbers from requests: finite, within a range that makes sense, or a 400 naming the field."""

from __future__ import annotations

import math
import time

from .bodies import MalformedBody

MAX_REQUEST_TIMEOUT_S = 600.0  # X-OpenORS-Timeout: an HTTP call held longer than this is a mistake
MAX_IDEALTIME_AHEAD_S = 366 * 86400  # idealtime: a start scheduled more than a year ahead
MAX_EVICT_IDLE_S = 10 * 365 * 86400  # /ors/evict?idle=
MAX_PATIENCE_S = 86400.0  # a simulated caller waits at most a day
MAX_EVENTS_LIMIT = 1000  # /ors/platform/events?limit=


def number(value, field: str, *, low: float, high: float, low_open: bool = False, unit: str = "") -> float:
    """`value` (a string or a JSON number) as a float in [low, high] (or (low, high] with `low_open`)."""
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise MalformedBody(f"'{field}' must be a number{unit}, not {type(value).__name__}", field=field)
    try:
        result = float(value)
    except (ValueError, OverflowError):
        raise MalformedBody(f"'{field}' must be a number{unit}, not {str(value)[:40]!r}", field=field) from None
    if not math.isfinite(result):
        raise MalformedBody(f"'{field}' must be a finite number{unit}, not {str(value)[:40]!r}", field=field)
    if result < low or (low_open and result == low) or result > high:
        bound = f"more than {low:g}" if low_open else f"at least {low:g}"
        raise MalformedBody(f"'{field}' must be {bound} and at most {high:g}{unit}, not {result:g}", field=field)
    return result


def whole_number(value, field: str, *, low: int, high: int) -> int:
    result = number(value, field, low=low, high=high)
    if result != int(result):
        raise MalformedBody(f"'{field}' must be a whole number, not {result:g}", field=field)
    return int(result)


def request_timeout(value: str | None, field: str) -> float | None:
    if value is None:
        return None
    return number(value, field, low=0, high=MAX_REQUEST_TIMEOUT_S, low_open=True, unit=" of seconds")


def idealtime(value) -> float | None:
    """ms since the Unix epoch; in the past means now; more than a year ahead is refused."""
    if value is None:
        return None
    high = (time.time() + MAX_IDEALTIME_AHEAD_S) * 1000
    return number(value, "idealtime", low=0, high=high, unit=" of ms since the Unix epoch")
