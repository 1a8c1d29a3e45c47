"""Telephony devices (DNs) of the simulated switch."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class DnType(StrEnum):
    EXTENSION = "extension"
    ACD_POSITION = "acd_position"
    ROUTING_POINT = "routing_point"
    ACD_QUEUE = "acd_queue"


@dataclass
class Device:
    dn: str
    type: DnType
    switch: str = "SIM_Switch"
    application: str | None = None  # routing points: the SCXML URL/name that runs there
    default_destination: str | None = None  # where the switch sends calls nobody routes
    default_after: float | None = None  # seconds before that default routing happens
    skill: str | None = None  # ACD queues: skill an agent needs to take calls from it
    out_of_service: bool = False  # requests touching it fail with `remote`
    place: str | None = None  # extensions / ACD positions: the place they belong to
    calls: list[str] = field(default_factory=list)  # interaction ids currently on the DN

    @property
    def is_waiting_device(self) -> bool:
        """Calls wait here for a routing decision instead of being answered."""
        return self.type in (DnType.ROUTING_POINT, DnType.ACD_QUEUE)
