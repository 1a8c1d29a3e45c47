"""`openors platform`: the simulated contact center as a server of its own, on the real clock.

It serves the contact-center endpoints of `openors serve` (/ors/platform/calls, /chats, /emails,
/agents, /interactions, /events and the agent actions: platform_routes.py) and, on the same port,
the WebSocket of `openors-platform/1` (docs/platform-protocol.md) that ORS nodes connect to.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import uvicorn
from fastapi import FastAPI, Request, WebSocket
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

from openors import __version__
from openors.net import bind_tcp
from openors.platform.clock import AsyncioClock
from openors.platform.remote import protocol as p
from openors.platform.remote.hub import Hub, Link, hello_fields
from openors.platform.scenario import load_scenario
from openors.platform.sim import SimulatedPlatform
from openors.platform.sim.scenario_driver import schedule_scenario
from openors.platform.topology import default_topology_path, load_topology
from openors.platform.validation import ConfigError

from . import loops
from .bodies import MalformedBody
from .center_metrics import ContactCenterGauges
from .contact_center import agent_views, interaction_views, keep_recent
from .logs import configure_logging
from .platform_routes import add_platform_routes
from .serving import QuietServer, served

log = logging.getLogger("openors.platform.service")

TOKEN_ENV = p.TOKEN_ENV
MAX_QUEUED_FRAMES = 100_000  # frames waiting for one slow node; beyond, it is disconnected
HELLO_TIMEOUT_S = 10.0


@dataclass
class PlatformOptions:
    topology: Path | None = None
    scenario: Path | None = None
    config_lists: Path | None = None
    host: str = "127.0.0.1"
    port: int = 8090
    seed: int = 0
    token: str | None = None  # nodes (hello) and HTTP clients (bearer) must give it, when set
    grace_s: float = 10.0  # a disconnected node's interactions wait this long for it or a taker
    heartbeat_s: float = 2.0  # nodes send heartbeats this often; silent for 3 periods = gone
    trace_size: int = 500


@dataclass
class PlatformCenter:
    """What the operator endpoints show: the simulator's state, and which node has what."""

    platform: SimulatedPlatform
    hub: Hub
    recent: list[dict[str, Any]] = field(default_factory=list)
    trace_size: int = 500

    def record(self, entry: dict[str, Any]) -> None:
        keep_recent(self.recent, entry, self.trace_size)

    def interactions(self) -> list[dict[str, Any]]:
        return interaction_views(self.platform, "node", self.hub.owners())

    def agents(self) -> list[dict[str, Any]]:
        return agent_views(self.platform)

    def nodes(self) -> list[dict[str, Any]]:
        return [{"node": node, "connected": node in self.hub.links, "owns": count}
                for node, count in sorted(self.hub.load.items())]


def build_center(options: PlatformOptions) -> PlatformCenter:
    topo_path = options.topology or default_topology_path()
    topology = load_topology(topo_path)
    platform = SimulatedPlatform(topology, AsyncioClock(), seed=options.seed)
    platform.refuse_busy_agents = True  # nodes select agents concurrently: one call per agent
    lists_text = options.config_lists.read_text() if options.config_lists else ""
    hub = Hub(platform, grace_s=options.grace_s, heartbeat_s=options.heartbeat_s,
              topology_text=Path(topo_path).read_text(), config_lists_text=lists_text)
    center = PlatformCenter(platform, hub, trace_size=options.trace_size)
    platform.subscribe(lambda ev: center.record({"t": round(ev.time, 6), "kind": "platform", "event": ev.to_dict()}))
    if options.scenario is not None:
        schedule_scenario(platform, load_scenario(options.scenario))
    return center


