"""`openors demo`: the server on its embedded defaults, a simulated contact center in real time,
sample strategies, generated traffic, and a live view of what happens; the KPIs when it stops.

SQLite store in a fresh temporary folder, the bundled sample site (sales on 5000/5001, support on
5003; agents alice and bob for sales, bob, carol and dave for support; e-mail, SMS and chat
servers) and the bundled strategies.
"""

from __future__ import annotations

import asyncio
import random
import sys
import tempfile
from pathlib import Path
from typing import TextIO

from openors.net import bind_tcp
from openors.runtime import RuntimeSettings
from openors.testing.console import describe

from . import loops
from .cli import run_server
from .config import ServerConfig
from .contact_center import SimulatorConfig
from .logs import configure_logging

DEMO_CALLERS = ["+33142685300", "+441632960961", "+15551110001", "+4930901820", "+34915550123"]
MAX_KPI_RECORDS = 500_000  # what the closing KPI summary is computed from (a long demo keeps the latest)


class Recorder:
    """Every trace record of the demo, for the KPIs printed when it stops."""

    def __init__(self) -> None:
        self.records: list[dict] = []

    def __call__(self, record: dict) -> None:
        self.records.append(record)
        if len(self.records) > MAX_KPI_RECORDS:
            del self.records[: len(self.records) - MAX_KPI_RECORDS]


class LiveView:
    """One readable line per thing a person watching a contact center cares about."""

    def __init__(self, out: TextIO, started: float):
        self.out = out
        self.started = started

    def __call__(self, record: dict) -> None:
        line = self.describe(record)
        if line:
            elapsed = record.get("t", self.started) - self.started
            self.out.write(f"[{elapsed:7.1f}s] {line}\n")
            self.out.flush()

    @staticmethod
    def describe(record: dict) -> str | None:
        return describe(record)  # the same lines as `openors simulate --format text`


async def generate_traffic(center, rng: random.Random, stop: asyncio.Event, pace: float) -> None:
    """Customers call the main number, now and then chat or write; agents come and go."""
    platform = center.platform
    n = 0
    while not stop.is_set():
        n += 1
        kind = rng.random()
        if kind < 0.7:  # sales on 5000/5001, support on 5003 (bob, carol, dave)
            platform.inbound_call(rng.choice(DEMO_CALLERS), rng.choice(["5000", "5000", "5001", "5003"]),
                                  patience=rng.uniform(30, 90))
        elif kind < 0.85:
            platform.inbound_chat(f"Visitor{n}", messages=[{"after": 2, "text": "Hello, I need help"}],
                                  leave_after=120)
        else:
            platform.inbound_email(f"customer{n}@example.org", subject=f"Order {1000 + n}", body="Where is it?")
        if n == 1:  # dave starts his shift
            platform.agent_login("dave", origin="desktop")
        elif n == 2:
            platform.agent_ready("dave", origin="desktop")
        if n % 7 == 0:  # carol comes back from her other work now and then
            platform.agent_ready("carol", origin="desktop")
        try:
            await asyncio.wait_for(stop.wait(), timeout=rng.uniform(0.5, 1.5) * pace)
        except TimeoutError:
            pass


def _free_or_any(port: int, out: TextIO) -> int:
    """The asked port if it is free; otherwise any free port (a demo should just start)."""
    if port == 0:
        return 0
    try:
        bind_tcp("127.0.0.1", port).close()
        return port
    except OSError:
        out.write(f"port {port} is busy: using another one\n")
        return 0


async def run_demo(port: int, duration: float | None, pace: float, out: TextIO = sys.stdout) -> int:
    port = _free_or_any(port, out)
    workdir = Path(tempfile.mkdtemp(prefix="openors-demo-"))
    config = ServerConfig(host="127.0.0.1", port=port, store_type="sqlite", store_path=workdir / "openors.db",
                          runtime=RuntimeSettings(base_dir=str(workdir)),
                          simulator=SimulatorConfig(seed=1))
    configure_logging("WARNING")
    ready: asyncio.Future = asyncio.get_running_loop().create_future()
    stop = asyncio.Event()
    centers = []
    server = asyncio.create_task(run_server(config, ready=ready, stop=stop, on_center=centers.append))
    url = await ready
    center = centers[0]
    started = center.platform.now()
    center.listeners.append(LiveView(out, started))
    recorder = Recorder()
    center.listeners.append(recorder)
    out.write(f"OpenORS demo: HTTP API at {url}  (console {url}/ , docs {url}/docs, sessions {url}/ors/sessions,\n"
              f"  agents {url}/ors/platform/agents, metrics {url}/metrics); store {config.store_path}\n"
              f"  place a call yourself: curl --data-urlencode from=+15550001 -d to=5000 {url}/ors/platform/calls\n"
              f"Ctrl-C to stop.\n\n")
    traffic = asyncio.create_task(generate_traffic(center, random.Random(7), stop, pace))
    try:
        if duration is None:
            await server
        else:
            await asyncio.wait({server}, timeout=duration)
    finally:
        stop.set()
        traffic.cancel()
        await asyncio.gather(traffic, return_exceptions=True)
        code = await server
        out.write("\n" + kpi_summary(recorder.records, center, started) + "\n")
    return code


def kpi_summary(records: list[dict], center, started: float) -> str:
    """The same KPIs as `openors simulate` and `openors test` report (docs/testing.md)."""
    from openors.testing.kpi import compute, format_text

    shifted = [{**r, "t": r.get("t", started) - started} for r in records]
    return format_text(compute(shifted, center.platform.topology, center.platform.now() - started))


def demo(port: int = 8080, duration: float | None = None, pace: float = 6.0) -> int:
    try:
        return loops.run(run_demo(port, duration, pace))
    except KeyboardInterrupt:
        return 0
