"""The scenario file: a timed script of what customers and agents do in the simulated world."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from openors.platform.validation import Reader, load_yaml

AGENT_ACTIONS = (
    "login", "ready", "not_ready", "after_call_work", "logout",  # agent state
    "answer", "release", "hold", "retrieve",  # on the agent's current interaction
    "consult", "alternate", "reconnect", "complete_transfer", "complete_conference",
    "single_step_transfer", "single_step_conference", "set_udata", "chat", "end_chat",
)
NEEDS_TARGET = ("consult", "single_step_transfer", "single_step_conference")
OUTBOUND_RESULTS = ("answered", "busy", "no_answer", "answering_machine", "fax")


@dataclass
class Step:
    at: float
    kind: str  # call | hangup | email | sms | chat | agent | revoke
    fields: dict[str, Any]
    path: str  # where in the file, for messages about this step
    source: str = "scenario"  # the file

    @property
    def where(self) -> str:
        """The file and the place in it, as load errors name them."""
        return f"{self.source}: {self.path}"


@dataclass
class OutboundParty:
    """How an external number behaves when the platform calls it."""

    result: str = "answered"
    answer_after: float = 4.0
    hangup_after: float | None = 60.0


@dataclass
class Scenario:
    source: str = "scenario"
    seed: int = 0
    until: float | None = None
    steps: list[Step] = field(default_factory=list)
    outbound: dict[str, OutboundParty] = field(default_factory=dict)


def load_scenario(path: str | Path) -> Scenario:
    data, name = load_yaml(path)
    return parse_scenario(data, name)


def parse_scenario(data: Any, source: str = "scenario.yaml") -> Scenario:
    top = Reader(source, "", data if data is not None else {})
    top.only(("seed", "until", "steps", "outbound", "description"))
    seed = top.data.get("seed", 0)
    if isinstance(seed, bool) or not isinstance(seed, int):
        top.fail("expected an integer", "seed")
    scenario = Scenario(source=source, seed=seed, until=top.number("until", None))
    outbound = top.mapping("outbound", {})
    for number, raw in outbound.items():
        r = Reader(source, f"outbound.{number}", raw)
        r.only(("result", "answer_after", "hangup_after"))
        hang = r.data.get("hangup_after", 60.0)
        scenario.outbound[str(number)] = OutboundParty(
            result=r.str("result", "answered", choices=OUTBOUND_RESULTS),
            answer_after=r.number("answer_after", 4.0),
            hangup_after=None if hang is None else r.number("hangup_after", 60.0))
    for i, raw in enumerate(top.items("steps")):
        step = _parse_step(top.item_reader("steps", i, raw))
        step.source = source
        scenario.steps.append(step)
    scenario.steps.sort(key=lambda s: s.at)  # stable: equal times keep file order
    return scenario


_STEP_KINDS = ("call", "hangup", "email", "sms", "chat", "agent", "revoke")


def _parse_step(r: Reader) -> Step:
    at = r.number("at")
    kinds = [k for k in _STEP_KINDS if k in r.data]
    if len(kinds) != 1:
        r.fail(f"a step needs exactly one of {', '.join(_STEP_KINDS)} (found {len(kinds)})")
    kind = kinds[0]
    if kind == "agent":
        r.only(("at", "agent", "do", "to", "udata", "text", "reason"))
        fields = {"agent": r.str("agent"), "do": r.str("do", choices=AGENT_ACTIONS),
                  "to": r.str("to", None), "udata": r.mapping("udata", None),
                  "text": r.str("text", None), "reason": r.str("reason", None)}
        if fields["do"] in NEEDS_TARGET and fields["to"] is None:
            r.fail(f"is required when do is {fields['do']}", "to")
        if fields["do"] == "set_udata" and not fields["udata"]:
            r.fail("is required when do is set_udata", "udata")
        if fields["do"] == "chat" and fields["text"] is None:
            r.fail("is required when do is chat", "text")
        return Step(at, kind, fields, r.path)
    r.only(("at", kind))
    body = r.child(kind, required=True)
    assert body is not None
    return Step(at, kind, _STEP_BODIES[kind](body), r.path)


def _call(r: Reader) -> dict[str, Any]:
    r.only(("from", "to", "patience", "hangup_after", "udata", "digits", "ivr"))
    return {"from": r.str("from"), "to": r.str("to"), "patience": r.number("patience", 120.0),
            "hangup_after": r.number("hangup_after", None), "udata": r.mapping("udata", {}),
            "digits": _digit_answers(r), "ivr": _ivr_results(r)}


def _digit_answers(r: Reader) -> list[str]:
    """`digits`: one answer (a string of keys) or a list of them, one per digit collection."""
    raw = r.data.get("digits")
    answers = [] if raw is None else raw if isinstance(raw, list) else [raw]
    for i, answer in enumerate(answers):
        if isinstance(answer, bool) or not isinstance(answer, str | int):
            r.fail("expected a string of keys or a list of them", f"digits[{i}]" if isinstance(raw, list)
                   else "digits")
        if set(str(answer)) - set("0123456789*#"):
            r.fail(f"{answer!r} has a key that is not 0-9, * or #", "digits")
    return [str(a) for a in answers]


def _ivr_results(r: Reader) -> list[dict[str, Any]]:
    """`ivr`: one result or a list of them, one per VoiceXML application the call runs."""
    raw = r.data.get("ivr")
    items = [] if raw is None else raw if isinstance(raw, list) else [raw]
    out = []
    for i, item in enumerate(items):
        m = r.item_reader("ivr", i, item)
        m.only(("duration", "udata", "extensions"))
        out.append({"duration": m.number("duration", None), "udata": m.mapping("udata", {}),
                    "extensions": m.mapping("extensions", {})})
    return out


def _hangup(r: Reader) -> dict[str, Any]:
    r.only(("caller",))
    return {"caller": r.str("caller")}


def _email(r: Reader) -> dict[str, Any]:
    r.only(("from", "to", "subject", "body", "udata"))
    return {"from": r.str("from"), "to": r.str("to", None), "subject": r.str("subject", ""),
            "body": r.str("body", ""), "udata": r.mapping("udata", {})}


def _sms(r: Reader) -> dict[str, Any]:
    r.only(("from", "to", "text", "udata"))
    return {"from": r.str("from"), "to": r.str("to", None), "text": r.str("text"),
            "udata": r.mapping("udata", {})}


def _chat(r: Reader) -> dict[str, Any]:
    r.only(("from", "email", "subject", "messages", "leave_after", "udata"))
    messages = []
    for j, raw in enumerate(r.items("messages")):
        m = r.item_reader("messages", j, raw)
        m.only(("after", "text"))
        messages.append({"after": m.number("after"), "text": m.str("text")})
    return {"from": r.str("from"), "email": r.str("email", None), "subject": r.str("subject", ""),
            "messages": messages, "leave_after": r.number("leave_after", None),
            "udata": r.mapping("udata", {})}


def _revoke(r: Reader) -> dict[str, Any]:
    r.only(("from",))
    return {"from": r.str("from")}  # the customer address whose pulled interaction is taken back


_STEP_BODIES = {"call": _call, "hangup": _hangup, "email": _email, "sms": _sms, "chat": _chat,
                "revoke": _revoke}
