"""SimulatedPlatform: the Platform interface, implemented by the behaviour mixins over the core and by
parts with state of their own (the media server); the mixins become parts in turn (issue 10)."""

from __future__ import annotations

from openors.platform.clock import Clock
from openors.platform.model import AgentState
from openors.platform.scenario import OutboundParty
from openors.platform.sim.agents import LOGGED_IN, AgentDesk
from openors.platform.sim.callcontrol import CallControlMixin
from openors.platform.sim.multimedia import MultimediaMixin
from openors.platform.sim.treatments import MediaServer
from openors.platform.topology import Topology


class SimulatedPlatform(CallControlMixin, MultimediaMixin):
    """A whole contact center in one object, driven by a clock (virtual or real).

    Build it from a Topology and a Clock; drive it with requests (the Platform API), with the
    customer entry points (`inbound_call`, `inbound_email`, `inbound_sms`, `inbound_chat`,
    `customer_hangup`, `revoke`) or with a scenario (`openors.platform.sim.schedule_scenario`).
    """

    def __init__(self, topology: Topology, clock: Clock, *, seed: int = 0,
                 outbound: dict[str, OutboundParty] | None = None) -> None:
        super().__init__(topology, clock, seed=seed, outbound=outbound)
        self.media_server = MediaServer(self)  # treatments: a part with its own state
        self.agent_desk = AgentDesk(self)  # agents' behaviour and states: a part with its own state

    # --- the media server's requests (treatments.py) ---------------------------------------------
    def set_caller_script(self, interaction_id: str, digits: list[str] | None = None,
                          ivr: list[dict] | None = None) -> None:
        self.media_server.set_caller_script(interaction_id, digits, ivr)

    def start_treatment(self, interaction_id: str, treatment: str, duration: float, *,
                        collect: dict | None = None, application: str | None = None,
                        origin: str = "client") -> str:
        return self.media_server.start_treatment(interaction_id, treatment, duration, collect=collect,
                                                 application=application, origin=origin)

    def stop_treatment(self, interaction_id: str) -> str:
        return self.media_server.stop_treatment(interaction_id)

    def current_interaction(self, agent_id: str) -> str | None:
        """The interaction an agent works on most recently (what a desktop action applies to)."""
        agent = self.agent_desk.agent(agent_id)
        live = [i for i in agent.active if i in self.interactions]
        return live[-1] if live else None

    # --- agents' state requests (agents.py) -------------------------------------------------------
    def agent_login(self, agent_id: str, *, place: str | None = None, dn: str | None = None,
                    origin: str = "client") -> str:
        return self.agent_desk.request("agent_login", agent_id, AgentState.NOT_READY, (AgentState.LOGGED_OUT,),
                                       origin, place=place, dn=dn)

    def agent_ready(self, agent_id: str, *, origin: str = "client") -> str:
        return self.agent_desk.request("agent_ready", agent_id, AgentState.READY, LOGGED_IN, origin)

    def agent_not_ready(self, agent_id: str, *, reason: str | None = None, origin: str = "client") -> str:
        return self.agent_desk.request("agent_not_ready", agent_id, AgentState.NOT_READY, LOGGED_IN, origin,
                                       reason=reason)

    def agent_after_call_work(self, agent_id: str, *, origin: str = "client") -> str:
        return self.agent_desk.request("agent_after_call_work", agent_id, AgentState.AFTER_CALL_WORK, LOGGED_IN,
                                       origin)

    def agent_logout(self, agent_id: str, *, origin: str = "client") -> str:
        return self.agent_desk.request("agent_logout", agent_id, AgentState.LOGGED_OUT, LOGGED_IN, origin)
