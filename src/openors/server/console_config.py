"""The `flow_logs:` and `debugger:` sections of the server configuration (docs/console.md).

    flow_logs:                      # every key optional; these are the defaults
      enabled: true
      retention: 7d                 # a finished session's log is kept this long (s, m, h, d; or seconds)
      max_sessions: 10000           # finished logs kept (the oldest go first)
      max_entries_per_session: 2000 # past it, a session's oldest entries go
      max_bytes_per_session: 524288
      max_live_bytes: 268435456     # all logs in memory together; past it, a growing log drops its oldest entries
      max_datamodel_bytes: 16384    # a bigger datamodel is recorded as its size only
      datamodel_every_macrostep: true
      max_datamodel_ms: 20          # CPU: a session whose datamodel takes longer to read records no more of it
    debugger:
      enabled: true                 # breakpoints, pause, step, set variables (operator endpoints)
      max_pause: 5m                 # a paused session goes on by itself after this (and it is logged)
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from openors.runtime.flowlog import DAY, FlowLogSettings

_UNITS = {"s": 1.0, "m": 60.0, "h": 3600.0, "d": DAY}


@dataclass
class DebuggerConfig:
    KEYS = frozenset({"enabled", "max_pause"})

    enabled: bool = True
    max_pause: float = 300.0  # seconds


def duration(value: object, where: str, low: float, high: float, error) -> float:
    """`7d`, `12h`, `30m`, `45s` or a number of seconds, between `low` and `high` seconds."""
    seconds: float | None = None
    if isinstance(value, int | float) and not isinstance(value, bool):
        seconds = float(value)
    elif isinstance(value, str):
        match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*", value)
        if match:
            seconds = float(match[1]) * _UNITS[match[2] or "s"]
    if seconds is None or not low <= seconds <= high:
        raise error(f"{where} must be a duration such as 45s, 30m, 12h or 7d, from {low:g} s to {high:g} s, "
                    f"not {value!r}")
    return seconds


def _count(section: dict, key: str, low: int, high: int, error) -> int:
    value = section[key]
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise error(f"flow_logs.{key} must be a whole number from {low} to {high}, not {value!r}")
    return value


def _flag(section: dict, key: str, where: str, error) -> bool:
    value = section[key]
    if not isinstance(value, bool):
        raise error(f"{where}.{key} must be true or false, not {value!r}")
    return value


FLOW_LOG_KEYS = frozenset({"enabled", "retention", "max_sessions", "max_entries_per_session",
                           "max_bytes_per_session", "max_live_bytes", "max_datamodel_bytes", "datamodel_every_macrostep",
                           "max_datamodel_ms"})


def load_flow_logs(section: dict, error) -> FlowLogSettings:
    """`section` holds only known keys (checked by the caller); `error` is the exception to raise."""
    settings = FlowLogSettings()
    if "enabled" in section:
        settings.enabled = _flag(section, "enabled", "flow_logs", error)
    if "datamodel_every_macrostep" in section:
        settings.datamodel_every_macrostep = _flag(section, "datamodel_every_macrostep", "flow_logs", error)
    if "retention" in section:
        settings.retention = duration(section["retention"], "flow_logs.retention", 60, 3650 * DAY, error)
    if "max_sessions" in section:
        settings.max_sessions = _count(section, "max_sessions", 1, 10_000_000, error)
    if "max_entries_per_session" in section:
        settings.max_entries_per_session = _count(section, "max_entries_per_session", 10, 1_000_000, error)
    if "max_bytes_per_session" in section:
        settings.max_bytes_per_session = _count(section, "max_bytes_per_session", 1024, 256 << 20, error)
    if "max_live_bytes" in section:
        settings.max_live_bytes = _count(section, "max_live_bytes", 1 << 20, 64 << 30, error)
    if "max_datamodel_bytes" in section:
        settings.max_datamodel_bytes = _count(section, "max_datamodel_bytes", 0, 16 << 20, error)
    if "max_datamodel_ms" in section:
        value = section["max_datamodel_ms"]
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0.1 <= value <= 10_000:
            raise error(f"flow_logs.max_datamodel_ms must be a number from 0.1 to 10000, not {value!r}")
        settings.max_datamodel_ms = float(value)
    return settings


def load_debugger(section: dict, error) -> DebuggerConfig:
    config = DebuggerConfig()
    if "enabled" in section:
        config.enabled = _flag(section, "enabled", "debugger", error)
    if "max_pause" in section:
        config.max_pause = duration(section["max_pause"], "debugger.max_pause", 1, DAY, error)
    return config
