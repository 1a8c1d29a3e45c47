"""Build a simulated contact center with ORS sessions, drive it in virtual time, query its trace.

The one way the project's tests, `openors simulate` and users' own strategy tests build a world.
See docs/testing.md.
"""

from .http_mocks import HttpMocks, MockRoute
from .trace import Trace
from .world import World, WorldError, start_epoch

__all__ = ["HttpMocks", "MockRoute", "Trace", "World", "WorldError", "start_epoch"]
