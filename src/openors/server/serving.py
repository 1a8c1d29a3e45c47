"""Running a uvicorn server on a bound socket inside a loop that the caller owns (`openors serve`,
`openors platform`): the process's signals, an optional stop event, and the URL once it listens."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import socket
import threading
from collections.abc import AsyncIterator
from dataclasses import dataclass

import uvicorn

log = logging.getLogger("openors.server")


class QuietServer(uvicorn.Server):
    """uvicorn without its own signal handling: it re-raises the signal after serving, which would
    end the process before the caller has cleaned up (a store flushed, links closed). `served()`
    owns the signals instead."""

    @contextlib.contextmanager
    def capture_signals(self):
        yield


@dataclass
class Serving:
    task: asyncio.Task  # uvicorn's serve(): awaiting it waits until the server has stopped
    url: str
    port: int
    started: bool  # False when uvicorn gave up before listening (the task then holds why)


@contextlib.asynccontextmanager
async def served(server: QuietServer, sock: socket.socket, host: str,
                 stop: asyncio.Event | None = None) -> AsyncIterator[Serving]:
    """Serve on `sock` until SIGTERM/SIGINT (in the main thread; a second one forces the exit) or
    `stop` is set; yields once uvicorn listens (or failed to)."""
    loop = asyncio.get_running_loop()

    def on_signal(signum: int) -> None:
        log.info("signal received, shutting down", extra={"signal": signal.Signals(signum).name})
        if server.should_exit:
            server.force_exit = True
        server.should_exit = True

    async def stop_when_asked(event: asyncio.Event) -> None:
        await event.wait()
        server.should_exit = True

    signals = threading.current_thread() is threading.main_thread()
    if signals:
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, on_signal, signum)
    stopper = loop.create_task(stop_when_asked(stop)) if stop is not None else None
    port = sock.getsockname()[1]
    shown = f"[{host}]" if ":" in host else host
    task = loop.create_task(server.serve(sockets=[sock]))
    try:
        while not server.started and not task.done():
            await asyncio.sleep(0.01)
        yield Serving(task, f"http://{shown}:{port}", port, bool(server.started))
    finally:
        if signals:
            for signum in (signal.SIGTERM, signal.SIGINT):
                loop.remove_signal_handler(signum)
        if stopper is not None:
            stopper.cancel()
