"""Scenarios that must raise the Interaction Interface events, and the table of error codes.

`SCENARIOS`: name -> (the events it must raise, how to play it on a `Site`). `ERROR_CASES`: one
row per (error event, code) with how it is provoked; each row is a scenario too. The tests in
test_interaction_events.py / test_interaction_errors.py run them and police what sessions saw.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache

from openors.ors.catalogue import load_catalogue

from .ixn_world import NO_ANSWER, OUTSIDE, Site, topology

# The Interaction Interface part of the catalogue (other modules add their own sections).
INTERACTION_SECTIONS = ("common", "voice", "msgbased", "chat", "extension")


def interaction_catalogue() -> dict:
    return {name: entry for name, entry in load_catalogue().items() if entry["section"] in INTERACTION_SECTIONS}

# --- building blocks ------------------------------------------------------------------------------


def connected_call(site: Site, to: str = "7001", **call):
    """A call routed by its session from routing point 5000 to `to`, answered there."""
    ixn, session = site.call(**call)
    site.answer(site.do(session, "redirect", to=to, wait=2.0), session)
    return ixn, session


def consulting(site: Site):
    """A connected call whose agent (7001) consults 7002, who answered: (call, consult, session)."""
    ixn, session = connected_call(site)
    _, done = site.answer(site.do(session, "consultation", interactionid=ixn, resource="7001", to="7002",
                                  wait=2.0))
    return ixn, done["interactionid"], session


def ringing_on_7003(site: Site):
    """A call routed to 7003, where nobody is logged in: it rings until accepted."""
    ixn, session = site.call()
    site.do(session, "redirect", to="7003")
    return ixn, session


def parked_email(site: Site):
    """An e-mail its session sent to a queue without a strategy (state null, no longer controlled)."""
    ixn, session = site.email()
    site.do(session, "redirect", to="parking")
    return ixn, session


# --- scenarios that raise events ------------------------------------------------------------------


@dataclass
class Scenario:
    raises: tuple[str, ...]
    play: Callable[[Site], None]
    topology: dict | None = None
    request_timeout: float = 30.0


SCENARIOS: dict[str, Scenario] = {}


def scenario(*raises: str, **options):
    def register(play):
        SCENARIOS[play.__name__] = Scenario(raises, play, **options)
        return play
    return register


@scenario("interaction.added", "interaction.present", "interaction.onrouterequest", "interaction.ondivert",
          "interaction.partydeleted", "interaction.partyadded", "interaction.partystatechanged",
          "interaction.redirect.done", "interaction.notcontrolled", "interaction.deleted")
def call_routed_to_an_agent_then_the_caller_hangs_up(site):
    connected_call(site)
    site.platform.customer_hangup("+15551110001")
    site.run(1)


@scenario("voice.hold.done", "voice.retrieve.done", "voice.privateservice.done", "interaction.terminate.done")
def agent_holds_retrieves_and_the_strategy_ends_the_call(site):
    ixn, session = connected_call(site)
    site.do(session, "hold", resource="7001")
    site.do(session, "retrieve", resource="7001")
    site.do(session, "privateservice", resource="7001", serviceid=3001)
    site.do(session, "terminate")


@scenario("voice.consultation.done", "voice.alternate.done", "voice.transfer.done", "interaction.onmerge")
def consultation_then_transfer(site):
    ixn, consult, session = consulting(site)
    site.do(session, "alternate", interactionid=ixn, resource="7001")
    site.do(session, "alternate", interactionid=ixn, resource="7001")
    site.do(session, "transfer", interactionid=ixn, resource="7001")


@scenario("voice.conference.done", "interaction.onmerge")
def consultation_then_conference(site):
    ixn, consult, session = consulting(site)
    site.do(session, "conference", interactionid=ixn, resource="7001")


@scenario("voice.reconnect.done")
def consultation_then_reconnect(site):
    ixn, consult, session = consulting(site)
    site.do(session, "reconnect", interactionid=ixn, resource="7001")


@scenario("interaction.singlesteptransfer.done", "interaction.onsinglesteptransfer")
def single_step_transfer(site):
    ixn, session = connected_call(site)
    site.do(session, "singlesteptransfer", **{"from": "7001", "to": "7002"})


@scenario("interaction.singlestepconference.done", "interaction.onsinglestepconference")
def single_step_conference(site):
    ixn, session = connected_call(site)
    site.do(session, "singlestepconference", **{"from": "7001", "to": "7002"})


@scenario("interaction.accept.done", "interaction.clear.done")
def strategy_answers_a_ringing_phone_then_clears_it(site):
    ixn, session = ringing_on_7003(site)
    site.do(session, "accept", resource="7003")
    site.do(session, "clear", resource="7003")


@scenario("voice.createcall.done", "interaction.added", "interaction.present")
def strategy_makes_calls(site):
    ixn, session = site.call()
    site.do(session, "createcall", wait=3.0, **{"from": "7002", "to": OUTSIDE})
    site.do(session, "createcall_predictive", wait=3.0, **{"from": "5001", "to": OUTSIDE})


@scenario("interaction.abandoned", "interaction.notcontrolled", "interaction.deleted")
def caller_hangs_up_while_waiting_on_the_routing_point(site):
    site.call()
    site.platform.customer_hangup("+15551110001")
    site.run(0.5)


@scenario("interaction.associate.done", "interaction.detach.done", "interaction.attach.done")
def interaction_moves_between_sessions(site):
    ixn, first = site.call()
    second = site.start_puppet()
    site.do(first, "associate", sessionid=second.id)
    site.do(second, "detach", interactionid=ixn)
    site.do(second, "attach", interactionid=ixn)


@scenario("interaction.udata.changed")
def user_data_changed_by_the_strategy_and_by_a_desktop(site):
    ixn, session = site.call()
    site.do(session, "setudata", udata={"segment": "gold"})
    site.platform.update_user_data(ixn, {"note": "called before"}, origin="desktop")
    site.run(0.5)


@scenario("msgbased.createmessage.done", "msgbased.sendmessage.done", "chat.getcontent.done",
          "interaction.property.changed")
def email_answered_by_the_strategy(site):
    ixn, session = site.email()
    site.platform.update_properties(ixn, {"subject": "Order 42"}, origin="desktop")
    site.run(0.5)
    site.do(session, "getcontent", interactionid=ixn)
    _, done = site.answer(site.do(session, "createmessage", interactionid=ixn, srid="SR-7", to="jane@example.org"))
    site.do(session, "sendmessage", interactionid=done["interactionid"])


@scenario("interaction.notcontrolled")
def email_routed_to_an_agent(site):
    ixn, session = site.email()
    site.do(session, "redirect", to="alice")


@scenario("interaction.notcontrolled")
def email_taken_back_by_the_media_server(site):
    ixn, session = site.email()
    site.platform.revoke(ixn)
    site.run(0.5)


@scenario("chat.message", "chat.sendchatmessage.done", "chat.gettranscript.done")
def chat_with_the_strategy(site):
    ixn, session = site.chat(messages=[{"after": 0.2, "text": "hello?"}])
    site.run(0.5)
    site.do(session, "sendchatmessage", **{"from": "bot", "message": "An agent will be with you shortly"})
    site.do(session, "gettranscript")


# --- the error-code table -------------------------------------------------------------------------


@dataclass
class ErrorCase:
    event: str
    code: str
    how: str
    provoke: Callable[[Site], tuple] = field(repr=False)  # -> (session, requestid)
    topology: dict | None = None
    request_timeout: float = 30.0
    wait: float = 0.0  # extra virtual time before the answer is due

    @property
    def id(self) -> str:
        return f"{self.event}:{self.code}"


def _on_call(action: str, **data):
    def provoke(site):
        ixn, session = connected_call(site)
        return session, site.do(session, action, **data)
    return provoke


def _terminate_held(site):
    ixn, session = connected_call(site)
    site.do(session, "hold", resource="7001")
    return session, site.do(session, "terminate")


def _clear_held(site):
    ixn, session = connected_call(site)
    site.do(session, "hold", resource="7001")
    return session, site.do(session, "clear", resource="7001")


def _terminate_parked(site):
    ixn, session = parked_email(site)
    return session, site.do(session, "terminate")


def _with_fault(request: str, code: str, action: str, **data):
    def provoke(site):
        ixn, session = connected_call(site)
        site.platform.inject_fault(request, code, f"injected {code}")
        return session, site.do(session, action, **data)
    return provoke


def _at_routing_point(action: str, **data):
    def provoke(site):
        ixn, session = site.call()
        return session, site.do(session, action, **data)
    return provoke


def _associate_to_nobody(site):
    ixn, session = site.call()
    return session, site.do(session, "associate", sessionid="no-such-session")


def _attach_owned_elsewhere(site):
    ixn, first = site.call()
    second = site.start_puppet()
    return second, site.do(second, "attach", interactionid=ixn)


def _detach_ringing(site):
    ixn, session = ringing_on_7003(site)
    return session, site.do(session, "detach", interactionid=ixn)


def _accept_rejected(site):
    ixn, session = ringing_on_7003(site)
    site.platform.inject_fault("answer", "reject.busy", "the agent's desktop rejected the call")
    return session, site.do(session, "accept", resource="7003")


def _conference_ringing(site):
    ixn, session = ringing_on_7003(site)
    return session, site.do(session, "singlestepconference", to="7002")


def _conference_while_consulting(site):
    ixn, consult, session = consulting(site)
    return session, site.do(session, "singlestepconference", interactionid=ixn, to="7003")


def _on_email(action: str, **data):
    def provoke(site):
        ixn, session = site.email()
        return session, site.do(session, action, **data)
    return provoke


def _on_chat(action: str, **data):
    def provoke(site):
        ixn, session = site.chat()
        return session, site.do(session, action, **data)
    return provoke


def _predictive_unanswered(site):
    ixn, session = site.call()
    return session, site.do(session, "createcall_predictive", **{"from": "5001", "to": NO_ANSWER})



def _slow_consulting(site):
    # The world times requests out after 0.05 s while the switch takes 0.1 s: use the platform
    # directly to set up the consultation, then let the session's <transfer> time out.
    ixn, session = site.call()
    site.platform.route(ixn, "7001", origin="desktop")
    site.run(2)
    site.platform.initiate_consultation(ixn, "7001", "7002", origin="desktop")
    site.run(2)
    return session, site.do(session, "transfer", interactionid=ixn, resource="7001")


E = ErrorCase
ERROR_CASES: list[ErrorCase] = [
    # common actions
    E("error.interaction.terminate", "invalidstate.hold", "terminate a call an agent holds", _terminate_held),
    E("error.interaction.terminate", "invalidstate.null", "terminate an e-mail parked in a queue nobody pulls",
      _terminate_parked),
    E("error.interaction.terminate", "unknown", "the switch fails the request (inject_fault)",
      _with_fault("terminate", "unknown", "terminate")),
    E("error.interaction.redirect", "invaliddestination", "redirect to a DN the switch does not have",
      _at_routing_point("redirect", to="4242")),
    E("error.interaction.redirect", "invalidstate.routed", "redirect a call an agent already answered",
      _on_call("redirect", to="7002")),
    E("error.interaction.redirect", "invalidsource", "redirect `from` a DN that is not on the call",
      _at_routing_point("redirect", **{"from": "7002", "to": "7001"})),
    E("error.interaction.redirect", "unknown", "<redirect> without its required `to`",
      _at_routing_point("redirect_noto")),
    E("error.interaction.associate", "invalidserver", "associate with a session that does not exist",
      _associate_to_nobody),
    E("error.interaction.associate", "nointeraction", "associate an interaction id nobody knows",
      _at_routing_point("associate", interactionid="FFFF0000FFFF0000", sessionid="x")),
    E("error.interaction.attach", "nointeraction", "attach an interaction id nobody knows",
      _at_routing_point("attach", interactionid="FFFF0000FFFF0000")),
    E("error.interaction.attach", "unknown", "attach an interaction another session controls",
      _attach_owned_elsewhere),
    E("error.interaction.detach", "invalidstate", "detach a call while it rings", _detach_ringing),
    E("error.interaction.detach", "nointeraction", "detach an interaction id nobody knows",
      _at_routing_point("detach", interactionid="FFFF0000FFFF0000")),
    E("error.interaction.accept", "invalidstate.routed", "accept a call already answered",
      _on_call("accept", resource="7001")),
    E("error.interaction.accept", "reject.busy", "the destination rejects the call (inject_fault)",
      _accept_rejected),
    E("error.interaction.clear", "unknown", "clear a DN that is not on the call",
      _on_call("clear", resource="7002")),
    E("error.interaction.clear", "invalidstate.hold", "clear the agent while the agent holds the call",
      _clear_held),
    E("error.interaction.clear", "invalidstate.treating", "clear a party of a call waiting on its routing point",
      _at_routing_point("clear", resource="5000")),
    E("error.interaction.clear", "remote", "the far end fails the release (inject_fault)",
      _with_fault("clear", "remote", "clear", resource="7001")),
    E("error.interaction.singlesteptransfer", "remote", "transfer to an out-of-service DN",
      _on_call("singlesteptransfer", to="7999")),
    E("error.interaction.singlesteptransfer", "invalidstate.treating", "transfer a call still on the routing point",
      _at_routing_point("singlesteptransfer", to="7002")),
    E("error.interaction.singlestepconference", "invalidstate.ringing", "conference on a call that still rings",
      _conference_ringing),
    E("error.interaction.singlestepconference", "invalidstate.transferring",
      "conference on a call whose agent is consulting", _conference_while_consulting),
    # voice
    E("error.voice.createcall", "invaliddestination", "call a DN the switch does not have",
      _at_routing_point("createcall", **{"from": "7002", "to": "4242"})),
    E("error.voice.createcall", "invalidsource", "call from a DN the switch does not have",
      _at_routing_point("createcall", **{"from": "4243", "to": "7002"})),
    E("error.voice.createcall", "timeout", "a predictive call nobody answers within the request timeout",
      _predictive_unanswered, request_timeout=5.0, wait=5.0),
    E("error.voice.hold", "invalidinteraction", "hold an e-mail", _on_email("hold", resource="alice")),
    E("error.voice.hold", "invalidsource", "hold without saying which device holds",
      _on_call("hold")),
    E("error.voice.hold", "unknown", "the switch fails the request (inject_fault)",
      _with_fault("hold", "unknown", "hold", resource="7001")),
    E("error.voice.retrieve", "invalidsource", "retrieve on a DN that is not on the call",
      _on_call("retrieve", resource="7002")),
    E("error.voice.consultation", "invaliddestination", "consult a DN the switch does not have",
      _on_call("consultation", resource="7001", to="4242")),
    E("error.voice.alternate", "unknown", "alternate with no consultation in progress",
      _on_call("alternate", resource="7001")),
    E("error.voice.reconnect", "unknown", "reconnect with no consultation in progress",
      _on_call("reconnect", resource="7001")),
    E("error.voice.conference", "invalidinteraction", "complete a conference on a chat",
      _on_chat("conference", resource="bot")),
    E("error.voice.transfer", "timeout", "the switch answers after the world's request timeout",
      _slow_consulting, request_timeout=0.05),
    E("error.voice.privateservice", "tserver", "a private service id the switch does not know",
      _on_call("privateservice", resource="7001", serviceid=9999)),
    # message-based
    E("error.msgbased.createmessage", "Request Invalid", "a new message with no recipient",
      _on_email("createmessage", subject="hi")),
    E("error.msgbased.createmessage", "Timeout", "the e-mail server is unresponsive",
      _on_email("createmessage", to="jane@example.org"), topology=topology(email="unresponsive"), wait=5.0),
    E("error.msgbased.createmessage", "Timeout", "the e-mail server is down (no invalidserver for msgbased)",
      _on_email("createmessage", to="jane@example.org"), topology=topology(email="down")),
    E("error.msgbased.sendmessage", "Request Invalid", "send the inbound e-mail instead of a reply",
      _on_email("sendmessage")),
    E("error.chat.getcontent", "Request Invalid", "get the content of a phone call",
      _at_routing_point("getcontent")),
    # chat
    E("error.chat.sendchatmessage", "Request Invalid", "post an empty chat message",
      _on_chat("sendchatmessage", **{"from": "bot", "message": ""})),
    E("error.chat.sendchatmessage", "Request Invalid", "<sendchatmessage> without its required `message`",
      _on_chat("sendchatmessage_nomessage", **{"from": "bot"})),
    E("error.chat.gettranscript", "Request Invalid", "ask an e-mail for its chat transcript",
      _on_email("gettranscript")),
]


# --- running ----------------------------------------------------------------------------------------


def new_site(topology_data: dict | None, request_timeout: float) -> Site:
    return Site(topology_data, request_timeout=request_timeout)


@cache
def played(name: str) -> Site:
    """The site after the named scenario ran (each scenario runs once per test session)."""
    sc = SCENARIOS[name]
    site = new_site(sc.topology, sc.request_timeout)
    sc.play(site)
    return site


@cache
def provoked(index: int) -> tuple[Site, object, str]:
    """(site, session, requestid) after error case `index` was provoked and its answer is due."""
    case = ERROR_CASES[index]
    site = new_site(case.topology, case.request_timeout)
    session, requestid = case.provoke(site)
    site.run(case.wait + 1.0)
    return site, session, requestid
