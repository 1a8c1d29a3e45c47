"""The web console (`/`), its live feed, the flow debugger and the offline API docs (docs/console.md)."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from openors.runtime import Runtime

from ..console_config import DebuggerConfig
from .flowlog_routes import add_flowlog_routes


def add_console(app: FastAPI, runtime: Runtime, center: Any = None, debugger: DebuggerConfig | None = None) -> None:
    add_flowlog_routes(app, runtime)
