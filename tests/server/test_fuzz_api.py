"""schemathesis against a real `openors serve`: generated requests for every operation of the
OpenAPI document; none may get a server error."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from .serving import ProcessServer, write_config

pytest.importorskip("schemathesis")


def test_generated_requests_never_get_a_server_error(tmp_path):
    config = write_config(tmp_path, runtime={"idle_eviction_s": None}, sections={"platform": {"simulator": {}}})
    server = ProcessServer(config, tmp_path / "server.log").start()
    try:
        run = subprocess.run(
            [str(Path(sys.executable).parent / "schemathesis"), "run", f"{server.url}/openapi.json",
             "--checks", "not_a_server_error", "--max-examples", "25", "--seed", "9", "--workers", "1",
             "--no-color"], capture_output=True, text=True, timeout=300)
    finally:
        server.terminate()
    assert run.returncode == 0, run.stdout[-4000:]
    assert "Traceback" not in server.log_path.read_text(errors="replace")
