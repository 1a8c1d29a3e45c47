"""A simulated contact center with ORS sessions on one virtual clock, built in one call and
driven step by step: what `openors simulate`, the project's tests and users' strategy tests run.

    world = World("site.yaml", applications={"main": "main.scxml"}, start="2026-03-02T09:00",
                  zone="Europe/Paris", http_mocks=[MockRoute("https://crm.example.com/*", body={"vip": True})])
    ixn = world.platform.inbound_call("+15551110001", "5000")
    world.advance(30)                       # 30 virtual seconds
    assert "queue.submit.done" in world.trace.event_names()
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterable
from datetime import datetime
from pathlib import Path
from typing import Any, TextIO

import httpx

from openors.clock import VirtualClock
from openors.ors.applications import application_url, find_application
from openors.ors.requests import DEFAULT_REQUEST_TIMEOUT_S
from openors.ors.session.config import load_session_config
from openors.ors.world import OrsWorld
from openors.platform.scenario import Scenario, load_scenario
from openors.platform.sim import SimulatedPlatform
from openors.platform.sim.scenario_driver import schedule_scenario
from openors.platform.topology import Topology, default_topology_path, load_topology, parse_topology
from openors.scxml import Event, Session, SessionHost
from openors.scxml.budgets import Budgets

from .coverage import Coverage
from .http_mocks import HttpMocks, MockRoute
from .start import StartClockError, start_epoch
from .trace import Trace
from .watch import EngineWatch

MAX_WALL_SECONDS = 60.0  # advancing virtual time never takes longer than this in real time
# A simulated world's CPU budgets are ten times a server's: a runaway script is still stopped, but a
# shared, loaded CI machine never makes an ordinary macrostep look like one (CPU time is the one
# budget that depends on the machine; microsteps, memory and events are the server's).
VIRTUAL_TIME_BUDGETS = Budgets(eval_cpu=10 * Budgets.eval_cpu, macrostep_cpu=10 * Budgets.macrostep_cpu)


class WorldError(StartClockError):
    """A world that cannot be built as described (bad start time, unknown zone, ...)."""


class World:
    def __init__(self, topology: str | Path | dict | Topology | None = None, *,
                 applications: dict[str, str | Path] | None = None,
                 scenario: str | Path | Scenario | None = None,
                 start: str | datetime | None = None, zone: str | None = None, epoch: float | None = None,
                 config_lists: str | Path | dict | None = None,
                 http_mocks: Iterable[MockRoute] | None = None,
                 seed: int | None = None, request_timeout: float = DEFAULT_REQUEST_TIMEOUT_S,
                 outbound: dict | None = None, trace_file: TextIO | None = None,
                 coverage: Coverage | None = None, budgets: Budgets | None = None):
        topo, topo_path = _topology(topology)
        scen = load_scenario(scenario) if isinstance(scenario, (str, Path)) else scenario
        self.topology, self.scenario = topo, scen
        self.clock = VirtualClock()
        self.platform = SimulatedPlatform(topo, self.clock, seed=seed if seed is not None else (scen.seed if scen else 0),
                                          outbound=outbound)
        self.host = SessionHost(self.clock, budgets=budgets or VIRTUAL_TIME_BUDGETS)
        self.trace = Trace()
        self._trace_file = trace_file
        self.trace_listeners: list[Callable[[dict], None]] = []  # told each record as it is written
        config = load_session_config(config_lists)
        # The sessions' clock at virtual time 0: `epoch` (seconds since 1970) or `start` in `zone`,
        # else the configuration lists' `epoch`, else the real time now.
        if start is not None:
            config.epoch = epoch_of(start, zone)
        elif epoch is not None:
            config.epoch = epoch
        names = {str(h.application) for h in list(topo.devices.values()) + list(topo.queues.values())
                 if getattr(h, "application", None)}
        given = {name: _as_url(src) for name, src in (applications or {}).items()}
        apps = {name: find_application(name, topo_path, given) for name in names | set(given)}
        self.world = OrsWorld(self.platform, self.host, applications=apps, base_url=topo_path.resolve().as_uri(),
                              request_timeout=request_timeout, trace=self._record, config_lists=config)
        # With mocks declared, sessions' HTTP reaches them only; without, the real network.
        self.http = HttpMocks(list(http_mocks)) if http_mocks is not None else None
        if self.http is not None:
            self.host.services.provide(httpx.AsyncBaseTransport, self.http)
        # Unhandled error events, budget stops and coverage: the engine's side of the story.
        self.watch = EngineWatch(lambda kind, **fields: self.world.trace(kind, **fields), coverage)
        self.host.listeners.subscribe(self.watch)
        if scen is not None:
            schedule_scenario(self.platform, scen)

    def _record(self, record: dict) -> None:
        self.trace.append(record)
        for listener in self.trace_listeners:
            listener(record)
        if self._trace_file is not None:
            self._trace_file.write(json.dumps(record, default=str) + "\n")

    # --- time ---------------------------------------------------------------------------------
    @property
    def now(self) -> float:
        return self.clock.now()

    def advance(self, seconds: float) -> None:
        """Let `seconds` of virtual time pass, sessions taking their events as they come. Sessions
        waiting on HTTP (`<session:fetch>`) need `advance_async`."""
        self.run_until(self.clock.now() + seconds)

    def run_until(self, when: float) -> None:
        """Process everything due up to virtual time `when`, and stop the clock there."""
        self.host.run_ready()
        while (due := self.clock.next_time()) is not None and due <= when:
            self.clock.advance()
            self.host.run_ready()
        self.clock.run_until(max(when, self.clock.now()))
        self.host.run_ready()

    async def advance_async(self, seconds: float, *, wall_timeout: float = MAX_WALL_SECONDS) -> None:
        """`advance`, also waiting (in real time) for the HTTP exchanges sessions started."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + wall_timeout
        end = self.clock.now() + seconds
        io_tasks = self.host.scheduler.io_tasks
        while True:
            self.host.run_ready()
            if io_tasks:
                if loop.time() > deadline:
                    raise TimeoutError(f"HTTP exchanges still running after {wall_timeout:g} s of real time")
                await asyncio.wait(set(io_tasks), timeout=0.05)
                continue
            due = self.clock.next_time()
            if due is None or due > end:
                break
            self.clock.advance()
        self.clock.run_until(max(end, self.clock.now()))
        self.host.run_ready()

    def run_until_idle(self, max_events: int | None = None) -> None:
        """Run until nothing is due any more, however far virtual time has to jump."""
        self.host.run_until_idle(max_events)

    def at(self, when: float, callback: Any, *args: Any) -> None:
        """Call `callback(*args)` at virtual time `when` (a customer hanging up, an agent's move)."""
        self.clock.call_at(when, callback, *args)

    # --- sessions -----------------------------------------------------------------------------
    def start(self, application: str, params: dict | None = None) -> Session | None:
        """Start an application's session with no interaction (like `<session:start>`)."""
        session = self.world.start_session(application, params=params)
        self.host.run_ready()
        return session

    def send(self, session: Session | str, name: str, data: Any = None) -> None:
        """Hand an external event to a session (by object or id) and let it take it."""
        target = self.host.sessions.get(session) if isinstance(session, str) else session
        if target is None:
            raise KeyError(f"no session {session!r}")
        self.host.deliver(target, Event(name, "external", data))
        self.host.run_ready()

    def owner(self, interaction_id: str) -> Session | None:
        """The session that owns an interaction now, if any."""
        return self.world.owner_session(interaction_id)

    def evaluate(self, session: Session, expression: str) -> Any:
        """An expression evaluated in a session's datamodel (for assertions)."""
        return session.interpreter.datamodel.evaluate(expression)

    def summary(self) -> dict[str, Any]:
        return self.trace.summary(self.clock.now())


