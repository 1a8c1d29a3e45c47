"""Contact-center KPIs of a run, from its trace and topology: offered, answered, abandoned, ASA,
service level, maximum wait, AHT and occupancy, overall, per queue and per agent.

Definitions (docs/testing.md, "KPI report"):
* offered: interactions customers started (inbound calls, chats, e-mails, SMS);
* answered: an agent's party became established; the wait is from arrival to that moment;
* abandoned: a call or chat that ended before any agent answered;
* service level: answered within the threshold / (answered + abandoned), in percent;
* AHT: agents' handling time (connected to an interaction, then after-call work) per answer;
* occupancy: handling time / (handling time + time ready and idle).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass, field
from typing import Any

from .interactions import Story, stories

DEFAULT_SL_THRESHOLD = 20.0  # seconds: the usual "80/20" service-level target's 20


@dataclass
class Counts:
    offered: int = 0
    answered: int = 0
    abandoned: int = 0
    waiting: int = 0  # neither answered nor ended when the run stopped
    asa: float | None = None  # average speed of answer, seconds
    service_level: float | None = None  # percent
    max_wait: float = 0.0


@dataclass
class AgentKpi:
    answered: int = 0
    handling: float = 0.0  # seconds connected to interactions
    after_call_work: float = 0.0
    ready_idle: float = 0.0
    not_ready: float = 0.0
    aht: float | None = None
    occupancy: float | None = None  # percent


@dataclass
class Kpis:
    until: float
    threshold: float
    overall: Counts
    aht: float | None
    occupancy: float | None
    by_queue: dict[str, Counts] = field(default_factory=dict)
    by_agent: dict[str, AgentKpi] = field(default_factory=dict)
    waits: list[float] = field(default_factory=list)  # answered interactions' waits
    waiting_series: list[tuple[float, int]] = field(default_factory=list)  # (t, interactions waiting)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _counts(items: list[Story], now: float, threshold: float) -> Counts:
    c = Counts(offered=len(items))
    answered = [s for s in items if s.answered is not None]
    c.answered = len(answered)
    c.abandoned = sum(1 for s in items if s.abandoned)
    c.waiting = sum(1 for s in items if s.answered is None and s.ended is None)
    if answered:
        c.asa = round(sum(s.wait(now) for s in answered) / len(answered), 2)
    judged = c.answered + c.abandoned
    if judged:
        within = sum(1 for s in answered if s.wait(now) <= threshold)
        c.service_level = round(100.0 * within / judged, 1)
    waits = [s.wait(now) for s in items if s.answered is not None or s.abandoned or s.ended is None]
    c.max_wait = round(max(waits, default=0.0), 2)
    return c


def queue_of(story: Story) -> str:
    return story.queue or story.destination or story.media


def compute(trace: list[dict], topology: Any, now: float, threshold: float = DEFAULT_SL_THRESHOLD) -> Kpis:
    everything = list(stories(trace).values())
    all_stories = [s for s in everything if s.customer_started]
    by_queue: dict[str, list[Story]] = defaultdict(list)
    for s in all_stories:
        by_queue[queue_of(s)].append(s)
    agents = _agent_times(trace, topology, now)
    for s in everything:  # consultations and transfers count for the agents who take them
        for agent in s.connected:
            agents.setdefault(agent, AgentKpi()).answered += 1
    for kpi in agents.values():
        worked = kpi.handling + kpi.after_call_work
        if kpi.answered:
            kpi.aht = round(worked / kpi.answered, 2)
        if worked + kpi.ready_idle > 0:
            kpi.occupancy = round(100.0 * worked / (worked + kpi.ready_idle), 1)
        for name in ("handling", "after_call_work", "ready_idle", "not_ready"):
            setattr(kpi, name, round(getattr(kpi, name), 2))
    worked = sum(a.handling + a.after_call_work for a in agents.values())
    idle = sum(a.ready_idle for a in agents.values())
    answered = sum(a.answered for a in agents.values())
    return Kpis(until=now, threshold=threshold, overall=_counts(all_stories, now, threshold),
                aht=round(worked / answered, 2) if answered else None,
                occupancy=round(100.0 * worked / (worked + idle), 1) if worked + idle else None,
                by_queue={q: _counts(items, now, threshold) for q, items in sorted(by_queue.items())},
                by_agent=dict(sorted(agents.items())),
                waits=[round(s.wait(now), 2) for s in all_stories if s.answered is not None],
                waiting_series=_waiting_series(all_stories, now))


def _agent_times(trace: list[dict], topology: Any, now: float) -> dict[str, AgentKpi]:
    """Seconds each agent spent handling, in after-call work, ready and idle, not ready."""
    state = {aid: (str(getattr(a.state, "value", a.state)), False) for aid, a in topology.agents.items()}
    since = dict.fromkeys(state, 0.0)
    out = {aid: AgentKpi() for aid in state}

    def close(aid: str, t: float) -> None:
        current, busy = state[aid]
        spent = max(0.0, t - since[aid])
        kpi = out[aid]
        if busy:
            kpi.handling += spent
        elif current == "after_call_work":
            kpi.after_call_work += spent
        elif current == "ready":
            kpi.ready_idle += spent
        elif current == "not_ready":
            kpi.not_ready += spent
        since[aid] = t

    for r in trace:
        if r["kind"] != "platform" or r["event"]["kind"] != "agent.statechanged":
            continue
        ev = r["event"]
        aid = ev.get("agent_id")
        if aid not in state:
            continue
        close(aid, r["t"])
        state[aid] = (str(ev.get("state")), bool((ev.get("data") or {}).get("busy")))
    for aid in state:
        close(aid, now)
    return out


def _waiting_series(items: list[Story], now: float) -> list[tuple[float, int]]:
    changes: list[tuple[float, int]] = []
    for s in items:
        changes.append((s.created, 1))
        end = s.answered if s.answered is not None else s.ended
        if end is not None:
            changes.append((end, -1))
    series, waiting = [(0.0, 0)], 0
    for t, delta in sorted(changes):
        waiting += delta
        series.append((t, waiting))
    series.append((now, waiting))
    return series


def _num(value: float | None, unit: str = "") -> str:
    return "-" if value is None else f"{value:g}{unit}"


def format_text(k: Kpis) -> str:
    """The KPI summary printed at the end of simulate, demo and test."""
    o = k.overall
    lines = [f"KPIs over {k.until:g} s (service level: answered within {k.threshold:g} s)",
             f"  offered {o.offered}  answered {o.answered}  abandoned {o.abandoned}  waiting {o.waiting}",
             f"  ASA {_num(o.asa, ' s')}  service level {_num(o.service_level, ' %')}  max wait "
             f"{_num(o.max_wait, ' s')}  AHT {_num(k.aht, ' s')}  occupancy {_num(k.occupancy, ' %')}"]
    if k.by_queue:
        lines.append(f"  {'queue':<20} {'offered':>7} {'answered':>8} {'abandoned':>9} {'ASA':>7} "
                     f"{'SL %':>6} {'max wait':>8}")
        for name, c in k.by_queue.items():
            lines.append(f"  {name:<20} {c.offered:>7} {c.answered:>8} {c.abandoned:>9} {_num(c.asa):>7} "
                         f"{_num(c.service_level):>6} {_num(c.max_wait):>8}")
    if k.by_agent:
        lines.append(f"  {'agent':<20} {'answered':>8} {'AHT':>7} {'occupancy %':>11}")
        for name, a in k.by_agent.items():
            lines.append(f"  {name:<20} {a.answered:>8} {_num(a.aht):>7} {_num(a.occupancy):>11}")
    return "\n".join(lines)
