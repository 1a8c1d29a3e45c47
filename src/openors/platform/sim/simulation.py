"""One-call setup of a simulated site: topology + scenario + virtual clock + recorded events."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from openors.platform.clock import VirtualClock
from openors.platform.events import PlatformEvent
from openors.platform.scenario import Scenario, load_scenario
from openors.platform.sim.platform import SimulatedPlatform
from openors.platform.sim.scenario_driver import schedule_scenario
from openors.platform.topology import Topology, load_topology


@dataclass
class Simulation:
    platform: SimulatedPlatform
    clock: VirtualClock
    scenario: Scenario | None = None
    events: list[PlatformEvent] = field(default_factory=list)

    def run(self, until: float | None = None) -> list[PlatformEvent]:
        """Run virtual time to `until` (the scenario's `until`, else until nothing is scheduled)."""
        until = until if until is not None else (self.scenario.until if self.scenario else None)
        if until is None:
            self.clock.run_until_idle()
        else:
            self.clock.run_until(until)
        return self.events


def build_simulation(topology: Topology | str | Path | None = None,
                     scenario: Scenario | str | Path | None = None, *, seed: int | None = None,
                     record: bool = True) -> Simulation:
    """Load files when paths are given; the scenario's seed is used unless `seed` overrides it."""
    topo = topology if isinstance(topology, Topology) else load_topology(topology)
    scen = scenario if isinstance(scenario, Scenario) or scenario is None else load_scenario(scenario)
    clock = VirtualClock()
    platform = SimulatedPlatform(topo, clock, seed=seed if seed is not None else (scen.seed if scen else 0))
    sim = Simulation(platform, clock, scen)
    if record:
        platform.subscribe(sim.events.append)
    if scen is not None:
        schedule_scenario(platform, scen)
    return sim
