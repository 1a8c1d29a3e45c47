"""What happened to each interaction customers started, read from a world's trace: when it
arrived and where, which strategy took it, the virtual queue, treatments, the agent who answered,
when it ended. The KPIs, the timelines and the test expectations all read these."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# Call types of interactions a customer starts (the rest are consultations, outbound, replies).
CUSTOMER_STARTED = {"inbound", "InboundNew", "chat"}


@dataclass
class Story:
    interaction_id: str
    created: float
    media: str  # voice | chat | email | sms ...
    call_type: str
    origin: str  # the caller's number, the chat's nickname, the e-mail's sender
    destination: str  # the number dialled, or the interaction queue it was put in
    parent_id: str | None = None
    queue: str | None = None  # the virtual queue a strategy put it in, if any
    application: str | None = None
    sessions: list[str] = field(default_factory=list)
    final_states: list[str | None] = field(default_factory=list)
    session_ends: list[float] = field(default_factory=list)
    ringing: list[tuple[float, str, str | None]] = field(default_factory=list)  # (t, device, agent)
    answered: float | None = None
    agent: str | None = None
    answer_device: str | None = None
    connected: list[str] = field(default_factory=list)  # every agent who was connected to it
    queued_in: list[str] = field(default_factory=list)  # interaction queues it was placed in
    ended: float | None = None
    end_reason: str | None = None
    steps: list[tuple[float, str]] = field(default_factory=list)  # the readable timeline
    udata: dict[str, Any] = field(default_factory=dict)

    @property
    def customer_started(self) -> bool:
        return self.parent_id is None and self.call_type in CUSTOMER_STARTED

    @property
    def abandoned(self) -> bool:
        return self.customer_started and self.answered is None and self.ended is not None \
            and self.media in ("voice", "chat")

    def wait(self, now: float) -> float:
        """Seconds from arrival to an agent's answer (or to the end, or to now)."""
        end = self.answered if self.answered is not None else self.ended if self.ended is not None else now
        return max(0.0, end - self.created)

    def label(self) -> str:
        return f"{self.media} {self.origin} → {self.destination}"


def _media(data: dict) -> str:
    media = str(data.get("media", ""))
    short = media.removeprefix("TMedia").lower()
    return {"email": "email", "voice": "voice", "chat": "chat", "sms": "sms"}.get(short, short or "voice")


def stories(trace: list[dict]) -> dict[str, Story]:
    """Every interaction of the trace, in order of creation."""
    out: dict[str, Story] = {}
    session_of: dict[str, str] = {}  # session id -> interaction id
    for r in trace:
        kind = r["kind"]
        if kind == "platform":
            _platform(out, r["t"], r["event"])
        elif kind == "session.start" and r.get("interaction") in out:
            s = out[r["interaction"]]
            s.sessions.append(r["session"])
            s.application = s.application or r.get("application")
            session_of[r["session"]] = s.interaction_id
            s.steps.append((r["t"], f"strategy {r.get('application')}"))
        elif kind == "queue.enter" and r.get("interaction") in out:
            s = out[r["interaction"]]
            s.queue = s.queue or r.get("vq")
            s.steps.append((r["t"], f"queue {r.get('vq')}"))
        elif kind == "treatment.start" and r.get("interaction") in out:
            out[r["interaction"]].steps.append((r["t"], f"{r.get('treatment')} {r.get('seconds', 0):g} s"))
        elif kind == "session.end" and r["session"] in session_of:
            s = out[session_of[r["session"]]]
            s.final_states.append(r.get("final"))
            s.session_ends.append(r["t"])
        elif kind in ("event", "error.unhandled") and r["name"].startswith("error.") and r["session"] in session_of:
            s = out[session_of[r["session"]]]
            if not s.steps or s.steps[-1][1] != r["name"]:
                s.steps.append((r["t"], r["name"]))
    return out


def _platform(out: dict[str, Story], t: float, ev: dict) -> None:
    kind, ixn = ev["kind"], ev.get("interaction_id")
    if kind == "interaction.created" and ixn:
        data = ev.get("data") or {}
        props = data.get("properties") or {}
        origin = str(props.get("ani") or props.get("from") or "")
        destination = str(props.get("dnis") or props.get("to") or "")
        s = Story(ixn, t, _media(data), str(data.get("call_type", "")), origin, destination,
                  parent_id=data.get("parent_id"), udata=dict(ev.get("udata") or {}))
        out[ixn] = s
        s.steps.append((t, f"arrived {destination}" if destination else "arrived"))
        return
    found = out.get(ixn) if ixn else None
    if found is None:
        return
    s = found
    if kind == "interaction.queued":
        if s.media != "voice" and not s.queued_in:
            s.destination = str(ev.get("device"))  # an e-mail's "to" says less than its queue
        s.queued_in.append(str(ev.get("device")))
        if len(s.queued_in) > 1:
            s.steps.append((t, f"in {ev.get('device')}"))
    elif kind == "interaction.arrived" and ev.get("device") != s.destination:
        s.steps.append((t, f"at {ev.get('device')}"))
    elif kind == "interaction.udata.changed":
        s.udata = dict(ev.get("udata") or {})
    elif kind in ("party.added", "party.changed") and ev.get("agent_id"):
        agent, state = ev["agent_id"], ev.get("party_state")
        if state == "ringing":
            s.ringing.append((t, str(ev.get("device")), agent))
            where = f" at {ev.get('device')}" if ev.get("device") != agent else ""
            s.steps.append((t, f"ringing {agent}{where}"))
        elif state == "established" and agent not in s.connected:
            s.connected.append(agent)
            if s.answered is None:
                s.answered, s.agent, s.answer_device = t, agent, str(ev.get("device"))
            s.steps.append((t, f"answered by {agent}"))
    elif kind == "party.added" and ev.get("device_type") in ("extension", "queue", "acd_position") \
            and ev.get("party_state") == "ringing":
        s.ringing.append((t, str(ev.get("device")), None))
    elif kind == "interaction.ended":
        s.ended = t
        s.end_reason = (ev.get("data") or {}).get("reason")
        s.steps.append((t, "abandoned" if s.abandoned else f"ended ({s.end_reason or 'cleared'})"))


def timeline(story: Story) -> str:
    """`10.0 arrived 5100 → strategy main → queue VQ_Billing → answered by bob 14.0 → ended 67.0`."""
    parts = []
    for i, (t, what) in enumerate(story.steps):
        parts.append(f"{t:.1f} {what}" if i == 0 else f"{what} {t:.1f}" if _timed(what) else what)
    return " → ".join(parts)


def _timed(what: str) -> bool:
    return what.startswith(("answered", "ended", "abandoned", "error.", "ringing", "at "))
