"""Structured request errors. Codes follow the Interaction Interface error values."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


class ErrorCode:
    """Error codes a request can fail with. `invalidstate.<state>` and `reject.<reason>` are families."""

    UNKNOWN = "unknown"
    INVALID_SOURCE = "invalidsource"
    INVALID_DESTINATION = "invaliddestination"
    INVALID_INTERACTION = "invalidinteraction"  # wrong kind of interaction for the request
    INVALID_SERVER = "invalidserver"  # the media server/switch is down or unknown
    NO_INTERACTION = "nointeraction"
    REMOTE = "remote"  # the far end (device, server) refused
    TIMEOUT = "timeout"
    TSERVER = "tserver"  # privateservice refused by the switch; details in `properties`
    REQUEST_INVALID = "Request Invalid"  # message-based / chat requests with bad content
    BAD_TRANSLATION = "badtranslation"

    @staticmethod
    def invalid_state(state: str) -> str:
        return f"invalidstate.{state}"

    @staticmethod
    def reject(reason: str) -> str:
        return f"reject.{reason}"


@dataclass
class PlatformError(Exception):
    """A request the platform refuses. Raised inside request handlers, reported as `request.failed`."""

    code: str
    description: str
    properties: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        super().__init__(f"{self.code}: {self.description}")

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"error": self.code, "description": self.description}
        if self.properties:
            data["properties"] = dict(self.properties)
        return data
