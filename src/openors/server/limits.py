"""The `limits:` section of the server configuration: what the HTTP front lets in.

    limits:
      max_body_bytes: 524288    # request bodies above this are refused (413 BodyTooLarge)
      max_sessions: 20000       # sessions held; null: no limit (503 TooManySessions past it)
"""

from __future__ import annotations

from dataclasses import dataclass

# ORS events and start parameters are a few kilobytes. The worst body for a session is JSON made of
# tiny values (`[[],[],...]`): about 30 bytes of ECMAScript heap per body byte. At 512 KiB a session
# can keep one such event and receive the next within its 64 MiB context; at 1 MiB it cannot
# (measured; see docs/server.md), and the engine then ends the session.
DEFAULT_MAX_BODY_BYTES = 512 << 10
MAX_BODY_BYTES_CEILING = 16 << 20
# ~200-330 KiB per session in memory: 20k sessions all live is 4-7 GiB.
DEFAULT_MAX_SESSIONS = 20_000


@dataclass
class LimitsConfig:
    KEYS = frozenset({"max_body_bytes", "max_sessions"})

    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    max_sessions: int | None = DEFAULT_MAX_SESSIONS


def _whole_number(section: dict, key: str, low: int, high: int, error) -> int:
    value = section[key]
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise error(f"limits.{key} must be a whole number from {low} to {high}, not {value!r}")
    return value


def load_limits(section: dict, error) -> LimitsConfig:
    """`section` holds only known keys (checked by the caller); `error` is the exception to raise."""
    limits = LimitsConfig()
    if "max_body_bytes" in section:
        limits.max_body_bytes = _whole_number(section, "max_body_bytes", 1024, MAX_BODY_BYTES_CEILING, error)
    if "max_sessions" in section:
        limits.max_sessions = (None if section["max_sessions"] is None
                               else _whole_number(section, "max_sessions", 1, 10_000_000, error))
    return limits
