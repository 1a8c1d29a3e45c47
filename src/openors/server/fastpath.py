"""The ORS calls that carry the load (start, event, request), answered without FastAPI's routing.

FastAPI's route for a call costs more than the call itself: a dependency solver, a request
object, an exit stack and three layers of exception middleware per request. This ASGI layer sits
inside the server's own middlewares (token, body limit, internal errors, log context), so those
still apply, and answers the hot calls with the same handlers' logic: parameters, faults and
bodies are the same as on the FastAPI routes, which stay in place for the OpenAPI document and for
everything this layer leaves alone (multipart bodies, other methods, other paths).

A fault is answered by the application's own exception handlers (the Redis store's redirect of
an unknown session included), so it reads the same either way.

It is the outermost layer of the application: for the hot calls it makes, in its one frame, the
checks the generic layers make for every other request (the bearer token, the body size, the
session id in log lines, a JSON 500 for an exception nobody handled), and hands anything it
refuses to those layers, which answer it as they always do (401, 413). Each generic layer costs
a coroutine per request and a wrapper around `send` and `receive`; a hot call crosses none."""

from __future__ import annotations

import json
import logging
import re

import orjson
from starlette.requests import Request

try:  # the cycle of a request on uvicorn's httptools protocol (the one `serve` runs when installed)
    from uvicorn.protocols.http.httptools_impl import RequestResponseCycle as _UvicornCycle
except ImportError:  # pragma: no cover - without httptools
    _UvicornCycle = None
from starlette.responses import Response

from openors.runtime import RuntimeFault

from . import numbers
from .bodies import MalformedBody, body_parameters, media_type, query_parameters
from .body_limit import BodyTooLarge, refuse_too_large, too_large
from .logs import current_session

log = logging.getLogger("openors.server")

COOKIE = "ORSSESSIONID"
TIMEOUT_HEADER = b"x-openors-timeout"
_JSON = (b"content-type", b"application/json")
_EVENT = re.compile(r"/scxml/session/([^/]+)/(event|request)/([^/]+)")
_START = "/scxml/session/start"
_FORM = "application/x-www-form-urlencoded"


class OrsCalls:
    """What start, event and request do with their parameters: (status, JSON payload, headers).
    Both routes to them (this fast path and FastAPI's, for multipart bodies) call these."""

    def __init__(self, runtime, admission):
        self.runtime = runtime
        self.admission = admission

    async def start(self, params: dict, headers: dict):
        src = params.pop("src", None)
        if not isinstance(src, str) or not src.strip():
            raise MalformedBody("'src' (the SCXML document URL) is required")
        idealtime = numbers.idealtime(params.pop("idealtime", None))
        self.admission.check_http()
        session_id = await self.runtime.start_session(src, params, idealtime)
        cookie = f"{COOKIE}={session_id}; HttpOnly; Path=/; SameSite=lax".encode("latin-1")
        return 200, {"sessionid": session_id}, [(b"set-cookie", cookie)]

    async def event(self, params: dict, headers: dict, session_id: str, name: str):
        await self.runtime.send_event(session_id, name, params)
        return 200, {"sessionid": session_id, "event": name, "status": "queued"}, []

    async def request(self, params: dict, headers: dict, session_id: str, name: str):
        given = headers.get(TIMEOUT_HEADER)
        timeout = numbers.request_timeout(None if given is None else given.decode("latin-1"),
                                          "X-OpenORS-Timeout")
        reply = await self.runtime.request(session_id, name, params, timeout)
        return 200, reply["data"], [(b"x-openors-reply-event", reply["event"].encode("latin-1"))]


def json_response(status: int, payload, headers: list) -> Response:
    content = _json(payload)
    return Response(content, status_code=status, media_type="application/json",
                    headers={k.decode("latin-1"): v.decode("latin-1") for k, v in headers})


