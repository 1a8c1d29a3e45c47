"""Interaction queues and workbins, where multimedia interactions wait."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class InteractionQueue:
    name: str
    application: str | None = None  # the strategy that pulls from this queue, if any
    interactions: list[str] = field(default_factory=list)  # FIFO of waiting interaction ids


@dataclass
class Workbin:
    """A personal or shared parking place; no strategy pulls from it."""

    name: str
    owner_type: str = "agent"  # agent | place | agent_group | place_group (wb_type A/AP/AG/PG)
    interactions: dict[str, list[str]] = field(default_factory=dict)  # owner -> interaction ids
