"""A whole contact center in virtual time: simulator + sessions + trace (`openors simulate`).

Applications named in the topology (`application: main-inbound`) are found, in order: in the
`applications` mapping given by the caller (`--app NAME=URL`), as a path or URL relative to the
topology file, as `<name>.scxml` beside the topology file, then among the bundled sample strategies.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, TextIO

from openors.clock import VirtualClock
from openors.platform.scenario import load_scenario
from openors.platform.sim import SimulatedPlatform
from openors.platform.sim.scenario_driver import schedule_scenario
from openors.platform.topology import default_topology_path, load_topology
from openors.scxml import SessionHost

from .world import OrsWorld


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
          seed: int | None = None, config_lists=None) -> SimulationRun:
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
    if scen is not None:
        schedule_scenario(platform, scen)
    return SimulationRun(world, platform, host, clock, records)


def _all_with_application(topo) -> list:
    """Routing points and interaction queues that run a strategy."""
    holders = list(topo.devices.values()) + list(topo.queues.values())
    return [h for h in holders if getattr(h, "application", None)]
