"""Agents, places and agent states."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class AgentState(StrEnum):
    LOGGED_OUT = "logged_out"
    NOT_READY = "not_ready"
    READY = "ready"
    AFTER_CALL_WORK = "after_call_work"


@dataclass
class Place:
    place_id: str
    dns: list[str] = field(default_factory=list)


@dataclass
class Agent:
    agent_id: str
    name: str
    place: str
    dn: str | None = None
    skills: dict[str, int] = field(default_factory=dict)
    state: AgentState = AgentState.LOGGED_OUT
    answer_delay: float = 2.0  # seconds from ringing/offer to answer
    talk_time: float | None = 60.0  # seconds connected before the agent ends it; None = never
    acw_time: float = 0.0  # after-call work before becoming ready again
    media: list[str] = field(default_factory=lambda: ["voice"])  # short media names handled
    auto_answer: bool = True
    ready_since: float = 0.0  # for longest-idle selection
    active: list[str] = field(default_factory=list)  # interactions the agent is working on

    @property
    def logged_in(self) -> bool:
        return self.state != AgentState.LOGGED_OUT

    @property
    def available(self) -> bool:
        """Ready and not already busy: what an ACD or a router looks for."""
        return self.state == AgentState.READY and not self.active

    def has_skills(self, wanted: dict[str, int] | None) -> bool:
        return all(self.skills.get(name, -1) >= level for name, level in (wanted or {}).items())
