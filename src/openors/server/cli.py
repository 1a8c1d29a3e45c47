"""`openors serve --config FILE`: one process, one loop, the runtime behind the HTTP API.

Shutdown on SIGTERM/SIGINT: stop accepting connections, let requests in progress finish (at most
`GRACE_S`), run what is queued, commit every snapshot to the store, exit 0."""

from __future__ import annotations

import asyncio
import logging
import sys

import redis
import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from openors.net import bind_tcp
from openors.runtime import MemoryStore, Runtime, SqliteStore, UnknownSession
from openors.runtime.redis_store import NodeIdInUse, NodeKeeper, RedisStore
from openors.runtime.store import StoreDamaged

from . import loops
from .app import create_app
from .config import ConfigError, ServerConfig, load_config
from .contact_center import attach_contact_center, attach_modules
from .logs import configure_logging
from .remote_center import attach_remote_platform
from .serving import QuietServer, served

log = logging.getLogger("openors.server")

GRACE_S = 5
SETTLE_S = 10  # longest a request waits for this node's takeover pass before 503 SessionMoving
# How long a thread that wants the GIL waits for the event loop's thread to hand it over (Python's
# default is 5 ms): the store's writer thread takes it back after each statement, and a durable
# ack waits for its commit, so every such wait is latency.
SWITCH_INTERVAL_S = 0.001


def serve(config_path: str) -> int:
    try:
        config = load_config(config_path)
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    configure_logging(config.log_level)
    sys.setswitchinterval(SWITCH_INTERVAL_S)
    try:
        return loops.run(run_server(config))
    except (OSError, NodeIdInUse, StoreDamaged) as exc:
        log.error("cannot serve: %s", exc)
        return 1


async def _open_store(config: ServerConfig):
    if config.store_type == "sqlite":
        return SqliteStore(config.store_path)
    if config.store_type == "memory":
        return MemoryStore()
    try:  # off the loop: claiming the node id may wait for a crashed predecessor's heartbeat to expire
        store = await asyncio.to_thread(RedisStore, config.store_url, config.store_node,
                                        heartbeat_s=config.store_heartbeat, prefix=config.store_prefix)
        await asyncio.to_thread(store.claim_node_id)
    except redis.RedisError as exc:
        raise OSError(f"store.url {config.store_url}: cannot use Redis: {exc}") from None
    return store


def _describe_store(config: ServerConfig) -> str:
    if config.store_type == "redis":
        return f"{config.store_url} (node {config.store_node})"
    return str(config.store_path) if config.store_type == "sqlite" else "memory"


def _redirect_to_owner(app: FastAPI, runtime: Runtime, store: RedisStore, keeper: NodeKeeper) -> None:
    """A request for a session this node does not have, but another node owns: 307 to that node
    (same method and body; `Location` = its URL + the same path and query). If the owner is dead,
    its sessions are taken over first (by this node or a peer) and the 307 names the new owner —
    possibly this node itself. A session this node owns in the store but does not run yet is being
    adopted by a takeover pass: once the pass ends, 307 to this node. 503 `SessionMoving` with
    `Retry-After` while the move cannot be completed. 404 only for a session no node has."""

    async def locate(sid: str):
        try:
            return await asyncio.to_thread(store.owner, sid)
        except redis.RedisError:
            return None

    def moving(sid: str, node: str, why: str) -> JSONResponse:
        retry = max(1, round(store.ttl_ms / 1000))
        return JSONResponse({"error": "SessionMoving", "sessionid": sid, "node": node,
                             "message": f"session '{sid}' is moving between nodes: {why}; try again in {retry} s"},
                            status_code=503, headers={"Retry-After": str(retry)})

    def redirect(request: Request, sid: str, node: str, url: str) -> JSONResponse:
        location = url + request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return JSONResponse({"error": "SessionOnAnotherNode", "sessionid": sid, "node": node,
                             "location": location, "message": f"session '{sid}' is served by node {node} at {url}"},
                            status_code=307, headers={"Location": location})

    @app.exception_handler(UnknownSession)
    async def elsewhere(request: Request, fault: UnknownSession) -> JSONResponse:
        sid = fault.details.get("sessionid", "")
        body = {"error": type(fault).__name__, "message": fault.message, **fault.details}
        owner = await locate(sid)
        if owner is not None and not owner.alive:
            try:
                await keeper.take_over()
            except redis.RedisError:
                log.exception("on-demand takeover failed")
            owner = await locate(sid)
        if owner is None:
            return JSONResponse(body, status_code=404)
        if owner.node == store.node:
            # ours in the store: a takeover pass may be adopting it right now; wait for the pass
            try:
                await asyncio.wait_for(keeper.settled(), SETTLE_S)
            except TimeoutError:
                return moving(sid, owner.node, "this node is still taking it over")
            if not runtime.has_session(sid):
                return JSONResponse(body, status_code=404)  # ended (its delete may still be on its way)
            return redirect(request, sid, owner.node, owner.url or str(request.base_url).rstrip("/"))
        if owner.alive and owner.url:
            return redirect(request, sid, owner.node, owner.url)
        return moving(sid, owner.node, f"node {owner.node}, which owns it, is down and a live node "
                                       "takes its sessions over shortly")


