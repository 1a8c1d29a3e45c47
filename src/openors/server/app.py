"""The FastAPI application: thin handlers over a `Runtime`.

ORS API (ORS-SPEC §6): /scxml/session/start, /scxml/session/{id}/event/{name},
/scxml/session/{id}/request/{name}, /scxml/session/{id}/query, /scxml/session/{id}/terminate,
/ors/help. Operator API: /ors/sessions..., /ors/applications, /ors/evict, /metrics.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from openors import __version__
from openors.runtime import Runtime, RuntimeFault

from . import numbers
from .admission import Admission
from .auth import AuthConfig, TokenAuth
from .bodies import read_parameters
from .body_limit import BodyLimit
from .console import add_console
from .console_config import DebuggerConfig
from .fastpath import OrsCalls, OrsFastPath, json_response
from .limits import LimitsConfig
from .logs import current_session

log = logging.getLogger("openors.server")


_FORM_OR_JSON = {"requestBody": {"required": False, "content": {
    "application/x-www-form-urlencoded": {"schema": {"type": "object", "additionalProperties": True}},
    "application/json": {"schema": {"type": "object", "additionalProperties": True}},
}}}
_START_BODY = {"requestBody": {"required": True, "content": {
    media: {"schema": {"type": "object", "required": ["src"], "additionalProperties": True, "properties": {
        "src": {"type": "string", "description": "SCXML document URL, 'URL ALTERNATE-URL', or an application name"},
        "idealtime": {"type": "integer", "description": "start time, ms since the Unix epoch"}}}}
    for media in ("application/x-www-form-urlencoded", "application/json")}}}


def _error(fault: RuntimeFault) -> JSONResponse:
    body = {"error": type(fault).__name__, "message": fault.message, **fault.details}
    headers = None
    if fault.status in (429, 503):
        headers = {"Retry-After": str(getattr(fault, "retry_after", 1))}
    elif fault.status == 413:
        headers = {"Connection": "close"}  # the server stops reading what the client still sends
    return JSONResponse(body, status_code=fault.status, headers=headers)


def _invalid_parameter(exc: RequestValidationError) -> JSONResponse:
    """FastAPI's validation of typed query/path parameters, answered like every other bad input."""
    first = exc.errors()[0] if exc.errors() else {}
    field = str(first.get("loc", ("", "?"))[-1])
    message = f"'{field}': {first.get('msg', 'invalid value')}"
    return JSONResponse({"error": "MalformedBody", "message": message, "field": field}, status_code=400)


_ERROR_BODY = {"content": {"application/json": {"schema": {
    "type": "object", "required": ["error", "message"],
    "properties": {"error": {"type": "string"}, "message": {"type": "string"}}}}}}
# What any endpoint may answer besides its own results (docs/server.md, "Limits and security").
_COMMON_RESPONSES = {
    400: {"description": "MalformedBody, DocumentLoadFailed: the field or document at fault is named", **_ERROR_BODY},
    401: {"description": "Unauthorized: a token is configured and the request has none or a wrong one",
          **_ERROR_BODY},
    413: {"description": "BodyTooLarge: the body is larger than limits.max_body_bytes", **_ERROR_BODY},
    503: {"description": "TooManySessions, Overloaded, PersistenceFailed, SessionMoving, StoreUnavailable, "
                         "ShuttingDown (Retry-After where retrying helps)", **_ERROR_BODY},
}