def create_platform_app(center: PlatformCenter, token: str | None = None) -> FastAPI:
    app = FastAPI(title="OpenORS platform", version=__version__,
                  description="The simulated contact center: operator endpoints and the openors-platform/1 WebSocket.")
    registry = CollectorRegistry()
    registry.register(ContactCenterGauges(center.platform))

    @app.exception_handler(MalformedBody)
    async def malformed(request: Request, exc: MalformedBody) -> JSONResponse:
        return JSONResponse({"error": "MalformedBody", "message": exc.message}, status_code=400)

    add_platform_routes(app, center)

    @app.get("/ors/platform/nodes", tags=["contact center"], summary="ORS nodes and the interactions each owns")
    async def nodes() -> JSONResponse:
        return JSONResponse({"epoch": center.hub.epoch, "nodes": center.nodes(), "offers": center.hub.offers})

    @app.get("/metrics", tags=["operator"], summary="Prometheus metrics of the contact center")
    async def metrics() -> Response:
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    @app.websocket(p.PATH)
    async def protocol(ws: WebSocket) -> None:
        await NodeSession(center.hub, ws, token).run()

    if token:
        app.add_middleware(BearerToken, token=token)
    return app


class BearerToken:
    """Every HTTP request needs `Authorization: Bearer <token>` (401 otherwise); the WebSocket
    checks the hello's `token` instead (NodeSession)."""

    def __init__(self, app, token: str):
        self.app = app
        self.expected = f"Bearer {token}".encode()

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http":
            given = dict(scope.get("headers") or []).get(b"authorization", b"")
            if not hmac.compare_digest(given, self.expected):
                answer = JSONResponse({"error": "Unauthorized", "message": "a bearer token is required "
                                       f"(the platform's {TOKEN_ENV})"}, status_code=401,
                                      headers={"WWW-Authenticate": "Bearer"})
                await answer(scope, receive, send)
                return
        await self.app(scope, receive, send)


