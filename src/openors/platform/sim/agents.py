"""Agent behaviour (answer after a delay, talk, after-call work) and agent state requests."""

from __future__ import annotations

from openors.platform.errors import ErrorCode, PlatformError
from openors.platform.events import EventKind
from openors.platform.model import Agent, AgentState, DeviceKind, Interaction, Party, PartyState
from openors.platform.sim.core import Request
from openors.platform.sim.delivery import DeliveryMixin


class AgentBehaviourMixin(DeliveryMixin):
    # -- reacting to interactions ------------------------------------------------------------
    def _party_rings(self, ixn: Interaction, party: Party) -> None:
        agent = self.agents.get(party.agent_id or "")
        if agent is not None and agent.logged_in and agent.auto_answer:
            self._later(agent.answer_delay, self._agent_picks_up, party.party_id,
                        interaction_id=ixn.interaction_id)

    def _agent_picks_up(self, party_id: str) -> None:
        ixn, party = self._find_party(party_id)
        if party is not None and party.state == PartyState.RINGING:
            self._answered(ixn, party)

    def _party_connected(self, ixn: Interaction, party: Party) -> None:
        agent = self.agents.get(party.agent_id or "")
        if agent is not None and agent.talk_time is not None:
            self._later(agent.talk_time, self._agent_finishes, party.party_id,
                        interaction_id=ixn.interaction_id)
        hangup_after = ixn.properties.get("caller_hangup_after")
        if hangup_after is not None:
            ixn.properties["caller_hangup_after"] = None  # only the first answer starts the caller's clock
            caller = next((p for p in ixn.parties.values() if p.kind == DeviceKind.EXTERNAL), None)
            if caller is not None:
                self._later(hangup_after, self._party_hangs_up, caller.party_id,
                            interaction_id=ixn.interaction_id)

    def _agent_finishes(self, party_id: str) -> None:
        """Talk time is over: the agent hangs up (voice) or completes the work item (multimedia)."""
        ixn, party = self._find_party(party_id)
        if party is None or party.state != PartyState.ESTABLISHED:
            return
        if ixn.category.value == "voice":
            self._party_hangs_up(party_id)
        else:
            self._agent_completes_multimedia(ixn, party)

    def _agent_left(self, agent: Agent, ixn: Interaction) -> None:
        if ixn.interaction_id in agent.active:
            agent.active.remove(ixn.interaction_id)
        if not agent.active and agent.state == AgentState.READY and agent.acw_time > 0:
            self._set_agent_state(agent, AgentState.AFTER_CALL_WORK, reason="after call")
            self._later(agent.acw_time, self._acw_over, agent.agent_id)
        else:
            self._agent_changed(agent)

    def _acw_over(self, agent_id: str) -> None:
        agent = self.agents[agent_id]
        if agent.state == AgentState.AFTER_CALL_WORK:
            self._set_agent_state(agent, AgentState.READY, reason="after call work done")

    # -- agent state --------------------------------------------------------------------------
    def _set_agent_state(self, agent: Agent, state: AgentState, reason: str | None = None) -> None:
        agent.state = state
        if state == AgentState.READY:
            agent.ready_since = self.now()
        self._agent_changed(agent, reason)

    def _agent_changed(self, agent: Agent, reason: str | None = None) -> None:
        """Report state or availability changes, and let ACD queues use a newly free agent."""
        seen = (agent.state.value, agent.available)
        previous = self._agent_seen.get(agent.agent_id)
        if seen == previous:
            return
        self._agent_seen[agent.agent_id] = seen
        if agent.available and previous is not None and not previous[1]:
            agent.ready_since = max(agent.ready_since, self.now())
        self._event(EventKind.AGENT_STATE_CHANGED, agent_id=agent.agent_id, device=agent.dn,
                    state=agent.state.value, previous_state=previous[0] if previous else None,
                    data={"place": agent.place, "available": agent.available, "busy": bool(agent.active),
                          "reason": reason})
        if agent.available:
            self._distribute_acd()

    def _agent(self, agent_id: str) -> Agent:
        agent = self.agents.get(agent_id)
        if agent is None:
            raise PlatformError(ErrorCode.INVALID_SOURCE, f"no agent {agent_id!r} in the topology")
        return agent

    def _agent_request(self, name: str, agent_id: str, target: AgentState, allowed: tuple[AgentState, ...],
                       origin: str, reason: str | None = None, place: str | None = None,
                       dn: str | None = None) -> str:
        return self._submit(name, None, self._change_agent, agent_id, target, allowed, reason, place, dn,
                            origin=origin)

    def _change_agent(self, req: Request, agent_id: str, target: AgentState, allowed: tuple[AgentState, ...],
                      reason: str | None, place: str | None, dn: str | None) -> dict:
        agent = self._agent(agent_id)
        if agent.state not in allowed:
            raise PlatformError(ErrorCode.invalid_state(agent.state.value),
                                f"agent {agent_id} is {agent.state.value}; cannot go {target.value}")
        if dn is not None:
            if dn not in self.devices:
                raise PlatformError(ErrorCode.INVALID_DESTINATION, f"no DN {dn!r} to log in on")
            agent.dn = dn
        if place is not None:
            agent.place = place
        self._set_agent_state(agent, target, reason)
        return {"agent_id": agent_id, "state": target.value}

    def agent_login(self, agent_id: str, *, place: str | None = None, dn: str | None = None,
                    origin: str = "client") -> str:
        return self._agent_request("agent_login", agent_id, AgentState.NOT_READY, (AgentState.LOGGED_OUT,),
                                   origin, place=place, dn=dn)

    def agent_ready(self, agent_id: str, *, origin: str = "client") -> str:
        return self._agent_request("agent_ready", agent_id, AgentState.READY, _LOGGED_IN, origin)

    def agent_not_ready(self, agent_id: str, *, reason: str | None = None, origin: str = "client") -> str:
        return self._agent_request("agent_not_ready", agent_id, AgentState.NOT_READY, _LOGGED_IN, origin,
                                   reason=reason)

    def agent_after_call_work(self, agent_id: str, *, origin: str = "client") -> str:
        return self._agent_request("agent_after_call_work", agent_id, AgentState.AFTER_CALL_WORK, _LOGGED_IN,
                                   origin)

    def agent_logout(self, agent_id: str, *, origin: str = "client") -> str:
        return self._agent_request("agent_logout", agent_id, AgentState.LOGGED_OUT, _LOGGED_IN, origin)


_LOGGED_IN = (AgentState.NOT_READY, AgentState.READY, AgentState.AFTER_CALL_WORK)