def create_app(runtime: Runtime, center=None, *, limits: LimitsConfig | None = None,
               auth: AuthConfig | None = None, debugger: DebuggerConfig | None = None) -> FastAPI:
    limits = limits or LimitsConfig()
    app = OrsApi(title="OpenORS", version=__version__,
                  description="ORS-compatible SCXML session API, operator endpoints and metrics.",
                  responses=_COMMON_RESPONSES, docs_url=None, redoc_url=None)  # offline docs: console/
    app.state.runtime = runtime
    app.state.center = center
    admission = app.state.admission = Admission(runtime, limits.max_sessions)
    if center is not None:
        admission.guard_platform(center.world)
    calls = OrsCalls(runtime, admission)

    @app.exception_handler(RequestValidationError)
    async def validation_handler(request: Request, exc: RequestValidationError) -> JSONResponse:
        return _invalid_parameter(exc)

    @app.exception_handler(RuntimeFault)
    async def fault_handler(request: Request, fault: RuntimeFault) -> JSONResponse:
        log.info("request refused: %s", fault.message,
                 extra={"path": request.url.path, "status": fault.status})
        return _error(fault)

    # --- ORS API --------------------------------------------------------------------------------
    @app.post("/scxml/session/start", tags=["ORS"], openapi_extra=_START_BODY,
              summary="Start a session (src required, idealtime optional, other fields -> <data>)")
    async def start(request: Request) -> Response:
        return json_response(*await calls.start(await read_parameters(request), dict(request.scope["headers"])))

    @app.post("/scxml/session/{session_id}/event/{name}", tags=["ORS"], openapi_extra=_FORM_OR_JSON,
              summary="Queue an event; parameters become _event.data")
    async def event(session_id: str, name: str, request: Request) -> Response:
        return json_response(*await calls.event(await read_parameters(request), dict(request.scope["headers"]),
                                                session_id, name))

    @app.post("/scxml/session/{session_id}/request/{name}", tags=["ORS"], openapi_extra=_FORM_OR_JSON,
              summary="Send a request event and wait for the session's reply (504 on timeout)")
    async def request_(session_id: str, name: str, request: Request) -> Response:
        return json_response(*await calls.request(await read_parameters(request), dict(request.scope["headers"]),
                                                  session_id, name))

    @app.get("/scxml/session/{session_id}/query", tags=["ORS"], operation_id="query_session_get",
             summary="The session's data and state configuration")
    @app.post("/scxml/session/{session_id}/query", tags=["ORS"], operation_id="query_session",
              summary="The session's data and state configuration")
    async def query(session_id: str) -> JSONResponse:
        return JSONResponse(runtime.query(session_id))

    @app.get("/scxml/session/{session_id}/terminate", tags=["ORS"], operation_id="terminate_session_get",
             summary="End the session (GET, for tooling)")
    @app.post("/scxml/session/{session_id}/terminate", tags=["ORS"], operation_id="terminate_session",
              summary="End the session")
    async def terminate(session_id: str) -> JSONResponse:
        await runtime.terminate(session_id)
        return JSONResponse({"sessionid": session_id, "status": "terminated"})

    @app.get("/ors/help", tags=["ORS"], summary="What this server offers")
    async def help_() -> JSONResponse:
        routes = [{"path": r.path, "methods": sorted(r.methods - {"HEAD"}), "summary": r.summary}
                  for r in app.routes if getattr(r, "summary", None)]
        return JSONResponse({"server": "OpenORS", "version": __version__, "openapi": app.openapi_url,
                             "docs": "/docs", "endpoints": routes})

    # --- operators ------------------------------------------------------------------------------
    @app.get("/ors/sessions", tags=["operator"], summary="Every session: running, evicted, scheduled")
    async def sessions() -> JSONResponse:
        return JSONResponse({"counts": runtime.counts, "sessions": runtime.list_sessions()})

    @app.get("/ors/sessions/{session_id}", tags=["operator"], summary="One session at a glance")
    async def describe(session_id: str) -> JSONResponse:
        return JSONResponse(runtime.describe(session_id))

    @app.get("/ors/sessions/{session_id}/configuration", tags=["operator"], summary="Active states")
    async def configuration(session_id: str) -> JSONResponse:
        return JSONResponse({"sessionid": session_id, "configuration": runtime.session(session_id).configuration})

    @app.get("/ors/sessions/{session_id}/datamodel", tags=["operator"], summary="Datamodel variables")
    async def datamodel(session_id: str) -> JSONResponse:
        return JSONResponse({"sessionid": session_id, "datamodel": runtime.datamodel(session_id)})

    @app.get("/ors/sessions/{session_id}/trace", tags=["operator"],
             summary="The latest entries of the session's flow log (also after it ended)")
    async def trace(session_id: str) -> JSONResponse:
        return JSONResponse({"sessionid": session_id, "trace": runtime.trace(session_id)})

    @app.get("/ors/quarantine", tags=["operator"],
             summary="Sessions stopped for breaking a budget or failing to restore: kept, not run")
    async def quarantine() -> JSONResponse:
        return JSONResponse({"quarantined": runtime.quarantine.list()})

    @app.delete("/ors/quarantine/{session_id}", tags=["operator"],
                summary="Let a quarantined session go: its stored row is deleted")
    async def release(session_id: str) -> JSONResponse:
        runtime.release_quarantined(session_id)
        return JSONResponse({"sessionid": session_id, "status": "released"})

    @app.get("/ors/applications", tags=["operator"], summary="The configured applications")
    async def applications() -> JSONResponse:
        return JSONResponse({"applications": runtime.settings.applications})

    @app.post("/ors/evict", tags=["operator"], summary="Evict idle sessions now (?idle=seconds)")
    async def evict(idle: float | None = Query(None, ge=0, le=numbers.MAX_EVICT_IDLE_S, allow_inf_nan=False)
                    ) -> JSONResponse:
        return JSONResponse({"evicted": runtime.evict_idle(idle), "counts": runtime.counts})

    add_console(app, runtime, center, debugger)
    if center is not None:
        from .platform_routes import add_platform_routes

        add_platform_routes(app, center)

    @app.get("/metrics", tags=["operator"], summary="Prometheus metrics (ORS counters)")
    async def metrics() -> Response:
        return Response(generate_latest(runtime.metrics.registry), media_type=CONTENT_TYPE_LATEST)

    @app.exception_handler(500)
    async def internal_error(request: Request, exc: Exception) -> JSONResponse:
        # what Starlette answers before InternalErrors (outside it) logs the exception
        return _internal_error(exc)

    # The hot ORS calls are answered first, by a layer that makes the same checks as the ones
    # below (token, body size, internal errors, log context) in one frame; every other request
    # goes through these layers to FastAPI's own stack (routing, validation, its middlewares).
    rest = InternalErrors(SessionLogContext(app.framework))
    rest = BodyLimit(rest, max_bytes=limits.max_body_bytes)
    token_auth = TokenAuth(rest, config=auth) if auth is not None else None
    if token_auth is not None and token_auth.enabled:
        rest = token_auth  # outermost: nothing is read before the token is
    else:
        token_auth = None
    app.front = OrsFastPath(rest, fastapi_app=app, calls=calls, max_body=limits.max_body_bytes,
                            auth=token_auth, on_internal_error=_internal_error)
    return app


