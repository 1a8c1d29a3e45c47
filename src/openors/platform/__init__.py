"""The contact-center world interactions live in: model, platform interface, clocks, config files.

Knows nothing of SCXML. `openors.platform.sim` implements the interface as a simulator.
"""

from openors.platform.clock import AsyncioClock, Clock, VirtualClock
from openors.platform.errors import ErrorCode, PlatformError
from openors.platform.events import EventKind, PlatformEvent
from openors.platform.interface import Platform
from openors.platform.scenario import Scenario, load_scenario, parse_scenario
from openors.platform.topology import Topology, load_topology, parse_topology
from openors.platform.validation import ConfigError

__all__ = [
    "AsyncioClock", "Clock", "VirtualClock", "ErrorCode", "PlatformError", "EventKind", "PlatformEvent",
    "Platform", "Scenario", "load_scenario", "parse_scenario", "Topology", "load_topology",
    "parse_topology", "ConfigError",
]
