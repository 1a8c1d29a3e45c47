"""The web console (`/`), its live feed, the flow debugger and the offline API docs (docs/console.md)."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from openors.runtime import Runtime

from ..console_config import DebuggerConfig
from .debugger import Debugger
from .docs_routes import add_docs_routes
from .flowlog_routes import add_flowlog_routes
from .routes import add_console_routes


def add_console(app: FastAPI, runtime: Runtime, center: Any = None, debugger: DebuggerConfig | None = None) -> None:
    config = debugger or DebuggerConfig()
    app.state.debugger = Debugger(runtime.host, config.max_pause) if config.enabled else None
    add_docs_routes(app)
    add_flowlog_routes(app, runtime)
    add_console_routes(app, runtime, center, app.state.debugger)
