"""Build a simulated contact center with ORS sessions, drive it in virtual time, query its trace.

The one way the project's tests, `openors simulate` and users' own strategy tests build a world.
See docs/testing.md.
"""

from .http_mocks import HttpMocks, MockRoute
from .start import StartClockError, start_epoch
from .trace import Trace
from .world import World, WorldError, epoch_of

__all__ = ["HttpMocks", "MockRoute", "StartClockError", "Trace", "World", "WorldError", "epoch_of", "start_epoch"]
