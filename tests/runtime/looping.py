"""Running the runtime's coroutines in the tests: one loop per test, every wait bounded."""

from __future__ import annotations

import asyncio


def run(coro):
    return asyncio.run(asyncio.wait_for(coro, 20))


async def until(predicate, timeout: float = 5.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.01)