class NodeSession:
    """One node's WebSocket: hello first, then frames both ways until it closes or falls silent."""

    def __init__(self, hub: Hub, ws: WebSocket, token: str | None = None):
        self.hub = hub
        self.ws = ws
        self.token = token
        self.out: asyncio.Queue[str | None] = asyncio.Queue()
        self.closing: str | None = None

    def send(self, text: str) -> None:
        if self.closing is not None:
            return
        if len(text) > p.MAX_FRAME_BYTES:  # the node would close the link, and get it again on return
            log.error("frame too large for the protocol, not sent", extra={"bytes": len(text), "head": text[:120]})
            return
        if self.out.qsize() >= MAX_QUEUED_FRAMES:
            self.close("the node does not read its frames fast enough")
            return
        self.out.put_nowait(text)

    def close(self, reason: str) -> None:
        if self.closing is None:
            self.closing = reason
            self.out.put_nowait(None)

    async def _receive(self, timeout: float | None) -> str | None:
        """The next text frame; None when the peer closed. Binary frames are refused."""
        message = await (asyncio.wait_for(self.ws.receive(), timeout) if timeout else self.ws.receive())
        if message["type"] == "websocket.disconnect":
            return None
        if message.get("text") is not None:
            return message["text"]
        raise p.BadFrame("$", "frames are JSON text, not binary")

    async def run(self) -> None:
        await self.ws.accept()
        writer = asyncio.get_running_loop().create_task(self._write())
        node = None
        try:
            try:
                text = await self._receive(HELLO_TIMEOUT_S)
                if text is None:
                    return
                frame = p.decode(text)
                fields = hello_fields(frame)
                given = frame.get("token")
                if self.token and not (isinstance(given, str) and hmac.compare_digest(given, self.token)):
                    raise p.BadFrame("token", "missing or wrong: this platform requires its token")
                link = Link(fields["node"], self.send, _as_set(fields["routing_points"]), _as_set(fields["queues"]),
                            close=self.close)
                self.hub.connect(link, fields)
                node = link.node
            except (p.BadFrame, TimeoutError) as exc:
                error = exc.frame() if isinstance(exc, p.BadFrame) else {
                    "type": p.ERROR, "code": "timeout", "field": "$",
                    "message": f"no hello within {HELLO_TIMEOUT_S:g}s"}
                self.send(p.encode(error))
                self.close(error["message"])
                return
            await self._serve(link)
        except Exception:
            log.exception("node connection failed", extra={"node": node})
        finally:
            if node is not None:
                self.hub.disconnect(node)
            self.close("closed")
            with contextlib.suppress(Exception):
                await asyncio.wait_for(writer, 2)
            writer.cancel()

    async def _serve(self, link: Link) -> None:
        loop = asyncio.get_running_loop()
        self.heard = loop.time()
        watchdog = loop.create_task(self._watch(link))
        try:
            await self._frames(link)
        finally:
            watchdog.cancel()

    async def _watch(self, link: Link) -> None:
        """A node silent for three heartbeat periods is gone: its link is closed."""
        loop = asyncio.get_running_loop()
        silent = self.hub.heartbeat_s * 3
        while self.closing is None:
            await asyncio.sleep(self.hub.heartbeat_s)
            if loop.time() - self.heard > silent:
                log.warning("node fell silent", extra={"node": link.node})
                self.close("silent for three heartbeat periods")
                return

    async def _frames(self, link: Link) -> None:
        loop = asyncio.get_running_loop()
        while self.closing is None:
            try:
                text = await self._receive(None)
                self.heard = loop.time()
            except p.BadFrame as exc:
                self.send(p.encode(exc.frame()))
                continue
            if text is None:
                return
            try:
                self._dispatch(link, p.decode(text))
            except p.BadFrame as exc:
                self.send(p.encode(exc.frame()))
            except Exception as exc:  # values the simulator chokes on: that frame fails, the link goes on
                log.exception("frame failed", extra={"node": link.node})
                self.send(p.encode({"type": p.ERROR, "code": "failed", "field": "$",
                                    "message": f"the platform could not handle this frame: {type(exc).__name__}"}))

    def _dispatch(self, link: Link, frame: dict[str, Any]) -> None:
        kind = frame["type"]
        if kind == p.REQUEST:
            self.hub.request(link, frame)
        elif kind == p.QUERY:
            self.hub.query(link, frame)
        elif kind == p.CLAIM:
            self.hub.claim(link, p.claims(frame))
        elif kind == p.RELEASE:
            self.hub.release(link, p.names(frame, "interactions") or [])
        elif kind == p.HEARTBEAT:
            self.send(p.encode({"type": p.HEARTBEAT, "now": self.hub.clock.now()}))
        else:
            raise p.BadFrame("type", f"unknown frame type {kind!r}", frame.get("id"))

    async def _write(self) -> None:
        while True:
            text = await self.out.get()
            if text is None:
                break
            batch = [text]
            while not self.out.empty() and len(batch) < 256:  # one wake-up, many frames
                nxt = self.out.get_nowait()
                if nxt is None:
                    self.closing = self.closing or "closed"
                    break
                batch.append(nxt)
            for item in batch:
                await self.ws.send_text(item)
            if self.closing is not None and self.out.empty():
                break
        with contextlib.suppress(Exception):
            await self.ws.close(1000 if self.closing in (None, "closed") else 1008)


def _as_set(values: list[str] | None) -> set[str] | None:
    return None if values is None else set(values)


async def run_platform(options: PlatformOptions, ready: asyncio.Future | None = None,
                       stop: asyncio.Event | None = None) -> int:
    center = build_center(options)
    app = create_platform_app(center, options.token)
    sock = bind_tcp(options.host, options.port)
    server = QuietServer(uvicorn.Config(app, log_config=None, access_log=False, lifespan="off",
                                        ws_max_size=p.MAX_FRAME_BYTES, ws_ping_interval=None,
                                        ws_per_message_deflate=False,  # small frames on a LAN: CPU, no gain
                                        timeout_graceful_shutdown=2))
    async with served(server, sock, options.host, stop) as serving:
        if serving.started:
            log.info("listening", extra={"url": serving.url, "port": serving.port, "epoch": center.hub.epoch,
                                         "protocol": p.PROTOCOL})
            if ready is not None and not ready.done():
                ready.set_result(serving.url)
        await serving.task
    return 0


def platform_main(options: PlatformOptions, log_level: str = "INFO") -> int:
    configure_logging(log_level)
    try:
        return loops.run(run_platform(options))
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        log.error("cannot serve: %s", exc)
        return 1
