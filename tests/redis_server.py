"""A throwaway redis-server for tests: a free port, no persistence, its own directory.

    @pytest.fixture(scope="module")
    def redis_server(tmp_path_factory):
        with RedisServer(tmp_path_factory.mktemp("redis")) as server:
            yield server

Without redis-server on PATH the Redis tests fail under CI (CI=true: dev.sh installs it there) and
are skipped elsewhere, with the reason."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest


def _free_port() -> int:
    # redis-server cannot pick its own port (--port 0 disables TCP), so ask the OS for one
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def require_redis_server() -> str:
    binary = shutil.which("redis-server")
    if binary is None:
        reason = "redis-server is not installed (./dev.sh test installs it as root; or apt-get install redis-server)"
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)
    return binary


class RedisServer:
    def __init__(self, workdir: Path):
        self.workdir = workdir
        self.process: subprocess.Popen | None = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, timeout: float = 10.0) -> RedisServer:
        binary = require_redis_server()
        import redis

        for _ in range(3):  # the port may be taken between choosing and binding it
            self.port = _free_port()
            self.process = subprocess.Popen(
                [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                 "--dir", str(self.workdir)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            client = redis.Redis(port=self.port, socket_connect_timeout=0.5)
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline and self.process.poll() is None:
                try:
                    if client.ping():
                        client.close()
                        return self
                except redis.ConnectionError:
                    time.sleep(0.02)
            client.close()
            self.stop()
        raise RuntimeError("redis-server did not answer PING")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        self.process = None

    def __enter__(self) -> RedisServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
