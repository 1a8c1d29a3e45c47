"""The console's HTTP side: the page and its assets, the live feed (SSE), a session's chart, and
the debugger's endpoints (operator endpoints: the operator token when auth is on)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from importlib.resources import files
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, StreamingResponse
from fastapi.staticfiles import StaticFiles

from openors.runtime import Runtime, UnknownSession, is_persistent
from openors.scxml import Session

from .chart import layout
from .debugger import DebugError, Debugger
from .live import LiveView

STATIC = files("openors.server.console") / "static"
FEED_PERIOD_S = 1.0
FEED_LENGTH = 120  # snapshots per connection: a stream ends after ~2 minutes and the page reconnects
MAX_BODY = 64 * 1024


def _debug_error(exc: DebugError) -> JSONResponse:
    body: dict[str, Any] = {"error": "BadDebugRequest" if exc.status == 400 else "NotPaused",
                            "message": exc.message}
    if exc.field:
        body["field"] = exc.field
    return JSONResponse(body, status_code=exc.status)


async def _json_body(request: Request, *required: str) -> dict:
    raw = await request.body()
    try:
        body = json.loads(raw or b"{}")
    except ValueError as exc:
        raise DebugError(f"the body must be JSON: {exc}") from None
    if not isinstance(body, dict):
        raise DebugError("the body must be a JSON object")
    for name in required:
        if name not in body:
            raise DebugError(f"'{name}' is required", field=name)
    return body


def add_console_routes(app: FastAPI, runtime: Runtime, center: Any, debugger: Debugger | None) -> None:
    live = LiveView(runtime, center, debugger)
    app.state.closing = lambda: False  # the server replaces it with "am I shutting down?"
    app.mount("/console/static", StaticFiles(directory=str(STATIC)), name="console-static")

    @app.get("/", include_in_schema=False)
    async def console_page() -> HTMLResponse:
        return HTMLResponse((STATIC / "index.html").read_text(encoding="utf-8"))

    @app.exception_handler(DebugError)
    async def debug_error(request: Request, exc: DebugError) -> JSONResponse:
        return _debug_error(exc)

    @app.get("/ors/console/snapshot", tags=["console"],
             summary="Agents, waiting interactions, sessions by state and KPIs, now")
    async def snapshot() -> JSONResponse:
        return JSONResponse(live.snapshot())

    @app.get("/ors/console/live", tags=["console"],
             summary="The same snapshot every second, as server-sent events (the stream ends after 2 minutes)")
    async def feed(request: Request) -> StreamingResponse:
        async def events() -> AsyncIterator[bytes]:
            yield b"retry: 1000\n\n"
            for _ in range(FEED_LENGTH):
                if await request.is_disconnected() or not runtime.accepting or app.state.closing():
                    return  # a server shutting down waits for open streams: end this one now
                yield b"data: " + json.dumps(live.snapshot(), default=str).encode() + b"\n\n"
                await asyncio.sleep(FEED_PERIOD_S)

        return StreamingResponse(events(), media_type="text/event-stream",
                                 headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})

    @app.get("/ors/console/sessions/{session_id}", tags=["console"],
             summary="What the session page shows: the flow log and, while the session runs, the debugger's state")
    async def session_view(session_id: str) -> JSONResponse:
        found = runtime.flowlogs.entries(session_id)
        if found is None:
            raise UnknownSession(session_id)
        summary, entries = found
        running = session_id in runtime.flowlogs.recorder.live
        status = "running" if running else ("ended" if summary.ended is not None else "evicted")
        debug = debugger.state_of(session_id) if debugger is not None and running else None
        live = dict.get(runtime.host.sessions, session_id)
        if debug is not None and live is not None:  # what a paused session holds back
            debug["queued"] = [e.name for e in list(live.external_queue)[:20]]
        return JSONResponse({"summary": {**summary.as_dict(), "status": status}, "entries": entries, "debug": debug})

    @app.get("/ors/console/sessions/{session_id}/chart", tags=["console"],
             summary="The state chart of a session's document: boxes and edges, laid out")
    async def chart(session_id: str) -> JSONResponse:
        session = dict.get(runtime.host.sessions, session_id)
        if session is not None:
            document = session.document
        else:
            found = runtime.flowlogs.entries(session_id)
            if found is None or not found[0].document:
                raise UnknownSession(session_id)
            document = await runtime.documents.get(found[0].document)
        return JSONResponse(layout(document))

    # --- the debugger -----------------------------------------------------------------------------
    def target(session_id: str) -> tuple[Debugger, Session]:
        if debugger is None:
            raise DebugError("the debugger is off on this server (debugger.enabled: false)", status=403)
        return debugger, runtime.session(session_id)

    def state(session_id: str) -> JSONResponse:
        return JSONResponse({"sessionid": session_id, **(debugger.state_of(session_id) if debugger else {})})

    @app.get("/ors/sessions/{session_id}/debug", tags=["debugger"],
             summary="Paused or not, why, and the session's breakpoints")
    async def debug_state(session_id: str) -> JSONResponse:
        target(session_id)
        return state(session_id)

    @app.put("/ors/sessions/{session_id}/breakpoints", tags=["debugger"],
             summary='Set the breakpoints: {"states": [ids], "events": [names or patterns like queue.*]}')
    async def breakpoints(session_id: str, request: Request) -> JSONResponse:
        dbg, session = target(session_id)
        body = await _json_body(request)
        lists = {}
        for name in ("states", "events"):
            value = body.get(name, [])
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise DebugError(f"'{name}' must be a list of strings", field=name)
            lists[name] = value
        dbg.set_breakpoints(session, lists["states"], lists["events"])
        return state(session_id)

    @app.post("/ors/sessions/{session_id}/pause", tags=["debugger"],
              summary="Pause the session before its next event")
    async def pause(session_id: str) -> JSONResponse:
        dbg, session = target(session_id)
        dbg.pause(session)
        return state(session_id)

    @app.post("/ors/sessions/{session_id}/continue", tags=["debugger"], summary="Let a paused session run on")
    async def resume(session_id: str) -> JSONResponse:
        dbg, session = target(session_id)
        dbg.resume(session)
        return state(session_id)

    @app.post("/ors/sessions/{session_id}/step", tags=["debugger"],
              summary="Let a paused session take one event (one macrostep), then pause it again")
    async def step(session_id: str) -> JSONResponse:
        dbg, session = target(session_id)
        dbg.step(session)
        return state(session_id)

    @app.post("/ors/sessions/{session_id}/evaluate", tags=["debugger"],
              summary='Evaluate an expression in the session\'s datamodel: {"expr": "..."}')
    async def evaluate(session_id: str, request: Request) -> JSONResponse:
        dbg, session = target(session_id)
        body = await _json_body(request, "expr")
        value = dbg.evaluate(session, body["expr"])
        return JSONResponse({"sessionid": session_id, "expr": body["expr"], "value": value})

    @app.post("/ors/sessions/{session_id}/variables", tags=["debugger"],
              summary='Set a variable: {"location": "x", "expr": "42"} (an assignment in the datamodel)')
    async def assign(session_id: str, request: Request) -> JSONResponse:
        dbg, session = target(session_id)
        body = await _json_body(request, "location", "expr")
        value = dbg.assign(session, body["location"], body["expr"])
        if is_persistent(session.document):
            runtime.writer.mark_dirty(session.id)  # the snapshot must carry the new value
        return JSONResponse({"sessionid": session_id, "location": body["location"], "value": value})

