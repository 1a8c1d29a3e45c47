"""What makes a strict run fail (`openors simulate --strict`, `openors test`), read from a world's
trace: documents that did not load, scenario steps that failed, evaluation errors, error events no
transition handled, sessions stopped abnormally.

An error event a strategy handles (say `error.queue.submit` after its timeout) is not a problem:
only evaluation errors are, handled or not, because they mean the strategy's own code is wrong."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

EVALUATION_ERRORS = ("error.execution", "error.script", "error.illegal")


@dataclass(frozen=True)
class Problem:
    t: float
    kind: str  # load | scenario | evaluation | unhandled | abnormal-end
    message: str
    session: str | None = None

    def __str__(self) -> str:
        return f"{self.t:8.2f}  {self.kind}: {self.message}"


def is_evaluation_error(name: str) -> bool:
    return any(name == p or name.startswith(p + ".") or (p == "error.illegal" and name.startswith(p))
               for p in EVALUATION_ERRORS)


def where(data: Any) -> str:
    """`file:line` of an error event's data (ORS: document/linenumber, W3C: url/line), if it has one."""
    if not isinstance(data, dict):
        return ""
    url, line = data.get("document") or data.get("url"), data.get("linenumber") or data.get("line")
    if not url:
        return ""
    path = url[len("file://"):] if isinstance(url, str) and url.startswith("file://") else str(url)
    return f"{path}:{line}" if line else path


def describe_error(name: str, data: Any) -> str:
    text = ""
    if isinstance(data, dict):
        text = str(data.get("description") or data.get("message") or "")
    place = where(data)
    return f"{place + ': ' if place else ''}{name}{': ' + text if text else ''}"


def scenario_problems(scenario: Any, topology: Any) -> list[Problem]:
    """Scenario steps naming agents the topology does not have (the simulator would ignore them)."""
    found = []
    for step in getattr(scenario, "steps", []):
        agent = step.fields.get("agent") if step.kind == "agent" else None
        if agent is not None and agent not in topology.agents:
            known = ", ".join(sorted(topology.agents)) or "none"
            found.append(Problem(step.at, "scenario", f"{step.where}.agent: unknown agent "
                                 f"{agent!r} (the topology has: {known})"))
    return found


def problems(trace: list[dict]) -> list[Problem]:
    found: list[Problem] = []
    evaluation_seen: set[tuple[str | None, str, float]] = set()
    stopped: set[str] = set()
    for r in trace:
        kind = r["kind"]
        if kind == "error":
            found.append(Problem(r["t"], "load", f"application {r.get('application')!r}: {r.get('message')}"))
        elif kind == "platform":
            ev = r["event"]
            if ev["kind"] == "request.failed" and str(ev.get("request", "")).startswith("scenario:"):
                found.append(Problem(r["t"], "scenario", f"{ev.get('description')} ({ev.get('error')})"))
        elif kind == "error.raised" and is_evaluation_error(r["name"]):
            evaluation_seen.add((r["session"], r["name"], r["t"]))
            found.append(Problem(r["t"], "evaluation", describe_error(r["name"], r.get("data")), r["session"]))
        elif kind == "error.unhandled" and (r["session"], r["name"], r["t"]) not in evaluation_seen:
            found.append(Problem(r["t"], "unhandled", "no transition handled "
                                 + describe_error(r["name"], r.get("data")), r["session"]))
        elif kind == "session.stopped":
            stopped.add(r["session"])
            found.append(Problem(r["t"], "abnormal-end", f"stopped by its {r['budget']} budget: "
                                 f"{r['description']}", r["session"]))
        elif kind == "session.end" and r.get("final") is None and r["session"] not in stopped:
            found.append(Problem(r["t"], "abnormal-end", "ended without reaching a final state", r["session"]))
    return found
