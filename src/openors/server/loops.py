"""The fastest event loop available: uvloop when it is installed, asyncio's own otherwise.

uvicorn picks uvloop itself only when it creates the loop (`uvicorn.run`); `openors serve` creates
its loop first (the runtime lives on it), so it asks here. httptools, the faster HTTP parser, needs
nothing of the kind: uvicorn's `http="auto"` takes it whenever it is installed."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any


def loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    try:
        import uvloop
    except ImportError:
        return None
    return uvloop.new_event_loop


def run(main: Coroutine[Any, Any, Any]) -> Any:
    """`asyncio.run(main)` on the fastest loop available."""
    with asyncio.Runner(loop_factory=loop_factory()) as runner:
        return runner.run(main)
