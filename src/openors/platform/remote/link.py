"""One ORS node's WebSocket to the platform (`openors-platform/1`): connecting, hello and welcome,
heartbeats, one writer, and reconnecting after any failure with a bounded, jittered exponential
back-off. What the frames mean is `RemotePlatform`'s (client.py): the link hands it each welcome
and frame, and asks it for the hello to send."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Callable
from typing import Any

import orjson
import websockets

from . import protocol as p

log = logging.getLogger("openors.platform.remote")

MAX_UNSENT = 100_000  # frames kept while the link is down (requests: each also has its timeout)


class PlatformLink:
    def __init__(self, url: str, *, hello: Callable[[], dict[str, Any]],
                 on_welcome: Callable[[dict[str, Any]], None], on_frame: Callable[[dict[str, Any]], None],
                 before_beat: Callable[[], list[dict[str, Any]]] = list, reconnect_min_s: float = 0.1,
                 reconnect_max_s: float = 5.0, heartbeat_s: float = 2.0):
        self.url = url.rstrip("/")
        self.ws_url = "ws" + self.url[len("http"):] + p.PATH if self.url.startswith("http") else self.url
        self._hello = hello
        self._on_welcome = on_welcome
        self._on_frame = on_frame
        self._before_beat = before_beat  # frames to send with each heartbeat (releases)
        self.reconnect_min_s = reconnect_min_s
        self.reconnect_max_s = reconnect_max_s
        self.heartbeat_s = heartbeat_s  # the platform's, once welcomed
        self.connections = 0  # successful hellos, for operators and tests
        self.rng = random.Random()
        self._ws: Any = None
        self._out: asyncio.Queue[str] | None = None  # the live link's outgoing frames
        self._unsent: list[str] = []  # frames made while the link was down, in their order
        self._heard = 0.0  # loop time of the platform's last frame
        self._task: asyncio.Task | None = None
        self._welcomed = asyncio.Event()
        self._stopping = False

    @property
    def connected(self) -> bool:
        return self._out is not None and self._welcomed.is_set()

    async def start(self, wait_s: float) -> bool:
        """Connect in the background; True once welcomed within `wait_s` (it keeps trying)."""
        self._task = asyncio.get_running_loop().create_task(self._run(), name="openors-platform-link")
        try:
            await asyncio.wait_for(self._welcomed.wait(), wait_s)
            return True
        except TimeoutError:
            log.error("the platform did not answer; still trying", extra={"url": self.url})
            return False

    async def stop(self) -> None:
        self._stopping = True
        if self._ws is not None:
            with contextlib.suppress(Exception):
                await self._ws.close()
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    def send(self, frame: dict[str, Any]) -> None:
        text = p.encode(frame)
        if self._out is not None:
            self._out.put_nowait(text)
        elif len(self._unsent) < MAX_UNSENT:
            self._unsent.append(text)

    def drop_unsent(self, frame_id: str) -> None:
        """A frame made while the link was down is no longer wanted (its request timed out)."""
        marker = '"id":' + orjson.dumps(frame_id).decode()
        self._unsent = [text for text in self._unsent if marker not in text]

    # --- the connection -----------------------------------------------------------------------------
    async def _run(self) -> None:
        failures = 0
        while not self._stopping:
            try:
                # no compression: frames are small and the link is a LAN's; deflate costs CPU both ends
                async with websockets.connect(self.ws_url, max_size=p.MAX_FRAME_BYTES, open_timeout=5,
                                              ping_interval=None, close_timeout=2, compression=None) as ws:
                    failures = 0
                    await self._session(ws)
                if not self._stopping:
                    log.warning("platform link closed", extra={"url": self.url})
            except (OSError, TimeoutError, websockets.WebSocketException, p.BadFrame) as exc:
                if not self._stopping:
                    log.warning("platform link down", extra={"url": self.url, "reason": str(exc) or type(exc).__name__})
            finally:
                self._ws = self._out = None
                self._welcomed.clear()
            if self._stopping:
                return
            failures += 1
            delay = min(self.reconnect_max_s, self.reconnect_min_s * 2 ** min(failures, 16))
            await asyncio.sleep(delay * self.rng.uniform(0.5, 1.0))  # jitter: nodes do not return in step

    async def _session(self, ws: Any) -> None:
        self._ws = ws
        await ws.send(p.encode(self._hello()))
        welcome = p.decode(await asyncio.wait_for(ws.recv(), 10))
        if welcome.get("type") != p.WELCOME:
            raise p.BadFrame("type", f"expected welcome, got {welcome.get('type')!r}: {welcome.get('message', '')}")
        self.heartbeat_s = float(welcome.get("heartbeat_s") or self.heartbeat_s)
        self._on_welcome(welcome)
        out: asyncio.Queue[str] = asyncio.Queue()
        for text in self._unsent:
            out.put_nowait(text)
        self._unsent = []
        self._out = out
        self._welcomed.set()
        self.connections += 1
        loop = asyncio.get_running_loop()
        self._heard = loop.time()
        beat = loop.create_task(self._heartbeats(ws, out))
        writer = loop.create_task(self._writer(ws, out))
        try:
            async for text in ws:
                self._heard = loop.time()
                try:
                    self._on_frame(p.decode(text))
                except p.BadFrame as exc:
                    log.error("bad frame from the platform", extra={"field": exc.field, "reason": exc.message})
                except Exception:  # a bug above us must not cut the link
                    log.exception("platform frame failed")
        finally:
            self._out = None
            beat.cancel()
            writer.cancel()

    async def _heartbeats(self, ws: Any, out: asyncio.Queue[str]) -> None:
        """Beat every period; close the link when the platform has been silent for three (its
        answers to our beats are enough to keep it open)."""
        loop = asyncio.get_running_loop()
        while True:
            await asyncio.sleep(self.heartbeat_s)
            if loop.time() - self._heard > self.heartbeat_s * 3:
                log.warning("the platform fell silent", extra={"url": self.url})
                await ws.close(1001, "silent")
                return
            for frame in self._before_beat():
                out.put_nowait(p.encode(frame))
            out.put_nowait(p.encode({"type": p.HEARTBEAT}))

    async def _writer(self, ws: Any, out: asyncio.Queue[str]) -> None:
        """The one writer of the link: frames leave in the order they were made."""
        with contextlib.suppress(websockets.WebSocketException):
            while True:
                await ws.send(await out.get())
