"""A platform with no contact center behind it: the server's platform when none is configured.

Sessions still run every module that needs no switch (session, statistic of nothing, dialog
refused...). Every request to the missing contact center is refused at once with `invalidserver`,
so strategies get their error event instead of waiting for a timeout.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .errors import PlatformError
from .interface import Platform

if TYPE_CHECKING:
    from openors.platform.interface import Destination


def _refused(name: str):
    def request(self: Any, *args: Any, **kwargs: Any) -> str:
        raise PlatformError("invalidserver", f"no contact center is connected to this server ({name} refused)")

    request.__name__ = name
    return request


class _Queries:
    def __init__(self, clock):
        super().__init__()
        self.clock = clock

    def now(self) -> float:
        return self.clock.now()

    def get_interaction(self, interaction_id: str) -> dict[str, Any] | None:
        return None

    def ready_agents(self, skills: dict[str, int] | None = None, media: str = "voice") -> list[str]:
        return []

    def resolve(self, destination: Destination) -> dict[str, Any] | None:
        return None


_REQUESTS = {name: _refused(name) for name in Platform.__abstractmethods__
             if name not in ("now", "get_interaction", "ready_agents", "resolve")}
DisconnectedPlatform = type("DisconnectedPlatform", (_Queries, Platform), _REQUESTS)
DisconnectedPlatform.__doc__ = __doc__
