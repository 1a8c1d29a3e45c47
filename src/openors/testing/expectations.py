"""Judging a test's expectations against what happened: the interactions' stories (read from the
trace), the sessions' events and logs, the platform's public state, the KPIs and strict problems.

Each failed expectation becomes a `Failure`: what was expected, what happened, and the moment of
the trace to show around it."""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass, field
from typing import Any

from .interactions import Story, timeline
from .kpi import Kpis
from .strict import Problem


@dataclass
class Failure:
    what: str  # `call +1555...: routed_to`, `aggregate: service_level`, `strict`
    expected: str
    actual: str
    t: float | None = None  # the moment of the trace to show
    session: str | None = None
    interaction: str | None = None
    notes: list[str] = field(default_factory=list)


MEDIA_KEYS = {"call": "voice", "chat": "chat", "email": "email", "sms": "sms"}


def check(expect: dict[str, Any], trace: list[dict], stories: dict[str, Story], kpis: Kpis,
          topology: Any, platform: Any) -> list[Failure]:
    failures: list[Failure] = []
    for spec in expect.get("interactions", []):
        failures += _interaction(spec, trace, stories, topology, platform)
    for name, bound in expect.get("aggregate", {}).items():
        failures += _aggregate(name, bound, kpis)
    return failures


def strict_failures(problems: list[Problem], allowed: list[str]) -> list[Failure]:
    out = []
    for p in problems:
        if any(fnmatch.fnmatchcase(f"{p.kind}: {p.message}", g) or fnmatch.fnmatchcase(p.message, g)
               for g in allowed):
            continue
        out.append(Failure(f"strict: {p.kind}", "no " + _STRICT_WORDS[p.kind], p.message, p.t, p.session))
    return out


_STRICT_WORDS = {"load": "document that fails to load", "scenario": "scenario step that fails",
                 "evaluation": "evaluation error", "unhandled": "error event left unhandled",
                 "abnormal-end": "session ending abnormally"}


def _interaction(spec: dict, trace: list[dict], stories: dict[str, Story], topology: Any,
                 platform: Any) -> list[Failure]:
    key = next(k for k in MEDIA_KEYS if k in spec)
    who, nth = str(spec[key]), spec.get("nth", 1)
    label = f"{key} {who}" + (f" (#{nth})" if nth != 1 else "")
    mine = [s for s in stories.values() if s.customer_started and s.media == MEDIA_KEYS[key] and s.origin == who]
    if len(mine) < nth:
        seen = sorted({f"{s.media} {s.origin}" for s in stories.values() if s.customer_started})
        return [Failure(label, f"a {MEDIA_KEYS[key]} interaction from {who}" + (f" (#{nth})" if nth > 1 else ""),
                        f"{len(mine)} such; the run had: {', '.join(seen) or 'none'}")]
    story = mine[nth - 1]
    out: list[Failure] = []

    def fail(what: str, expected: str, actual: str, t: float | None = None) -> None:
        out.append(Failure(f"{label}: {what}", expected, actual, t if t is not None else story.created,
                           story.sessions[0] if story.sessions else None, story.interaction_id,
                           [f"timeline: {timeline(story)}"]))

    if "routed_to" in spec:
        _routed_to(spec["routed_to"], story, topology, fail)
    if spec.get("not_routed") and story.ringing:
        t, device, agent = story.ringing[0]
        fail("not_routed", "never offered to an agent", f"rang {agent or device} at {t:g} s", t)
    if "abandoned" in spec and spec["abandoned"] != story.abandoned:
        actual = "abandoned" if story.abandoned else (f"answered by {story.agent} at {story.answered:g} s"
                                                     if story.answered is not None else "not abandoned")
        fail("abandoned", "abandoned" if spec["abandoned"] else "not abandoned", actual, story.ended)
    if "treatments" in spec:
        played = [r["treatment"] for r in trace if r["kind"] == "treatment.start"
                  and r.get("interaction") == story.interaction_id]
        if not _in_order(spec["treatments"], played):
            fail("treatments", "in order: " + ", ".join(spec["treatments"]), ", ".join(played) or "none played")
    if "udata" in spec:
        snapshot = platform.get_interaction(story.interaction_id) or {}
        udata = snapshot.get("udata", story.udata)
        wrong = {k: v for k, v in spec["udata"].items() if udata.get(k, _MISSING) != v}
        if wrong:
            fail("udata", _show(wrong), _show({k: udata.get(k, "(absent)") for k in wrong}))
    sessions_events = [r for r in trace if r["kind"] == "event" and r["session"] in story.sessions]
    if "final_state" in spec:
        final = story.final_states[0] if story.final_states else None
        if final != spec["final_state"]:
            actual = f"final state {final}" if story.final_states else \
                ("no session took it" if not story.sessions else "its session had not ended")
            fail("final_state", spec["final_state"], actual, story.session_ends[0] if story.session_ends else None)
    if "events" in spec:
        names = [r["name"] for r in sessions_events]
        if not _in_order(spec["events"], names, glob=False):
            missing = _first_missing(spec["events"], names)
            fail("events", "in order: " + ", ".join(spec["events"]),
                 f"{missing} not taken (in that order); the session took: {', '.join(names) or 'nothing'}")
    if "logs" in spec:
        logs = [f"{r['label']}: {r['value']}" if r.get("label") else str(r["value"])
                for r in trace if r["kind"] == "log" and r["session"] in story.sessions]
        if not _in_order(spec["logs"], logs):
            fail("logs", "in order: " + ", ".join(spec["logs"]), "; ".join(logs) or "nothing logged")
    if spec.get("no_unhandled_errors", True):
        for r in trace:
            if r["kind"] == "error.unhandled" and r["session"] in story.sessions:
                fail("no_unhandled_errors", "every error event handled",
                     f"{r['name']} enabled no transition", r["t"])
    return out