class OrsApi(FastAPI):
    """FastAPI behind the server's own ASGI layers (`front`), which every HTTP request crosses
    first; FastAPI's stack (`framework`) sees only what those layers pass on."""

    front = None

    async def __call__(self, scope, receive, send):
        if self.front is not None and scope["type"] == "http":
            await self.front(scope, receive, send)
        else:
            await super().__call__(scope, receive, send)

    async def framework(self, scope, receive, send):
        await super().__call__(scope, receive, send)


def _internal_error(exc: Exception) -> JSONResponse:
    return JSONResponse({"error": "InternalError", "message": f"the server failed: {type(exc).__name__}"},
                        status_code=500)


class SessionLogContext:
    """Every log line written while handling /scxml/session/{id}/... carries the session id.
    A plain ASGI middleware: Starlette's BaseHTTPMiddleware costs a task per request."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        parts = scope.get("path", "").split("/") if scope["type"] == "http" else []
        if len(parts) > 3 and parts[1] == "scxml" and parts[2] == "session" and parts[3] != "start":
            token = current_session.set(parts[3])
            try:
                await self.app(scope, receive, send)
            finally:
                current_session.reset(token)
        else:
            await self.app(scope, receive, send)


class InternalErrors:
    """The last line of defence: an exception no handler knows becomes a JSON 500 `InternalError`
    (no traceback to the client) and one log entry, instead of uvicorn's plain-text page."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def watched_send(message):
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, watched_send)
        except Exception as exc:
            log.exception("internal error", extra={"path": scope.get("path"), "status": 500})
            if started:
                return
            await _internal_error(exc)(scope, receive, send)