async def run_server(config: ServerConfig, ready: asyncio.Future | None = None,
                     stop: asyncio.Event | None = None, on_center=None) -> int:
    """Serve until SIGTERM/SIGINT (main thread only) or until `stop` is set; `ready` gets the URL.
    `on_center(center)` is called once the contact center (if configured) exists."""
    store = await _open_store(config)
    runtime = Runtime(store, config.runtime)
    await runtime.start()
    keeper = None
    if isinstance(store, RedisStore):  # heartbeats from now on, so recovery may take its time
        keeper = NodeKeeper(store, runtime.adopt)
        keeper.start()
    center = world = remote = None
    if config.simulator is not None:
        # before recovery, so the documents recovered sessions need are compiled with the world's
        # preparation (see contact_center.share_documents)
        center = attach_contact_center(runtime, config.simulator, config.applications,
                                       config.runtime.base_dir)
        if on_center is not None:
            on_center(center)
    elif config.remote is not None:  # the contact center is `openors platform` (remote_center.py)
        world, remote = await attach_remote_platform(runtime, config.remote, config.applications,
                                                     config.runtime.base_dir)
    else:
        world = attach_modules(runtime)
    recovered = await runtime.recover()
    sock = bind_tcp(config.host, config.port)
    app = create_app(runtime, center, limits=config.limits, auth=config.auth, debugger=config.debugger)
    if world is not None:  # <session:start> without a contact center obeys limits.max_sessions too
        app.state.admission.guard_platform(world)
    if isinstance(store, RedisStore):
        _redirect_to_owner(app, runtime, store, keeper)
    # No proxy headers (nothing here reads the client's address: they cost a layer per request)
    # and no Server header (what runs here is nobody's business)
    server = QuietServer(uvicorn.Config(app, log_config=None, access_log=False, proxy_headers=False,
                                        server_header=False, lifespan="off",
                                        timeout_graceful_shutdown=GRACE_S))
    app.state.closing = lambda: server.should_exit  # the console's live streams end with the server
    try:
        async with served(server, sock, config.host, stop) as serving:
            if serving.started:
                if isinstance(store, RedisStore):  # published with the heartbeat, for peers' redirects
                    store.url = config.store_advertise_url or serving.url
                    await asyncio.to_thread(store.heartbeat)
                log.info("listening", extra={"url": serving.url, "port": serving.port, "recovered": recovered,
                                             "store": _describe_store(config)})
                if ready is not None and not ready.done():
                    ready.set_result(serving.url)
            await serving.task
    finally:
        if keeper is not None:
            await keeper.stop()
        await runtime.stop()
        if remote is not None:
            await remote.stop()
        log.info("stopped: store flushed", extra=runtime.counts)
    return 0
