"""One readable line per trace record a person cares about: what `openors simulate --format text`
prints, what the demo's live view shows, and the trace excerpts of a failed test."""

from __future__ import annotations

import json
from typing import Any

from .strict import describe_error, is_evaluation_error


def _short(value: Any, limit: int = 120) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def describe(record: dict, *, verbose: bool = False) -> str | None:
    """The line for a record, or None for records only `verbose` shows."""
    kind = record["kind"]
    session = (record.get("session") or "")[:8]
    if kind == "platform":
        return _platform(record["event"], verbose)
    if kind == "session.start":
        return f"session {session} starts strategy '{record['application']}' for {record.get('interaction')}"
    if kind == "session.end":
        return f"session {session} ends in '{record.get('final')}'"
    if kind == "action":
        attrs = record.get("attributes") or {}
        shown = " ".join(f"{k}={_short(v, 40)}" for k, v in attrs.items() if k != "interactionid")
        return f"session {session} <{record['action']}> {shown}".rstrip()
    if kind == "log":
        label = f"{record['label']}: " if record.get("label") else ""
        return f"session {session} log {label}{_short(record.get('value'))}"
    if kind == "event" and (record["name"].startswith("error.") or verbose):
        return f"session {session} takes {describe_error(record['name'], record.get('data'))}"
    if kind == "error.raised":
        mark = "ERROR " if is_evaluation_error(record["name"]) else ""
        return f"session {session} {mark}raises {describe_error(record['name'], record.get('data'))}"
    if kind == "error.unhandled":
        return f"session {session} UNHANDLED {describe_error(record['name'], record.get('data'))}"
    if kind == "error":
        return f"ERROR application '{record.get('application')}' cannot start: {record.get('message')}"
    if kind == "session.stopped":
        return f"session {session} STOPPED by its {record.get('budget')} budget: {record.get('description')}"
    if kind == "state" and verbose:
        return f"session {session} enters {record.get('state')}"
    if kind == "treatment.start":
        return f"session {session} plays {record.get('treatment')} to {record.get('interaction')}"
    if kind == "queue.enter":
        return f"session {session} queues {record.get('interaction')} in {record.get('vq')}"
    if kind == "queue.selected":
        return f"session {session} selects {record.get('agent') or record.get('target')}"
    if verbose:
        rest = {k: v for k, v in record.items() if k not in ("t", "kind", "session")}
        return f"{session + ' ' if session else ''}{kind} {_short(rest)}"
    return None


def _platform(ev: dict, verbose: bool) -> str | None:
    data = ev.get("data") or {}
    kind = ev["kind"]
    if kind == "interaction.created":
        props = data.get("properties") or {}
        who = props.get("ani") or props.get("from") or ""
        to = props.get("dnis") or props.get("to") or ""
        return f"{data.get('media', 'interaction')} {ev['interaction_id']} arrives" + \
            (f" from {who}" if who else "") + (f" to {to}" if to else "")
    if kind in ("party.added", "party.changed") and ev.get("agent_id") and ev.get("party_state") in ("ringing",
                                                                                                      "established"):
        verb = "answers" if ev["party_state"] == "established" else "is offered"
        return f"agent {ev['agent_id']} {verb} {ev['interaction_id']} at {ev.get('device')}"
    if kind == "interaction.ended":
        return f"{ev['interaction_id']} ends ({data.get('reason') or 'cleared'})"
    if kind == "agent.statechanged" and ev.get("state") and ev.get("state") != ev.get("previous_state"):
        return f"agent {ev['agent_id']} is {ev['state']}"
    if kind == "request.failed":
        return f"request {ev.get('request')} FAILED: {ev.get('description')} ({ev.get('error')})"
    if verbose:
        rest = {k: v for k, v in ev.items() if k not in ("kind", "time", "seq")}
        return f"platform {kind} {_short(rest)}"
    return None


def line(record: dict, *, verbose: bool = False) -> str | None:
    text = describe(record, verbose=verbose)
    return None if text is None else f"{record['t']:9.2f}  {text}"


def excerpt(trace: list[dict], t: float | None, *, session: str | None = None, interaction: str | None = None,
            before: int = 6, after: int = 4) -> list[str]:
    """The readable trace lines around moment `t`, of one session or interaction when given."""
    def concerns(r: dict) -> bool:
        if session is None and interaction is None:
            return True
        if session is not None and r.get("session") == session:
            return True
        ev = r.get("event") or {}
        return interaction is not None and (r.get("interaction") == interaction
                                            or ev.get("interaction_id") == interaction)
    lines = [(r["t"], text) for r in trace if concerns(r) and (text := line(r, verbose=True)) is not None]
    if not lines:
        return []
    at = t if t is not None else lines[0][0]
    index = next((i for i, (when, _) in enumerate(lines) if when > at), len(lines))
    return [text for _, text in lines[max(0, index - before): index + after]]
