"""Headless Debian chromium driven by Playwright, against a real `openors demo` process.

Playwright's own browser download is never used: `executable_path` is the system's chromium, which
./dev.sh installs when it is missing. Without it (or without playwright) the browser tests fail
under CI=true and are skipped elsewhere. Screenshots go to artifacts/browser/ (gitignored) or to
$OPENORS_ARTIFACTS/browser/."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

REPO = Path(__file__).resolve().parents[2]
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]


def _missing(reason: str):
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(reason, pytrace=False)
    pytest.skip(reason)


def chromium_path() -> str:
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    _missing("chromium is not installed (./dev.sh test installs it as root; or apt-get install chromium)")
    raise AssertionError  # not reached


def artifacts_dir() -> Path:
    root = Path(os.environ.get("OPENORS_ARTIFACTS", REPO / "artifacts"))
    folder = root / "browser"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


class DemoProcess:
    """`openors demo --port 0` as a child process; `url` once it listens."""

    def __init__(self, duration: int = 240):
        self.proc = subprocess.Popen([sys.executable, "-m", "openors.cli.main", "demo", "--port", "0",
                                      "--duration", str(duration), "--pace", "1"],
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        first = self.proc.stdout.readline() if self.proc.stdout else ""
        match = re.search(r"HTTP API at (http://\S+)", first)
        if match is None:
            self.stop()
            raise RuntimeError(f"the demo did not start: {first!r}")
        self.url = match.group(1)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}/ors/help", timeout=2, trust_env=False).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError("the demo does not answer")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
