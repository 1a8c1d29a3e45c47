"""Agents, a part of the simulator that owns what it keeps per agent: how they behave (answer after
a delay, talk, after-call work) and their state requests (login, ready, not ready, ACW, logout)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from openors.platform.errors import ErrorCode, PlatformError
from openors.platform.events import EventKind
from openors.platform.model import Agent, AgentState, DeviceKind, Interaction, Party, PartyState
from openors.platform.sim.core import Request

if TYPE_CHECKING:
    from openors.platform.sim.platform import SimulatedPlatform


class AgentDesk:
    def __init__(self, sim: SimulatedPlatform):
        self.sim = sim
        # agent id -> (state, available) last reported: only changes make an event
        self.seen: dict[str, tuple[str, bool]] = {
            a.agent_id: (a.state.value, a.available) for a in sim.agents.values()}

    # -- reacting to interactions ------------------------------------------------------------
    def party_rings(self, ixn: Interaction, party: Party) -> None:
        agent = self.sim.agents.get(party.agent_id or "")
        if agent is not None and agent.logged_in and agent.auto_answer:
            self.sim._later(agent.answer_delay, self._picks_up, party.party_id, interaction_id=ixn.interaction_id)

    def _picks_up(self, party_id: str) -> None:
        ixn, party = self.sim.delivery._find_party(party_id)
        if ixn is not None and party is not None and party.state == PartyState.RINGING:
            self.sim.delivery._answered(ixn, party)

    def party_connected(self, ixn: Interaction, party: Party) -> None:
        sim = self.sim
        agent = sim.agents.get(party.agent_id or "")
        if agent is not None and agent.talk_time is not None:
            sim._later(agent.talk_time, self._finishes, party.party_id, interaction_id=ixn.interaction_id)
        hangup_after = ixn.properties.get("caller_hangup_after")
        if hangup_after is not None:
            ixn.properties["caller_hangup_after"] = None  # only the first answer starts the caller's clock
            caller = next((p for p in ixn.parties.values() if p.kind == DeviceKind.EXTERNAL), None)
            if caller is not None:
                sim._later(hangup_after, sim.delivery._party_hangs_up, caller.party_id, interaction_id=ixn.interaction_id)

    def _finishes(self, party_id: str) -> None:
        """Talk time is over: the agent hangs up (voice) or completes the work item (multimedia)."""
        ixn, party = self.sim.delivery._find_party(party_id)
        if ixn is None or party is None or party.state != PartyState.ESTABLISHED:
            return
        if ixn.category.value == "voice":
            self.sim.delivery._party_hangs_up(party_id)
        else:
            self.sim.multimedia.agent_completes(ixn, party)

    def left(self, agent: Agent, ixn: Interaction) -> None:
        """The agent's party left an interaction: after-call work if it was the last one."""
        if ixn.interaction_id in agent.active:
            agent.active.remove(ixn.interaction_id)
        if not agent.active and agent.state == AgentState.READY and agent.acw_time > 0:
            self.set_state(agent, AgentState.AFTER_CALL_WORK, reason="after call")
            self.sim._later(agent.acw_time, self._acw_over, agent.agent_id)
        else:
            self.changed(agent)

    def _acw_over(self, agent_id: str) -> None:
        agent = self.sim.agents[agent_id]
        if agent.state == AgentState.AFTER_CALL_WORK:
            self.set_state(agent, AgentState.READY, reason="after call work done")

    # -- agent state --------------------------------------------------------------------------
    def set_state(self, agent: Agent, state: AgentState, reason: str | None = None) -> None:
        agent.state = state
        if state == AgentState.READY:
            agent.ready_since = self.sim.now()
        self.changed(agent, reason)

    def changed(self, agent: Agent, reason: str | None = None) -> None:
        """Report state or availability changes, and let ACD queues use a newly free agent."""
        seen = (agent.state.value, agent.available)
        previous = self.seen.get(agent.agent_id)
        if seen == previous:
            return
        self.seen[agent.agent_id] = seen
        sim = self.sim
        if agent.available and previous is not None and not previous[1]:
            agent.ready_since = max(agent.ready_since, sim.now())
        sim._event(EventKind.AGENT_STATE_CHANGED, agent_id=agent.agent_id, device=agent.dn,
                   state=agent.state.value, previous_state=previous[0] if previous else None,
                   data={"place": agent.place, "available": agent.available, "busy": bool(agent.active),
                         "reason": reason})
        if agent.available:
            sim.delivery._distribute_acd()

    def agent(self, agent_id: str) -> Agent:
        agent = self.sim.agents.get(agent_id)
        if agent is None:
            raise PlatformError(ErrorCode.INVALID_SOURCE, f"no agent {agent_id!r} in the topology")
        return agent

    def request(self, name: str, agent_id: str, target: AgentState, allowed: tuple[AgentState, ...],
                origin: str, reason: str | None = None, place: str | None = None, dn: str | None = None) -> str:
        return self.sim._submit(name, None, self._change, agent_id, target, allowed, reason, place, dn,
                                origin=origin)

    def _change(self, req: Request, agent_id: str, target: AgentState, allowed: tuple[AgentState, ...],
                reason: str | None, place: str | None, dn: str | None) -> dict:
        agent = self.agent(agent_id)
        if agent.state not in allowed:
            raise PlatformError(ErrorCode.invalid_state(agent.state.value),
                                f"agent {agent_id} is {agent.state.value}; cannot go {target.value}")
        if dn is not None:
            if dn not in self.sim.devices:
                raise PlatformError(ErrorCode.INVALID_DESTINATION, f"no DN {dn!r} to log in on")
            agent.dn = dn
        if place is not None:
            agent.place = place
        self.set_state(agent, target, reason)
        return {"agent_id": agent_id, "state": target.value}


LOGGED_IN = (AgentState.NOT_READY, AgentState.READY, AgentState.AFTER_CALL_WORK)
