"""`openors simulate --debug`: the console and the debugger over a simulation in virtual time.

The simulation runs on the server's loop at `pace` virtual seconds per real second; while a session
is paused the virtual clock waits (other sessions still take what is already queued, in zero virtual
time), so timers never fire behind a paused session's back. `--break state:ID` / `--break event:NAME`
set breakpoints on every session the simulation starts.
"""

from __future__ import annotations

import asyncio
import sys
from typing import Any, TextIO

import uvicorn
from fastapi import FastAPI

from openors.net import bind_tcp
from openors.runtime import UnknownSession
from openors.runtime.flowlog import FlowLogs, FlowLogSettings
from openors.runtime.flowlog_store import MemoryFlowLogStore
from openors.scxml import Session
from openors.scxml.listeners import SessionListener

from ..console_config import DebuggerConfig
from ..contact_center import ContactCenter
from . import add_console


class _NoWriter:
    """A simulation stores nothing."""

    def mark_dirty(self, session_id: str) -> None:
        return None


class _Documents(SessionListener):
    """Documents of the simulation's sessions, by URL, for the charts of finished sessions."""

    def __init__(self) -> None:
        self.by_url: dict[str, Any] = {}

    def session_started(self, session: Session) -> None:
        if session.document.url:
            self.by_url.setdefault(session.document.url, session.document)

    async def get(self, url: str) -> Any:
        document = self.by_url.get(url)
        if document is None:
            raise UnknownSession(url)
        return document


class SimulatedRuntime:
    """What the console's routes use of a `Runtime`, over a simulated world's host."""

    accepting = True

    def __init__(self, world: Any):
        self.host = world.host
        self.flowlogs = FlowLogs(MemoryFlowLogStore(), FlowLogSettings())
        self.host.listeners.subscribe(self.flowlogs.recorder)
        self.flowlogs.recorder.interaction_details = world.platform.get_interaction
        world.trace_listeners.append(self.flowlogs.recorder.world_record)
        self.documents = _Documents()
        self.host.listeners.subscribe(self.documents)
        self.writer = _NoWriter()

    def session(self, session_id: str) -> Session:
        session = dict.get(self.host.sessions, session_id)
        if session is None or session.parent is not None or session.is_done:
            raise UnknownSession(session_id)
        return session

    @property
    def counts(self) -> dict:
        live = [s for s in list(self.host.sessions.values()) if s.parent is None]
        return {"live": len(live), "evicted": 0, "scheduled": 0, "quarantined": 0,
                "queued_events": sum(len(s.external_queue) for s in live)}


def parse_breaks(items: list[str]) -> tuple[set[str], set[str]]:
    states, events = set(), set()
    for item in items:
        kind, sep, name = item.partition(":")
        if not sep or kind not in ("state", "event") or not name or any(c.isspace() for c in name):
            raise ValueError(f"--break {item!r}: expected state:ID or event:NAME (a pattern like queue.* is allowed)")
        (states if kind == "state" else events).add(name)
    return states, events


async def drive(world: Any, until: float, pace: float, debugger: Any) -> None:
    """Virtual time up to `until`, `pace` virtual seconds per real second, held while any session is paused."""
    loop = asyncio.get_running_loop()
    clock, host = world.clock, world.host
    base_virtual, base_real = clock.now(), loop.time()
    was_paused = False
    while True:
        host.run_ready()
        if debugger is not None and debugger.paused:
            was_paused = True
            await asyncio.sleep(0.05)
            continue
        if was_paused:  # the clock waited: pace on from here, no catching up
            base_virtual, base_real, was_paused = clock.now(), loop.time(), False
        due = clock.next_time()
        if due is None or due > until:
            break
        behind = (due - base_virtual) / pace - (loop.time() - base_real)
        if behind > 0:
            await asyncio.sleep(min(behind, 0.1))
            continue
        clock.advance()
        await asyncio.sleep(0)
    clock.run_until(max(until, clock.now()))
    host.run_ready()


async def run_debug_simulation(world: Any, until: float, *, port: int, pace: float, breaks: list[str],
                               linger: float | None, max_pause: float = 300.0, out: TextIO = sys.stderr) -> None:
    runtime = SimulatedRuntime(world)
    center = ContactCenter(world.platform, world.world)
    world.trace_listeners.append(center.record)
    app = FastAPI(title="OpenORS simulation", docs_url=None, redoc_url=None)
    add_console(app, runtime, center, DebuggerConfig(enabled=True, max_pause=max_pause))  # type: ignore[arg-type]
    debugger = app.state.debugger
    states, events = parse_breaks(breaks)
    debugger.default.states, debugger.default.events = states, events
    sock = bind_tcp("127.0.0.1", port)
    server = uvicorn.Server(uvicorn.Config(app, log_config=None, access_log=False, lifespan="off",
                                           timeout_graceful_shutdown=2))
    app.state.closing = lambda: server.should_exit
    serving = asyncio.get_running_loop().create_task(server.serve(sockets=[sock]))
    while not server.started and not serving.done():
        await asyncio.sleep(0.01)
    url = f"http://127.0.0.1:{sock.getsockname()[1]}/"
    out.write(f"debug console: {url}  (virtual time runs at {pace:g}x; the clock waits while a session is paused)\n")
    out.flush()
    try:
        await drive(world, until, pace, debugger)
        stays = f"for {linger:g} s" if linger is not None else "until Ctrl-C"
        out.write(f"simulation reached {until:g} s of virtual time; the console stays up {stays}\n")
        out.flush()
        if linger is None:
            await serving
        else:
            await asyncio.wait({serving}, timeout=linger)
    finally:
        server.should_exit = True
        await asyncio.gather(serving, return_exceptions=True)
