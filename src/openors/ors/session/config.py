"""What `_genesys.session` knows about the configuration: the `config_lists` file.

ORS reads these from Configuration Server; OpenORS from one YAML file (format in
docs/ors-dialog-session.md), every part optional:

    server: {name: ORS_1, cluster: ORS_Cluster, url: "http://ors:7210"}
    tenant: {name: Environment, id: 1}
    epoch: "2024-03-11T09:30:00Z"     # virtual clock time 0 is this instant (default: start of the world)
    time_zones: {PST: America/Los_Angeles, KST: Asia/Seoul}   # names -> IANA zones (added to the defaults)
    lists:                             # List transaction objects: list -> item (section) -> key -> value
      OPM: {OPM: {greeting: welcome.wav, music: jazz}}
    special_days:                      # statistical tables -> statistical days
      Holidays: {NewYear: {date: "01-01"}, Sale: {date: "2024-11-29", start: "09:00", end: "17:00"}}
    options:                           # getConfigOption: by DN (lookup start), then the tenant
      tenant: {"routing/overflow": "VQ_Overflow"}
      dns: {"5000": {"routing/overflow": "VQ_5000"}}
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

# Genesys Time Zone objects use Java's three-letter ids; contact centers mean the local civil time,
# so the US ones follow daylight saving time.
DEFAULT_ZONES = {
    "UTC": "UTC", "GMT": "UTC", "EST": "America/New_York", "CST": "America/Chicago", "MST": "America/Denver",
    "PST": "America/Los_Angeles", "AST": "America/Anchorage", "HST": "Pacific/Honolulu",
    "PNT": "America/Phoenix", "IET": "America/Indiana/Indianapolis", "PRT": "America/Puerto_Rico",
    "CNT": "America/St_Johns", "AGT": "America/Argentina/Buenos_Aires", "BET": "America/Sao_Paulo",
    "ECT": "Europe/Paris", "CET": "Europe/Paris", "EET": "Europe/Athens", "ART": "Africa/Cairo",
    "CAT": "Africa/Harare", "EAT": "Africa/Addis_Ababa", "NET": "Asia/Yerevan", "PLT": "Asia/Karachi",
    "IST": "Asia/Kolkata", "BST": "Asia/Dhaka", "VST": "Asia/Ho_Chi_Minh", "CTT": "Asia/Shanghai",
    "JST": "Asia/Tokyo", "KST": "Asia/Seoul", "ACT": "Australia/Darwin", "AET": "Australia/Sydney",
    "SST": "Pacific/Guadalcanal", "NST": "Pacific/Auckland", "MIT": "Pacific/Apia",
}
DEFAULT_IANA = ("Europe/London", "Europe/Berlin", "Europe/Madrid", "Europe/Moscow", "Asia/Singapore",
                "Asia/Dubai", "America/Mexico_City", "America/Toronto", "America/Bogota")
_KEYS = ("server", "tenant", "epoch", "time_zones", "lists", "special_days", "options")


class ConfigListsError(ValueError):
    pass


@dataclass
class SessionConfig:
    server: dict[str, Any] = field(default_factory=lambda: {"name": "OpenORS", "cluster": "OpenORS"})
    tenant: dict[str, Any] = field(default_factory=lambda: {"name": "Environment", "id": 1})
    epoch: float | None = None  # seconds since 1970 at virtual time 0
    zones: dict[str, str] = field(default_factory=lambda: {**DEFAULT_ZONES, **{z: z for z in DEFAULT_IANA}})
    lists: dict[str, dict] = field(default_factory=dict)
    special_days: dict[str, dict] = field(default_factory=dict)
    options: dict[str, dict] = field(default_factory=dict)

    def js_data(self) -> dict[str, Any]:
        """What the session's JS gets (session.js `__ors_setSessionConfig`)."""
        return {"server": self.server, "tenant": self.tenant, "lists": self.lists,
                "specialDays": self.special_days, "options": self.options}

    def offsets(self, when: float) -> dict[str, int]:
        """Every known zone name -> its UTC offset in minutes at `when` (seconds since 1970)."""
        bucket = int(when // 900)  # offsets change on quarter hours at the finest
        return dict(_offsets(tuple(sorted(self.zones.items())), bucket))


@lru_cache(maxsize=256)
def _offsets(zones: tuple[tuple[str, str], ...], bucket: int) -> tuple[tuple[str, int], ...]:
    at = dt.datetime.fromtimestamp(bucket * 900, dt.UTC)
    out = []
    for name, iana in zones:
        try:
            offset = at.astimezone(ZoneInfo(iana)).utcoffset()
        except (ZoneInfoNotFoundError, ValueError):
            continue
        if offset is not None:  # an aware datetime always has one
            out.append((name, int(offset.total_seconds() // 60)))
    return tuple(out)


def load_session_config(source: str | Path | dict | SessionConfig | None) -> SessionConfig:
    """From a YAML file path, an already-read mapping, a SessionConfig, or nothing (the defaults)."""
    if source is None:
        return SessionConfig()
    if isinstance(source, SessionConfig):
        return source
    where = "config_lists"
    if isinstance(source, dict):
        data = source
    else:
        where = str(source)
        try:
            data = yaml.safe_load(Path(source).read_text(encoding="utf-8")) or {}
        except OSError as exc:
            raise ConfigListsError(f"{where}: cannot read: {exc.strerror}") from None
        except yaml.YAMLError as exc:
            raise ConfigListsError(f"{where}: not YAML: {exc}") from None
    if not isinstance(data, dict):
        raise ConfigListsError(f"{where}: expected a mapping at the top")
    unknown = sorted(set(data) - set(_KEYS))
    if unknown:
        raise ConfigListsError(f"{where}: unknown field(s) {', '.join(unknown)} (known: {', '.join(_KEYS)})")
    config = SessionConfig()
    config.server.update(_mapping(data, "server", where))
    config.tenant.update(_mapping(data, "tenant", where))
    config.epoch = _epoch(data.get("epoch"), where)
    zones = data.get("time_zones") or {}
    if isinstance(zones, list):
        zones = {z: z for z in zones}
    if not isinstance(zones, dict):
        raise ConfigListsError(f"{where}: time_zones: expected a mapping name -> IANA zone, or a list")
    config.zones.update({str(k): str(v) for k, v in zones.items()})
    config.lists = _nested(data, "lists", where, depth=2)
    config.special_days = _nested(data, "special_days", where, depth=2)
    options = _mapping(data, "options", where)
    config.options = {"tenant": dict(options.get("tenant") or {}),
                      "dns": {str(k): dict(v or {}) for k, v in (options.get("dns") or {}).items()}}
    return config


def _mapping(data: dict, key: str, where: str) -> dict:
    value = data.get(key) or {}
    if not isinstance(value, dict):
        raise ConfigListsError(f"{where}: {key}: expected a mapping")
    return value


def _nested(data: dict, key: str, where: str, depth: int) -> dict:
    """A mapping of mappings (`depth` levels), keys as strings."""
    top = _mapping(data, key, where)
    out: dict[str, Any] = {}
    for name, inner in top.items():
        if not isinstance(inner, dict):
            raise ConfigListsError(f"{where}: {key}.{name}: expected a mapping")
        if depth > 1:
            for item, values in inner.items():
                if not isinstance(values, dict):
                    raise ConfigListsError(f"{where}: {key}.{name}.{item}: expected a mapping")
        out[str(name)] = {str(k): ({str(a): b for a, b in v.items()} if isinstance(v, dict) else v)
                          for k, v in inner.items()}
    return out


def _epoch(value: Any, where: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):  # YAML reads an unquoted timestamp itself
        moment = value if value.tzinfo else value.replace(tzinfo=dt.UTC)
        return moment.timestamp()
    if isinstance(value, int | float):
        return float(value)
    try:
        moment = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise ConfigListsError(f"{where}: epoch: {value!r} is not an ISO date-time") from None
    return (moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)).timestamp()