def epoch_of(start: str | datetime, zone: str | None = None) -> float:
    """Seconds since 1970 of a start date and time; one without an offset is on the wall clock of
    `zone` (a Genesys zone name, an IANA zone or an offset; UTC by default)."""
    if isinstance(start, str):
        try:
            start = datetime.fromisoformat(start)
        except ValueError:
            raise WorldError(f"start: {start!r} is not an ISO date and time (2026-03-02T09:00)") from None
    if start.tzinfo is not None:
        return start.timestamp()
    epoch = start_epoch(start.date().isoformat(), start.time().isoformat(), zone)
    assert epoch is not None  # a date was given
    return epoch


def _topology(topology: str | Path | dict | Topology | None) -> tuple[Topology, Path]:
    """The topology, and the path its relative application files are found from."""
    if isinstance(topology, Topology):
        return topology, Path.cwd() / "topology.yaml"
    if isinstance(topology, dict):
        return parse_topology(topology, "topology"), Path.cwd() / "topology.yaml"
    path = Path(topology) if topology is not None else default_topology_path()
    return load_topology(path), path


def _as_url(source: str | Path) -> str:
    """An application given as a path (relative to the working directory) or a URL."""
    text = str(source)
    if "://" in text or text.startswith("file:"):
        return text
    return application_url(source) if Path(source).exists() else text


__all__ = ["World", "WorldError", "epoch_of"]
