"""When the sessions' clock starts: a date, a time of day and a zone, as `openors simulate --date
--time --zone` and `World(start=, zone=)` take them."""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from openors.ors.session.config import DEFAULT_ZONES


class StartClockError(ValueError):
    """A `--date`/`--time`/`--zone` value that does not name an instant; says which option."""


_FIXED_OFFSET = re.compile(r"^(?:GMT|UTC)?([+-])(\d{1,2})(?::?(\d{2}))?$", re.IGNORECASE)


def _zone(name: str) -> dt.tzinfo:
    """A Genesys three-letter zone (ECT, PST...), an IANA name or a fixed offset (+02:00, GMT-5)."""
    text = name.strip()
    if text.upper() in ("", "UTC", "GMT", "Z"):
        return dt.UTC
    match = _FIXED_OFFSET.match(text)
    if match:
        sign = -1 if match.group(1) == "-" else 1
        return dt.timezone(sign * dt.timedelta(hours=int(match.group(2)), minutes=int(match.group(3) or 0)))
    iana = DEFAULT_ZONES.get(text.upper(), text)
    try:
        return ZoneInfo(iana)
    except (ZoneInfoNotFoundError, ValueError):
        raise StartClockError(f"--zone: {name!r} is neither a Genesys zone name (ECT, PST...), an IANA zone "
                              f"(Europe/Paris) nor an offset (+02:00)") from None


def start_epoch(date: str | None = None, time: str | None = None, zone: str | None = None,
                *, today: dt.date | None = None) -> float | None:
    """Seconds since 1970 at virtual time 0: `date` (YYYY-MM-DD, default today in `zone`) at `time`
    (HH:MM[:SS], default 00:00) on the wall clock of `zone` (default UTC). None when none is given,
    so the sessions' clock starts at the real time, as before."""
    if date is None and time is None and zone is None:
        return None
    tz = _zone(zone or "UTC")
    try:
        day = dt.date.fromisoformat(date) if date is not None else (today or dt.datetime.now(tz).date())
    except ValueError:
        raise StartClockError(f"--date: {date!r} is not a date (YYYY-MM-DD)") from None
    try:
        clock = dt.time.fromisoformat(time) if time is not None else dt.time(0, 0)
    except ValueError:
        raise StartClockError(f"--time: {time!r} is not a time of day (HH:MM or HH:MM:SS)") from None
    if clock.tzinfo is not None:
        raise StartClockError(f"--time: {time!r} carries an offset; give the zone with --zone")
    return dt.datetime.combine(day, clock, tzinfo=tz).timestamp()