_MISSING = object()


def _routed_to(want: dict, story: Story, topology: Any, fail: Any) -> None:
    within = want.get("within")
    target = ", ".join(f"{k} {want[k]}" for k in ("agent", "dn", "skill") if k in want)
    expected = target + (f" within {within:g} s" if within is not None else "")
    for t, device, agent in story.ringing:
        if "agent" in want and agent != want["agent"]:
            continue
        if "dn" in want and device != want["dn"]:
            continue
        if "skill" in want:
            spec = topology.agents.get(agent) if agent else None
            if spec is None or want["skill"] not in spec.skills:
                continue
        waited = t - story.created
        if within is not None and waited > within:
            fail("routed_to", expected, f"reached {agent or device} after {waited:g} s", t)
        return
    offered = ", ".join(f"{a or d} at {t:g} s" for t, d, a in story.ringing) or "never offered to anyone"
    fail("routed_to", expected, offered, story.ringing[0][0] if story.ringing else story.ended)


def _in_order(wanted: list[str], seen: list[str], glob: bool = True) -> bool:
    """Each wanted item matches a seen one, in order (others may come between)."""
    it = iter(seen)
    for w in wanted:
        if not any((fnmatch.fnmatchcase(s, w) if glob else s == w) for s in it):
            return False
    return True


def _first_missing(wanted: list[str], seen: list[str]) -> str:
    for i in range(len(wanted), 0, -1):
        if _in_order(wanted[:i - 1], seen, glob=False) and not _in_order(wanted[:i], seen, glob=False):
            return wanted[i - 1]
    return wanted[0]


def _show(d: dict) -> str:
    return ", ".join(f"{k}={v!r}" for k, v in d.items())


def _aggregate(name: str, bound: Any, kpis: Kpis) -> list[Failure]:
    values = {"offered": kpis.overall.offered, "answered": kpis.overall.answered,
              "abandoned": kpis.overall.abandoned, "service_level": kpis.overall.service_level,
              "asa": kpis.overall.asa, "max_wait": kpis.overall.max_wait, "occupancy": kpis.occupancy}
    value = values[name]
    unit = {"service_level": " %", "occupancy": " %", "asa": " s", "max_wait": " s"}.get(name, "")
    if isinstance(bound, int | float):
        ok, expected = value == bound, f"{bound:g}{unit}"
    else:
        low, high = bound.get("at_least"), bound.get("at_most")
        ok = value is not None and (low is None or value >= low) and (high is None or value <= high)
        expected = " and ".join(p for p in (f"at least {low:g}{unit}" if low is not None else "",
                                            f"at most {high:g}{unit}" if high is not None else "") if p)
    if ok:
        return []
    return [Failure(f"aggregate: {name}", expected, "none" if value is None else f"{value:g}{unit}")]
