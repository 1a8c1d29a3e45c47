"""Refuse request bodies above a size, without ever holding more than that size in memory.

A plain ASGI middleware: a declared `Content-Length` above the limit is answered 413 before any of
the body is read; a chunked body is counted while the application reads it, and reading past the
limit raises `BodyTooLarge`, answered 413 as long as no response has started."""

from __future__ import annotations

import json

from openors.runtime import RuntimeFault


class BodyTooLarge(RuntimeFault):
    status = 413


def too_large(limit: int) -> BodyTooLarge:
    return BodyTooLarge(f"the request body is larger than {limit} bytes (limits.max_body_bytes)", limit=limit)


def _declared_length(scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None  # the HTTP server refuses a malformed Content-Length itself
    return None


class BodyLimit:
    def __init__(self, app, max_bytes: int):
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _declared_length(scope)
        if declared is not None and declared > self.max_bytes:
            await refuse_too_large(send, too_large(self.max_bytes))
            return
        received = 0
        started = False

        async def counted_receive():
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise too_large(self.max_bytes)
            return message

        async def watched_send(message):
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counted_receive, watched_send)
        except BodyTooLarge as fault:
            if started:
                raise
            await refuse_too_large(send, fault)


async def refuse_too_large(send, fault: BodyTooLarge) -> None:
    body = json.dumps({"error": "BodyTooLarge", "message": fault.message, **fault.details}).encode()
    # Connection: close, so the server stops reading what the client still sends.
    await send({"type": "http.response.start", "status": 413, "headers": [
        (b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
        (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})
