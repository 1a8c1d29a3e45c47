"""The W3C Basic HTTP Event I/O Processor (SCXML 1.0 Appendix C.2), over real HTTP.

One processor serves every session of a `SessionHost`: a Starlette app on uvicorn, inside the
host's asyncio loop, accepts `POST <base>/basichttp/<session id>`; one shared httpx client sends.
The host's `sources` policy says which targets a `<send>` may reach (`sources.fetch`; this
processor's own sessions always) and caps bodies both ways (`sources.max_fetch_bytes`: a bigger
request gets 413, a bigger answer is an error.communication).

    processor = await enable_basichttp(host)   # before any session starts
    ...
    await processor.stop()
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from openors.net import bind_tcp

from ..errors import CommunicationError, ExecutionError
from ..events import Event
from ..reading import read_body
from ..sources import SourceError, SourceTooLarge
from .wire import MalformedMessage, decode_request, encode_send, raw_request

if TYPE_CHECKING:
    from openors.scxml import Session

    from ..session import SessionHost

log = logging.getLogger("openors.scxml.basichttp")

BASIC_HTTP = "http://www.w3.org/TR/scxml/#BasicHTTPEventProcessor"
BASIC_HTTP_SHORT = "basichttp"
PATH_PREFIX = "/basichttp/"
ORIGIN_HEADER = "x-scxml-origin"  # the sender's access URI, so the receiver can reply (_event.origin)
PLACE_HEADER = "x-openors-place"  # ties a local send to the queue place kept for it (see _local_target)


class _EmbeddedServer(uvicorn.Server):
    """uvicorn as a part of a larger application: no signal handlers of its own (the application
    owns the signals), and a stop that takes milliseconds (sessions and tests start and stop often)."""

    _wake: asyncio.Event | None = None  # set by request_exit(); made inside the serving loop

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield

    def install_signal_handlers(self) -> None:  # older uvicorn releases
        pass

    def request_exit(self) -> None:
        self.should_exit = True
        if self._wake is not None:
            self._wake.set()

    async def main_loop(self) -> None:
        # uvicorn polls should_exit every 0.1 s; here stop() also wakes the loop at once
        self._wake = asyncio.Event()
        counter = 0
        while not self.should_exit:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), 0.1)
            counter = (counter + 1) % 864000
            self.should_exit = self.should_exit or await self.on_tick(counter)

    async def shutdown(self, sockets: Any = None) -> None:
        # uvicorn always lingers 0.1 s for open connections; with none left there is nothing to wait for
        for _ in range(20):
            if not self.server_state.connections:
                break
            await asyncio.sleep(0.005)
        if self.server_state.connections or self.server_state.tasks:
            await super().shutdown(sockets)
            return
        for server in self.servers:
            server.close()
        for sock in sockets or []:
            sock.close()
        for server in self.servers:
            await server.wait_closed()


class BasicHttpProcessor:
    def __init__(self, *, timeout: float = 10.0, trust_env: bool = False):
        self.host: SessionHost = None  # type: ignore[assignment]  # given by start(), before any use
        self.port: int | None = None
        self.host_ip = "127.0.0.1"
        self._timeout = timeout
        self._trust_env = trust_env  # off by default: loopback traffic must never go through a proxy
        self._server: _EmbeddedServer | None = None
        self._serve_task: asyncio.Task | None = None
        self._client: httpx.AsyncClient | None = None
        self._places: dict[str, tuple[Any, list]] = {}  # place token -> (target session, place)
        self._sending: set[asyncio.Task] = set()

    # --- lifecycle -------------------------------------------------------------------------------
    async def start(self, host: SessionHost, host_ip: str = "127.0.0.1", port: int = 0) -> BasicHttpProcessor:
        """Serve on host_ip:port (0: any free port) until stop(); returns once accepting."""
        if self._serve_task is not None:
            raise RuntimeError("the Basic HTTP processor is already started")
        self.host, self.host_ip = host, host_ip
        sock = bind_tcp(host_ip, port)
        self.port = sock.getsockname()[1]
        app = Starlette(routes=[Route(PATH_PREFIX + "{session_id}", self._receive, methods=["POST"])])
        config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off")
        self._server = _EmbeddedServer(config)
        self._serve_task = asyncio.get_running_loop().create_task(self._server.serve(sockets=[sock]))
        self._client = httpx.AsyncClient(timeout=self._timeout, trust_env=self._trust_env)
        while not self._server.started:
            if self._serve_task.done():
                await self._serve_task  # raises what stopped it
                raise RuntimeError("the Basic HTTP server stopped while starting")
            await asyncio.sleep(0.005)
        return self

    async def stop(self) -> None:
        """Stop serving; sends still on their way are abandoned (no error events)."""
        for task in list(self._sending):
            task.cancel()
        await asyncio.gather(*self._sending, return_exceptions=True)
        if self._client is not None:
            await self._client.aclose()
            self._client = None
        if self._serve_task is not None and self._server is not None:
            self._server.request_exit()
            await self._serve_task
            self._serve_task = None
        for session, place in self._places.values():
            self.host.fill(session, place, None)
        self._places.clear()

    @property
    def base_url(self) -> str:
        if self.port is None:
            raise RuntimeError("start the Basic HTTP processor before sessions ask for its location")
        ip = f"[{self.host_ip}]" if ":" in self.host_ip else self.host_ip
        return f"http://{ip}:{self.port}"

    def location(self, session_id: str) -> str:
        return f"{self.base_url}{PATH_PREFIX}{session_id}"

    # --- sending ---------------------------------------------------------------------------------
    def send(self, host: SessionHost, session: Session, req: dict, event: Event) -> None:
        """Start the POST for a <send>; failures arrive later as error.communication."""
        try:
            url = self._check_target(req.get("target"))
            if not self._is_own(url):
                try:
                    host.sources.check_fetch(url)
                except SourceError as exc:
                    raise ExecutionError(f"Basic HTTP <send> target {exc}") from None
        except ExecutionError as exc:
            if req.get("delay", 0) <= 0:
                raise  # the engine puts it on the sender's internal queue
            # a delayed send fires from a timer, outside any executable content
            host.deliver(session, Event(exc.event_name, "platform", {"message": str(exc)}, sendid=req["sendid"]))
            return
        message = encode_send(event.name, req)
        headers = {"content-type": message.content_type, ORIGIN_HEADER: self.location(session.id)}
        target = self._local_target(url)
        if target is not None:  # a session of ours: keep its queue order as if delivery were instant
            token = uuid.uuid4().hex
            self._places[token] = (target, host.reserve(target))
            headers[PLACE_HEADER] = token
        task = host.spawn(self._post(session, req["sendid"], url, message, headers))
        self._sending.add(task)
        task.add_done_callback(self._sending.discard)

    @staticmethod
    def _check_target(target) -> str:
        if target is None or target == "":
            raise CommunicationError("a Basic HTTP <send> needs a target")
        if not isinstance(target, str) or urlsplit(target).scheme.lower() not in ("http", "https") \
                or not urlsplit(target).netloc:
            raise ExecutionError(f"Basic HTTP <send> target {target!r} is not an http(s) URL")
        return target

    def _is_own(self, url: str) -> bool:
        """A URL of this processor (a session of this host): allowed whatever `sources.fetch` says."""
        parts = urlsplit(url)
        try:
            port = parts.port
        except ValueError:  # not a port number: the POST will fail and report it
            return False
        return (self.port is not None and port == self.port and parts.path.startswith(PATH_PREFIX)
                and (parts.hostname or "").lower() in (self.host_ip, "localhost", "127.0.0.1", "::1"))

    def _local_target(self, url: str):
        """The session of this host that `url` addresses through this server, if any."""
        if not self._is_own(url):
            return None
        return self.host.sessions.get(urlsplit(url).path[len(PATH_PREFIX):])

    async def _post(self, session, sendid: str, url: str, message, headers: dict) -> None:
        problem = None
        limit = self.host.sources.max_fetch_bytes
        assert self._client is not None  # made by start(); sends only happen while started
        try:
            async with asyncio.timeout(self._timeout):  # the whole exchange, however slow the answer
                async with self._client.stream("POST", url, params=message.query or None, content=message.body,
                                               headers=headers) as response:
                    body = await read_body(response, limit, url, time.monotonic() + self._timeout, self._timeout)
            if not response.is_success:
                problem = f"HTTP {response.status_code}: {body.decode('utf-8', 'replace').strip()[:200]}"
        except SourceTooLarge as exc:
            problem = f"the answer is {exc.reason} (sources.max_fetch_bytes)"
        except Exception as exc:  # whatever stops the POST (refused, timeout, bad URL) is a failed send
            problem = f"{type(exc).__name__}: {exc}"
        finally:
            self._settle(headers.get(PLACE_HEADER), None)
        if problem is not None:
            log.info("Basic HTTP send %s to %s failed: %s", sendid, url, problem)
            self.host.deliver(session, Event("error.communication", "platform",
                                             {"message": problem, "target": url}, sendid=sendid))

    def _settle(self, token: str | None, event: Event | None) -> bool:
        """Fill the place kept for a local send; False when there is none (anymore)."""
        entry = self._places.pop(token, None) if token else None
        if entry is None:
            return False
        self.host.fill(entry[0], entry[1], event)
        return True

    # --- receiving -------------------------------------------------------------------------------
    async def _receive(self, request: Request) -> PlainTextResponse:
        session_id = request.path_params["session_id"]
        session = self.host.sessions.get(session_id)
        if session is None:
            return PlainTextResponse(f"no SCXML session '{session_id}'\n", status_code=404)
        try:
            body = await _bounded_body(request, self.host.sources.max_fetch_bytes)
        except SourceTooLarge as exc:
            return PlainTextResponse(f"Basic HTTP event refused: the body is {exc.reason} "
                                     f"(sources.max_fetch_bytes)\n", status_code=413)
        try:
            incoming = decode_request(request.method, request.url.query, dict(request.headers), body)
        except MalformedMessage as exc:
            return PlainTextResponse(f"malformed Basic HTTP event: {exc}\n", status_code=400)
        origin = request.headers.get(ORIGIN_HEADER)
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raw = raw_request(request.method, target, request.scope.get("http_version", "1.1"),
                          list(request.headers.items()), body)
        event = Event(incoming.name, "external", incoming.data, origintype=BASIC_HTTP, raw=raw,
                      origin=origin if origin and urlsplit(origin).scheme in ("http", "https") else None)
        if not self._settle(request.headers.get(PLACE_HEADER), event):
            self.host.deliver(session, event)
        return PlainTextResponse("OK\n")


async def _bounded_body(request: Request, limit: int) -> bytes:
    """The request's body, refused past `limit` bytes: from its Content-Length, else while it streams."""
    length = request.headers.get("content-length")
    if length and length.isdigit() and int(length) > limit:
        raise SourceTooLarge(str(request.url), f"larger than the cap of {limit} bytes (Content-Length {length})")
    chunks, total = [], 0
    async for chunk in request.stream():
        total += len(chunk)
        if total > limit:
            raise SourceTooLarge(str(request.url), f"larger than the cap of {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


async def enable_basichttp(host: SessionHost, host_ip: str = "127.0.0.1", port: int = 0, **options) -> BasicHttpProcessor:
    """Start a Basic HTTP processor for `host` and register it under its URI and `basichttp`."""
    processor = await BasicHttpProcessor(**options).start(host, host_ip, port)
    host.ioprocessors[BASIC_HTTP] = processor
    host.ioprocessors[BASIC_HTTP_SHORT] = processor
    return processor
