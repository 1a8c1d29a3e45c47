"""A real OpenORS server for tests: in a thread of this process, or as a child process."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx

from openors.server.cli import run_server
from openors.server.config import load_config

CHARTS = Path(__file__).parent / "charts"


def write_config(tmp_path: Path, *, runtime: dict | None = None, store: str = "store.db",
                 sections: dict | None = None) -> Path:
    """`sections`: more top-level sections (name -> mapping), written as they are."""
    lines = ["listen: {host: 127.0.0.1, port: 0}", f"store: {{type: sqlite, path: {store}}}",
             "applications:", f"  waiter: {(CHARTS / 'waiter.scxml').as_uri()}",
             "logging: {level: INFO}"]
    if runtime:
        lines.append("runtime: " + json.dumps(runtime))
    for name, value in (sections or {}).items():
        lines.append(f"{name}: " + json.dumps(value))
    path = tmp_path / "openors.yaml"
    path.write_text("\n".join(lines) + "\n")
    return path


class ThreadServer:
    """`run_server` on its own loop in a thread; `url` once it listens."""

    def __init__(self, config_path: Path):
        self.config = load_config(config_path)
        self.url: str | None = None
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._main, daemon=True)
        self._error: BaseException | None = None

    def _main(self) -> None:
        async def main() -> None:
            self._loop = asyncio.get_running_loop()
            self._stop = asyncio.Event()
            ready = self._loop.create_future()
            ready.add_done_callback(lambda f: (setattr(self, "url", f.result()), self._ready.set()))
            await run_server(self.config, ready, self._stop)

        try:
            asyncio.run(main())
        except BaseException as exc:  # reported to the test by start()/stop()
            self._error = exc
            self._ready.set()

    def start(self) -> ThreadServer:
        self._thread.start()
        if not self._ready.wait(15) or self.url is None:
            raise RuntimeError(f"the server did not start: {self._error!r}")
        return self

    def stop(self) -> None:
        self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(15)
        if self._error is not None:
            raise self._error


class ProcessServer:
    """`python -m openors.cli.main serve --config FILE` as a child process (for kill -9)."""

    def __init__(self, config_path: Path, log_path: Path):
        self.config_path = config_path
        self.log_path = log_path
        self.process: subprocess.Popen | None = None
        self.url: str | None = None

    def start(self, timeout: float = 20.0) -> ProcessServer:
        offset = self.log_path.stat().st_size if self.log_path.exists() else 0
        log = open(self.log_path, "ab")  # noqa: SIM115 - kept open by the child
        env = dict(os.environ, PYTHONUNBUFFERED="1")
        self.process = subprocess.Popen([sys.executable, "-m", "openors.cli.main", "serve", "--config",
                                         str(self.config_path)], stdout=log, stderr=log, env=env)
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for line in self.log_path.read_bytes()[offset:].decode(errors="replace").splitlines():
                if line.startswith("{") and '"listening"' in line:
                    self.url = json.loads(line)["url"]
                    return self
            if self.process.poll() is not None:
                break
            time.sleep(0.05)
        raise RuntimeError("the server did not start:\n" + self.log_path.read_text(errors="replace")[-3000:])

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)

    def terminate(self) -> int:
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(15)


def wait_for(predicate, timeout: float = 10.0, interval: float = 0.05):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(interval)


def client(url: str) -> httpx.Client:
    return httpx.Client(base_url=url, timeout=10.0, trust_env=False)
