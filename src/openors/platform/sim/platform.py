"""SimulatedPlatform: the Platform interface implemented by the simulator mixins."""

from __future__ import annotations

from openors.platform.sim.agents import AgentBehaviourMixin
from openors.platform.sim.callcontrol import CallControlMixin
from openors.platform.sim.multimedia import MultimediaMixin
from openors.platform.sim.treatments import TreatmentMixin


class SimulatedPlatform(TreatmentMixin, CallControlMixin, MultimediaMixin, AgentBehaviourMixin):
    """A whole contact center in one object, driven by a clock (virtual or real).

    Build it from a Topology and a Clock; drive it with requests (the Platform API), with the
    customer entry points (`inbound_call`, `inbound_email`, `inbound_sms`, `inbound_chat`,
    `customer_hangup`, `revoke`) or with a scenario (`openors.platform.sim.schedule_scenario`).
    """

    def current_interaction(self, agent_id: str) -> str | None:
        """The interaction an agent works on most recently (what a desktop action applies to)."""
        agent = self._agent(agent_id)
        live = [i for i in agent.active if i in self.interactions]
        return live[-1] if live else None
