"""Module requests to the platform and their outcomes (ORS-SPEC §5.0).

An action sends one platform request; its answer (REQUEST_DONE / REQUEST_FAILED) reaches the
action's `on_done`, or becomes the action's error event; no answer within the timeout becomes the
`timeout` error. Requests the world makes for itself (writing `OP-Session-ID`) are answered to nobody.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from openors.platform.errors import PlatformError
from openors.platform.events import EventKind, PlatformEvent
from openors.scxml import SessionHost

from .actions import ActionError, ModuleAction

DEFAULT_REQUEST_TIMEOUT_S = 30.0


@dataclass
class PendingRequest:
    session_id: str
    action: ModuleAction
    requestid: str
    on_done: Callable[[PlatformEvent], None]
    interactionid: str | None = None
    timer: Any = None
    on_failed: Callable[[], None] | None = None  # undo what the action did when it was sent
    started: float = 0.0  # monotonic, for the request timings operators see


class Requests:
    def __init__(self, host: SessionHost, timeout: float = DEFAULT_REQUEST_TIMEOUT_S,
                 measure: Callable[..., None] | None = None):
        self.host = host
        self.timeout = timeout
        self._measure = measure  # (name, seconds): a server's metrics of module requests
        self.pending: dict[str, PendingRequest] = {}
        self._own: set[str] = set()

    def send(self, ctx: Any, action: ModuleAction, call: Callable[[], str],
             on_done: Callable[[PlatformEvent], None], interactionid: str | None = None,
             timeout: float | None = None, on_failed: Callable[[], None] | None = None) -> None:
        """Send one platform request for an action; its outcome reaches `on_done` or becomes the
        action's error event (also after `timeout`, default `self.timeout`, without an answer;
        treatments that play for minutes give their own)."""
        try:
            platform_id = call()
        except PlatformError as exc:  # refused on the spot (e.g. no contact center connected)
            raise ActionError(exc.code, exc.description, interactionid=interactionid) from None
        pending = PendingRequest(ctx.session_id, action, ctx.requestid, on_done, interactionid,
                                 on_failed=on_failed, started=time.monotonic())
        pending.timer = self.host.clock.call_later(self.timeout if timeout is None else timeout,
                                                   self._timed_out, platform_id)
        self.pending[platform_id] = pending

    def own(self, request_id: str) -> None:
        self._own.add(request_id)

    def is_own(self, request_id: str | None) -> bool:
        return request_id in self._own

    def measure(self, name: str, seconds: float) -> None:
        if self._measure is not None:
            self._measure(name, seconds)

    def session_ended(self, session_id: str) -> None:
        for key in [k for k, p in self.pending.items() if p.session_id == session_id]:
            pending = self.pending.pop(key)
            if pending.timer is not None:
                self.host.clock.cancel(pending.timer)

    def _timed_out(self, platform_id: str) -> None:
        pending = self.pending.pop(platform_id, None)
        if pending is None:
            return
        session = self.host.sessions.get(pending.session_id)
        if session is not None:
            if pending.on_failed is not None:
                pending.on_failed()
            pending.action.fail(session.interpreter, pending.requestid, ActionError(
                "timeout", f"no answer to <{pending.action.name}> within {self.timeout:g}s",
                interactionid=pending.interactionid))

    def outcome(self, ev: PlatformEvent) -> None:
        if ev.request_id is None:
            return  # an outcome always names its request
        if ev.request_id in self._own:
            self._own.discard(ev.request_id)
            return
        pending = self.pending.pop(ev.request_id, None)
        if pending is None:
            return
        action = pending.action
        self.measure(f"{action.prefix}.{action.name}", time.monotonic() - pending.started)
        if pending.timer is not None:
            self.host.clock.cancel(pending.timer)
        session = self.host.sessions.get(pending.session_id)
        if session is None:
            return
        if ev.kind == EventKind.REQUEST_DONE:
            pending.on_done(ev)
        else:
            extra = {"interactionid": ev.interaction_id or pending.interactionid, "callstate": ev.callstate,
                     "properties": (ev.data or {}).get("properties")}
            if pending.on_failed is not None:
                pending.on_failed()
            pending.action.fail(session.interpreter, pending.requestid,
                                ActionError(ev.error or "unknown", ev.description or "request failed", **extra))
