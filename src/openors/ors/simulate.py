"""A whole contact center in virtual time: simulator + sessions + trace (`openors simulate`).

Applications named in the topology (`application: main-inbound`) are found, in order: in the
`applications` mapping given by the caller (`--app NAME=URL`), as a path or URL relative to the
topology file, as `<name>.scxml` beside the topology file, then among the bundled sample strategies.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections import Counter
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, TextIO
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from openors.clock import VirtualClock
from openors.platform.scenario import load_scenario
from openors.platform.sim import SimulatedPlatform
from openors.platform.sim.scenario_driver import schedule_scenario
from openors.platform.topology import default_topology_path, load_topology
from openors.scxml import SessionHost

from .session.config import DEFAULT_ZONES
from .world import OrsWorld


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


def _samples_dir() -> Path:
    return Path(str(resources.files("openors").joinpath("samples/strategies")))


def find_application(name: str, topology_path: Path, applications: dict[str, str]) -> str:
    if name in applications:
        return applications[name]
    if "://" in name or name.startswith("file:"):
        return name
    base = topology_path.parent
    for candidate in (base / name, base / f"{name}.scxml", _samples_dir() / f"{name}.scxml"):
        if candidate.is_file():
            return candidate.resolve().as_uri()
    return (base / name).resolve().as_uri()  # fails at session start with a clear load error


@dataclass
class SimulationRun:
    world: OrsWorld
    platform: SimulatedPlatform
    host: SessionHost
    clock: VirtualClock
    records: list[dict[str, Any]] = field(default_factory=list)

    def run(self, until: float) -> None:
        """Process everything due up to `until` (virtual seconds)."""
        host, clock = self.host, self.clock
        while True:
            host.run_ready()
            due = clock.next_time()
            if due is None or due > until:
                break
            clock.advance()
        host.run_ready()

    def summary(self) -> dict[str, Any]:
        kinds = Counter(r["kind"] for r in self.records)
        platform = Counter(r["event"]["kind"] for r in self.records if r["kind"] == "platform")
        finals = Counter(r.get("final") for r in self.records if r["kind"] == "session.end")
        return {"virtual_time": self.clock.now(), "sessions_started": kinds["session.start"],
                "sessions_ended": kinds["session.end"], "final_states": dict(finals),
                "scxml_events": kinds["event"], "actions": kinds["action"],
                "interactions": platform["interaction.created"], "ended": platform["interaction.ended"]}


def build(topology: str | Path | None = None, scenario: str | Path | None = None, *,
          applications: dict[str, str] | None = None, trace: TextIO | None = None,
          seed: int | None = None, config_lists=None, epoch: float | None = None) -> SimulationRun:
    """`config_lists`: what `_genesys.session` reads (a file or a mapping, ors/session/config.py);
    `epoch`: seconds since 1970 at virtual time 0 (`start_epoch`), instead of the file's `epoch`
    or the real time."""
    topo_path = Path(topology) if topology else default_topology_path()
    topo = load_topology(topo_path)
    scen = load_scenario(scenario) if scenario else None
    clock = VirtualClock()
    platform = SimulatedPlatform(topo, clock, seed=seed if seed is not None else (scen.seed if scen else 0))
    host = SessionHost(clock)
    records: list[dict[str, Any]] = []

    def sink(record: dict[str, Any]) -> None:
        records.append(record)
        if trace is not None:
            trace.write(json.dumps(record, default=str) + "\n")

    names = {dn.application for dn in _all_with_application(topo)}
    apps = {name: find_application(name, topo_path, applications or {}) for name in names}
    world = OrsWorld(platform, host, applications=apps, base_url=topo_path.resolve().as_uri(), trace=sink,
                     config_lists=config_lists)
    if epoch is not None:
        # Before any document is prepared: the sessions' clock is computed from it at each event.
        world.session_module.config.epoch = epoch
    if scen is not None:
        schedule_scenario(platform, scen)
    return SimulationRun(world, platform, host, clock, records)


def _all_with_application(topo) -> list:
    """Routing points and interaction queues that run a strategy."""
    holders = list(topo.devices.values()) + list(topo.queues.values())
    return [h for h in holders if getattr(h, "application", None)]
