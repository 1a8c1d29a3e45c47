"""The ORS calls that carry the load (start, event, request), answered without FastAPI's routing.

FastAPI's route for a call costs more than the call itself: a dependency solver, a request
object, an exit stack and three layers of exception middleware per request. This ASGI layer sits
inside the server's own middlewares (token, body limit, internal errors, log context), so those
still apply, and answers the hot calls with the same handlers' logic: parameters, faults and
bodies are the same as on the FastAPI routes, which stay in place for the OpenAPI document and for
everything this layer leaves alone (multipart bodies, other methods, other paths).

A fault is answered by the application's own exception handlers (the Redis store's redirect of
an unknown session included), so it reads the same either way."""

from __future__ import annotations

import json
import re

import orjson
from starlette.requests import Request
from starlette.responses import Response

from openors.runtime import RuntimeFault

from . import numbers
from .bodies import MalformedBody, body_parameters, media_type, query_parameters

COOKIE = "ORSSESSIONID"
TIMEOUT_HEADER = b"x-openors-timeout"
_JSON = (b"content-type", b"application/json")
_EVENT = re.compile(r"/scxml/session/([^/]+)/(event|request)/([^/]+)")
_START = "/scxml/session/start"


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
    def __init__(self, app, fastapi_app, calls: OrsCalls):
        self.app = app  # the rest of the stack (FastAPI's router)
        self.fastapi_app = fastapi_app  # whose exception handlers answer faults
        self.calls = calls

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        path = scope["path"]
        if path == _START:
            handler, args = self.calls.start, ()
        else:
            match = _EVENT.fullmatch(path)
            if match is None:
                await self.app(scope, receive, send)
                return
            sid, kind, name = match.groups()
            handler, args = (self.calls.event if kind == "event" else self.calls.request), (sid, name)
        headers = dict(scope["headers"])
        content_type = headers.get(b"content-type", b"").decode("latin-1")
        if media_type(content_type) == "multipart/form-data":
            await self.app(scope, receive, send)  # rare, and python-multipart's job
            return
        try:
            body = await _read_body(receive)
            if body is None:
                return  # the client went away before its request was whole: nothing to answer
            params = body_parameters(query_parameters(scope.get("query_string", b"")), content_type, body)
            status, payload, extra = await handler(params, headers, *args)
        except RuntimeFault as fault:
            await self._fault(scope, receive, send, fault)
            return
        content = _json(payload)
        await send({"type": "http.response.start", "status": status, "headers": [
            _JSON, (b"content-length", str(len(content)).encode()), *extra]})
        await send({"type": "http.response.body", "body": content})

    async def _fault(self, scope, receive, send, fault: RuntimeFault) -> None:
        handlers = self.fastapi_app.exception_handlers
        handler = next(handlers[cls] for cls in type(fault).__mro__ if cls in handlers)
        response = await handler(Request(scope, receive), fault)
        await response(scope, receive, send)


def _json(payload) -> bytes:
    try:
        return orjson.dumps(payload)
    except TypeError:  # what orjson does not take (an integer beyond 64 bits): as Starlette writes it
        return json.dumps(payload, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode()


async def _read_body(receive) -> bytes | None:
    """The whole body, or None when the client disconnects first (the body limit outside counts
    it and stops it past the limit)."""
    chunks = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return None
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)
