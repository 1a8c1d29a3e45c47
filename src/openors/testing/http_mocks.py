"""HTTP services a strategy calls, answered from declarations instead of the network.

Each `MockRoute` names a method, a URL pattern (a shell glob over the whole URL, query included),
and the answer: status, body (text, or data sent as JSON), headers and a delay. Sessions' HTTP
goes through an httpx transport (the host's `services`), so the fetch code that runs is the
server's own; only the far end is declared. A request no route matches answers 599 with a body
that says so, which the strategy sees as `error.session.fetch` `http.599`.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import Any

import httpx

MAX_DELAY_S = 30.0  # a mock's delay is real time (the exchange is real I/O): keep tests quick

UNMATCHED_STATUS = 599


@dataclass
class MockRoute:
    url: str  # glob over the whole URL: "https://crm.example.com/customers/*"
    method: str = "GET"  # or "*" for any
    status: int = 200
    body: Any = ""  # str as is; anything else is sent as JSON
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds before the answer

    def __post_init__(self) -> None:
        self.method = self.method.upper()
        if not 100 <= int(self.status) <= 599:
            raise ValueError(f"mock {self.method} {self.url}: status {self.status} is not an HTTP status")
        if not 0 <= float(self.delay) <= MAX_DELAY_S:
            raise ValueError(f"mock {self.method} {self.url}: delay must be between 0 and {MAX_DELAY_S:g} s")

    def matches(self, request: httpx.Request) -> bool:
        return self.method in ("*", request.method) and fnmatchcase(str(request.url), self.url)


@dataclass
class CallRecord:
    method: str
    url: str
    body: str


class HttpMocks(httpx.AsyncBaseTransport):
    """The transport sessions' HTTP goes through; `calls` lists what they asked, in order."""

    def __init__(self, routes: list[MockRoute] | None = None):
        self.routes = list(routes or [])
        self.calls: list[CallRecord] = []

    def add(self, route: MockRoute) -> None:
        self.routes.append(route)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        body = (await request.aread()).decode("utf-8", "replace")
        self.calls.append(CallRecord(request.method, str(request.url), body))
        route = next((r for r in self.routes if r.matches(request)), None)
        if route is None:
            return httpx.Response(UNMATCHED_STATUS, text=f"no mock declared for {request.method} {request.url}")
        if route.delay:
            await asyncio.sleep(route.delay)
        if isinstance(route.body, str):
            return httpx.Response(route.status, text=route.body, headers=route.headers)
        return httpx.Response(route.status, content=json.dumps(route.body).encode(),
                              headers={"content-type": "application/json", **route.headers})
