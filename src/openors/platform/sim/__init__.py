"""The contact-center simulator: an implementation of `openors.platform.Platform` on a clock."""

from openors.platform.sim.platform import SimulatedPlatform
from openors.platform.sim.scenario_driver import schedule_scenario
from openors.platform.sim.simulation import Simulation, build_simulation

__all__ = ["SimulatedPlatform", "Simulation", "build_simulation", "schedule_scenario"]
