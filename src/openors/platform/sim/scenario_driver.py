"""Plays a scenario's timed steps against a simulated platform."""

from __future__ import annotations

from typing import TYPE_CHECKING

from openors.platform.errors import PlatformError
from openors.platform.events import EventKind
from openors.platform.scenario import Scenario, Step

if TYPE_CHECKING:
    from openors.platform.sim.platform import SimulatedPlatform

DESKTOP = "desktop"  # requests made by simulated people, not by the ORS layer


def schedule_scenario(sim: SimulatedPlatform, scenario: Scenario) -> None:
    sim.outbound.update(scenario.outbound)
    # Step times count from now: 0 on a fresh virtual clock, the present moment on the real one.
    start = sim.clock.now()
    for step in scenario.steps:
        sim.clock.call_at(start + step.at, _run_step, sim, step)


def _run_step(sim: SimulatedPlatform, step: Step) -> None:
    f = step.fields
    try:
        if step.kind == "call":
            sim.inbound_call(f["from"], f["to"], patience=f["patience"], hangup_after=f["hangup_after"],
                             udata=f["udata"], digits=f.get("digits"), ivr=f.get("ivr"))
        elif step.kind == "hangup":
            sim.customer_hangup(f["caller"])
        elif step.kind == "email":
            sim.inbound_email(f["from"], to=f["to"], subject=f["subject"], body=f["body"], udata=f["udata"])
        elif step.kind == "sms":
            sim.inbound_sms(f["from"], f["text"], to=f["to"], udata=f["udata"])
        elif step.kind == "chat":
            sim.inbound_chat(f["from"], email=f["email"], subject=f["subject"], messages=f["messages"],
                             leave_after=f["leave_after"], udata=f["udata"])
        elif step.kind == "revoke":
            for ixn in list(sim.interactions.values()):
                if ixn.properties.get("from") == f["from"] and ixn.pulled:
                    sim.revoke(ixn.interaction_id)
        elif step.kind == "agent":
            _agent_step(sim, f)
    except PlatformError as err:
        # A script asking the impossible is reported in the event stream, never a crash.
        sim._event(EventKind.REQUEST_FAILED, request=f"scenario:{step.kind}", error=err.code,
                   description=f"{step.where}: {err.description}", data={"origin": DESKTOP})


def _agent_step(sim: SimulatedPlatform, f: dict) -> None:
    agent_id, action = f["agent"], f["do"]
    state_requests = {"login": sim.agent_login, "ready": sim.agent_ready, "logout": sim.agent_logout,
                      "after_call_work": sim.agent_after_call_work}
    if action in state_requests:
        state_requests[action](agent_id, origin=DESKTOP)
        return
    if action == "not_ready":
        sim.agent_not_ready(agent_id, reason=f["reason"], origin=DESKTOP)
        return
    agent = sim.agent_desk.agent(agent_id)
    ixn_id = sim.current_interaction(agent_id)
    if ixn_id is None:
        raise PlatformError("nointeraction", f"agent {agent_id} has no interaction to {action}")
    me = agent.dn if sim.interactions[ixn_id].category.value == "voice" else agent_id
    if me is None:
        raise PlatformError("invalidsource", f"agent {agent_id} is on no DN to {action} from")
    calls = {
        "answer": lambda: sim.answer(ixn_id, me, origin=DESKTOP),
        "release": lambda: sim.clear(ixn_id, me, origin=DESKTOP),
        "hold": lambda: sim.hold(ixn_id, me, origin=DESKTOP),
        "retrieve": lambda: sim.retrieve(ixn_id, me, origin=DESKTOP),
        "consult": lambda: sim.initiate_consultation(ixn_id, me, f["to"], origin=DESKTOP),
        "alternate": lambda: sim.alternate(ixn_id, me, origin=DESKTOP),
        "reconnect": lambda: sim.reconnect(ixn_id, me, origin=DESKTOP),
        "complete_transfer": lambda: sim.complete_transfer(ixn_id, me, origin=DESKTOP),
        "complete_conference": lambda: sim.complete_conference(ixn_id, me, origin=DESKTOP),
        "single_step_transfer": lambda: sim.single_step_transfer(ixn_id, me, f["to"], origin=DESKTOP),
        "single_step_conference": lambda: sim.single_step_conference(ixn_id, me, f["to"], origin=DESKTOP),
        "set_udata": lambda: sim.update_user_data(ixn_id, f["udata"], origin=DESKTOP),
        "chat": lambda: sim.send_chat_message(ixn_id, agent_id, f["text"], origin=DESKTOP),
        "end_chat": lambda: sim.terminate(ixn_id, reason="agent ended the chat", origin=DESKTOP),
    }
    calls[action]()