class OrsFastPath:
    def __init__(self, app, fastapi_app, calls: OrsCalls, *, max_body: int, auth=None,
                 on_internal_error=None):
        self.app = app  # the generic layers, then FastAPI's router: everything else goes there
        self.fastapi_app = fastapi_app  # whose exception handlers answer faults
        self.calls = calls
        self.max_body = max_body
        self.auth = auth  # TokenAuth when tokens are configured
        self.on_internal_error = on_internal_error  # exception -> the 500 response

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        path = scope["path"]
        if path == _START:
            handler, args, sid = self.calls.start, (), None
        else:
            match = _EVENT.fullmatch(path)
            if match is None:
                await self.app(scope, receive, send)
                return
            sid, kind, name = match.groups()
            handler, args = (self.calls.event if kind == "event" else self.calls.request), (sid, name)
        headers = dict(scope["headers"])
        content_type = headers.get(b"content-type", b"").decode("latin-1")
        if content_type != _FORM and media_type(content_type) == "multipart/form-data":
            await self.app(scope, receive, send)  # answered by FastAPI's route
            return
        if _declared_too_large(headers, self.max_body) or (self.auth is not None and not self.auth.permits(scope)):
            await self.app(scope, receive, send)  # rare: answered (or refused) by the generic layers
            return
        token = current_session.set(sid) if sid is not None else None
        try:
            await self._answer(scope, receive, send, headers, content_type, handler, args)
        finally:
            if token is not None:
                current_session.reset(token)

    async def _answer(self, scope, receive, send, headers, content_type, handler, args) -> None:
        try:
            body = await _read_body(receive, self.max_body)
            if body is None:
                return  # the client went away before its request was whole: nothing to answer
            query = scope.get("query_string", b"")
            params = body_parameters(query_parameters(query) if query else {}, content_type, body)
            status, payload, extra = await handler(params, headers, *args)
        except BodyTooLarge as fault:
            await refuse_too_large(send, fault)
            return
        except RuntimeFault as fault:
            await self._fault(scope, receive, send, fault)
            return
        except Exception as exc:  # nothing has been sent yet
            log.exception("internal error", extra={"path": scope.get("path"), "status": 500})
            if self.on_internal_error is None:
                raise
            await self.on_internal_error(exc)(scope, receive, send)
            return
        content = _json(payload)
        start = {"type": "http.response.start", "status": status, "headers": [
            _JSON, (b"content-length", b"%d" % len(content)), *extra]}
        cycle = getattr(send, "__self__", None)
        if type(cycle) is not _UvicornCycle:
            await send(start)
            await send({"type": "http.response.body", "body": content})
            return
        # uvicorn writes the head and the body with a write (a system call) each: gathered here,
        # they leave in one
        transport = cycle.transport
        cycle.transport = gathered = _OneWrite(transport)
        try:
            await send(start)
            await send({"type": "http.response.body", "body": content})
        finally:
            cycle.transport = transport
            gathered.flush()

    async def _fault(self, scope, receive, send, fault: RuntimeFault) -> None:
        handlers = self.fastapi_app.exception_handlers
        handler = next(handlers[cls] for cls in type(fault).__mro__ if cls in handlers)
        response = await handler(Request(scope, receive), fault)
        await response(scope, receive, send)


class _OneWrite:
    """Stands for a connection's transport while uvicorn writes one response: what it writes is
    kept and goes out in one `write` when the response is whole (or before the connection closes)."""

    __slots__ = ("transport", "parts")

    def __init__(self, transport):
        self.transport = transport
        self.parts: list[bytes] = []

    def write(self, data: bytes) -> None:
        self.parts.append(data)

    def flush(self) -> None:
        if self.parts:
            data = b"".join(self.parts)
            self.parts.clear()
            if not self.transport.is_closing():
                self.transport.write(data)

    def close(self) -> None:
        self.flush()
        self.transport.close()

    def __getattr__(self, name: str):
        return getattr(self.transport, name)


def _json(payload) -> bytes:
    try:
        return orjson.dumps(payload)
    except TypeError:  # what orjson does not take (an integer beyond 64 bits): as Starlette writes it
        return json.dumps(payload, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode()


def _declared_too_large(headers: dict, limit: int) -> bool:
    declared = headers.get(b"content-length")
    try:
        return declared is not None and int(declared) > limit
    except ValueError:
        return False  # the HTTP server refuses a malformed Content-Length itself


async def _read_body(receive, limit: int) -> bytes | None:
    """The whole body, or None when the client disconnects first; BodyTooLarge as soon as more
    than `limit` bytes came (a chunked body declares no length)."""
    message = await receive()
    if message["type"] != "http.request":
        return None
    body = message.get("body", b"")
    if len(body) > limit:
        raise too_large(limit)
    if not message.get("more_body", False):
        return body  # the whole body in one message: what a small request nearly always is
    chunks = [body]
    size = len(body)
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return None
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise too_large(limit)
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)
