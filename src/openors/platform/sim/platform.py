"""SimulatedPlatform: the Platform interface over the simulator's core, composed of parts that own
their state: the media server (treatments.py), the agents (agents.py) and the multimedia servers
(multimedia.py), delivery (delivery.py) and voice call control (callcontrol.py). Its public methods
are the `Platform` interface and the customers' and agents' entry points, each handed to its part."""

from __future__ import annotations

from typing import Any

from openors.platform.clock import Clock
from openors.platform.interface import Destination
from openors.platform.model import AgentState
from openors.platform.scenario import OutboundParty
from openors.platform.sim.agents import LOGGED_IN, AgentDesk
from openors.platform.sim.callcontrol import CallControl
from openors.platform.sim.core import SimCore
from openors.platform.sim.delivery import Delivery
from openors.platform.sim.multimedia import Multimedia
from openors.platform.sim.treatments import MediaServer
from openors.platform.topology import Topology


class SimulatedPlatform(SimCore):
    """A whole contact center in one object, driven by a clock (virtual or real).

    Build it from a Topology and a Clock; drive it with requests (the Platform API), with the
    customer entry points (`inbound_call`, `inbound_email`, `inbound_sms`, `inbound_chat`,
    `customer_hangup`, `revoke`) or with a scenario (`openors.platform.sim.schedule_scenario`).
    """

    def __init__(self, topology: Topology, clock: Clock, *, seed: int = 0,
                 outbound: dict[str, OutboundParty] | None = None) -> None:
        super().__init__(topology, clock, seed=seed, outbound=outbound)
        self.delivery = Delivery(self)  # putting interactions on destinations
        self.calls = CallControl(self)  # voice call control
        self.media_server = MediaServer(self)  # treatments: a part with its own state
        self.agent_desk = AgentDesk(self)  # agents' behaviour and states: a part with its own state
        self.multimedia = Multimedia(self)  # e-mail, SMS and chat servers, queues and workbins

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

    # --- the multimedia servers' requests and customers (multimedia.py) --------------------------
    def inbound_email(self, sender: str, *, to: str | None = None, subject: str = "", body: str = "",
                      udata: dict | None = None) -> str:
        return self.multimedia.inbound_email(sender, to=to, subject=subject, body=body, udata=udata)

    def inbound_sms(self, sender: str, text: str, *, to: str | None = None, udata: dict | None = None) -> str:
        return self.multimedia.inbound_sms(sender, text, to=to, udata=udata)

    def inbound_chat(self, nickname: str, *, email: str | None = None, subject: str = "",
                     messages: list[dict] | None = None, leave_after: float | None = None,
                     udata: dict | None = None) -> str:
        return self.multimedia.inbound_chat(nickname, email=email, subject=subject, messages=messages,
                                            leave_after=leave_after, udata=udata)

    def place_in_queue(self, interaction_id: str, queue: Destination, *, origin: str = "client") -> str:
        return self.multimedia.place_in_queue(interaction_id, queue, origin=origin)

    def pull_from_queue(self, queue: str, interaction_id: str | None = None, *, origin: str = "client") -> str:
        return self.multimedia.pull_from_queue(queue, interaction_id, origin=origin)

    def revoke(self, interaction_id: str) -> None:
        self.multimedia.revoke(interaction_id)

    def update_properties(self, interaction_id: str, changes: dict[str, Any], *, origin: str = "client") -> str:
        return self.multimedia.update_properties(interaction_id, changes, origin=origin)

    def create_message(self, *, media: str = "TMediaEMail", message_type: str = "outbound_new",
                       parent_id: str | None = None, to: str | None = None, from_: str | None = None,
                       subject: str | None = None, body: str | None = None, srid: str | None = None,
                       queue: str | None = None, server: str | None = None, udata: dict | None = None,
                       origin: str = "client") -> str:
        return self.multimedia.create_message(media=media, message_type=message_type, parent_id=parent_id, to=to,
                                              from_=from_, subject=subject, body=body, srid=srid, queue=queue,
                                              server=server, udata=udata, origin=origin)

    def send_message(self, interaction_id: str, *, queue: str | None = None, origin: str = "client") -> str:
        return self.multimedia.send_message(interaction_id, queue=queue, origin=origin)

    def send_chat_message(self, interaction_id: str, from_: str, text: str, *, message_type: str = "Message",
                          origin: str = "client") -> str:
        return self.multimedia.send_chat_message(interaction_id, from_, text, message_type=message_type, origin=origin)

    def get_transcript(self, interaction_id: str, *, origin: str = "client") -> str:
        return self.multimedia.get_transcript(interaction_id, origin=origin)

    def get_content(self, interaction_id: str, *, origin: str = "client") -> str:
        return self.multimedia.get_content(interaction_id, origin=origin)

    # --- voice call control (callcontrol.py) ------------------------------------------------------
    def inbound_call(self, ani: str, dnis: str, *, patience: float | None = 120.0,
                     hangup_after: float | None = None, udata: dict | None = None,
                     digits: list[str] | None = None, ivr: list[dict] | None = None) -> str:
        return self.calls.inbound_call(ani, dnis, patience=patience, hangup_after=hangup_after, udata=udata, digits=digits, ivr=ivr)

    def customer_hangup(self, ani: str) -> bool:
        return self.calls.customer_hangup(ani)

    def route(self, interaction_id: str, destination: Destination, *, source: str | None = None,
              route_type: str = "default", udata: dict | None = None, hints: dict | None = None,
              origin: str = "client") -> str:
        return self.calls.route(interaction_id, destination, source=source, route_type=route_type, udata=udata, hints=hints, origin=origin)

    def answer(self, interaction_id: str, device: Destination, *, origin: str = "client") -> str:
        return self.calls.answer(interaction_id, device, origin=origin)

    def terminate(self, interaction_id: str, *, reason: str | None = None, device: str | None = None,
                  origin: str = "client") -> str:
        return self.calls.terminate(interaction_id, reason=reason, device=device, origin=origin)

    def clear(self, interaction_id: str, device: str, *, origin: str = "client") -> str:
        return self.calls.clear(interaction_id, device, origin=origin)

    def hold(self, interaction_id: str, device: str, *, origin: str = "client") -> str:
        return self.calls.hold(interaction_id, device, origin=origin)

    def retrieve(self, interaction_id: str, device: str, *, origin: str = "client") -> str:
        return self.calls.retrieve(interaction_id, device, origin=origin)

    def make_call(self, origin: Destination, destination: Destination, *, call_type: str = "regular",
                  udata: dict | None = None, hints: dict | None = None, origin_kind: str = "client") -> str:
        return self.calls.make_call(origin, destination, call_type=call_type, udata=udata, hints=hints, origin_kind=origin_kind)

    def initiate_consultation(self, interaction_id: str, device: str, destination: Destination, *,
                              udata: dict | None = None, origin: str = "client") -> str:
        return self.calls.initiate_consultation(interaction_id, device, destination, udata=udata, origin=origin)

    def alternate(self, interaction_id: str, device: str, *, origin: str = "client") -> str:
        return self.calls.alternate(interaction_id, device, origin=origin)

    def reconnect(self, interaction_id: str, device: str, *, origin: str = "client") -> str:
        return self.calls.reconnect(interaction_id, device, origin=origin)

    def complete_transfer(self, interaction_id: str, device: str, *, origin: str = "client") -> str:
        return self.calls.complete_transfer(interaction_id, device, origin=origin)

    def complete_conference(self, interaction_id: str, device: str, *, origin: str = "client") -> str:
        return self.calls.complete_conference(interaction_id, device, origin=origin)

    def single_step_transfer(self, interaction_id: str, device: str | None, destination: Destination, *,
                             origin: str = "client") -> str:
        return self.calls.single_step_transfer(interaction_id, device, destination, origin=origin)

    def single_step_conference(self, interaction_id: str, device: str | None, destination: Destination, *,
                               origin: str = "client") -> str:
        return self.calls.single_step_conference(interaction_id, device, destination, origin=origin)

    def private_service(self, interaction_id: str, device: str | None, service_id: int,
                        data: dict | None = None, *, origin: str = "client") -> str:
        return self.calls.private_service(interaction_id, device, service_id, data, origin=origin)

    def update_user_data(self, interaction_id: str, data: dict[str, Any], *, origin: str = "client") -> str:
        return self.calls.update_user_data(interaction_id, data, origin=origin)

    def delete_user_data(self, interaction_id: str, keys: list[str] | None = None, *,
                         origin: str = "client") -> str:
        return self.calls.delete_user_data(interaction_id, keys, origin=origin)
