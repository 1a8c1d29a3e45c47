"""How a session answers a synchronous `/scxml/session/{id}/request/{name}` call.

The request arrives as an ordinary external event whose `_event.origintype` is `REPLY_TYPE` and
whose `_event.origin` names the waiting caller (`urn:openors:reply:<requestid>`; `_event.sendid` is
the request id). The session answers with the standard SCXML reply idiom:

    <send event="reply" targetexpr="_event.origin" typeexpr="_event.origintype">
        <content expr="{balance: balance}"/>
    </send>

This I/O processor resolves the caller with the send's data. The ORS layer's `<session:response>`
can call `ReplyProcessor.answer(requestid, data)` directly.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any

from openors.scxml import Event

if TYPE_CHECKING:
    from openors.scxml import Session, SessionHost

log = logging.getLogger("openors.runtime.replies")

REPLY_TYPE = "urn:openors:reply"
_TARGET_PREFIX = REPLY_TYPE + ":"


def reply_origin(requestid: str) -> str:
    return _TARGET_PREFIX + requestid


class ReplyProcessor:
    def __init__(self):
        self._waiting: dict[str, tuple[str, asyncio.Future]] = {}  # requestid -> (session id, future)

    def location(self, session_id: str) -> str:
        return REPLY_TYPE

    def open(self, requestid: str, session_id: str) -> asyncio.Future:
        future = asyncio.get_running_loop().create_future()
        self._waiting[requestid] = (session_id, future)
        return future

    def close(self, requestid: str) -> None:
        self._waiting.pop(requestid, None)

    def waiting_for(self, session_id: str) -> bool:
        return any(sid == session_id for sid, _ in self._waiting.values())

    def answer(self, requestid: str, reply: Any) -> bool:
        """Resolve the caller of request `requestid`; False when nobody waits (anymore)."""
        entry = self._waiting.pop(requestid, None)
        if entry is None or entry[1].done():
            return False
        entry[1].set_result(reply)
        return True

    def session_ended(self, session_id: str) -> None:
        for requestid, (sid, future) in list(self._waiting.items()):
            if sid == session_id and not future.done():
                future.set_exception(SessionEndedBeforeReply(session_id))
                self._waiting.pop(requestid, None)

    # --- the event I/O processor interface (SessionHost.ioprocessors) ----------------------------
    def send(self, host: SessionHost, session: Session, req: dict, event: Event) -> None:
        target = req.get("target") or ""
        if not isinstance(target, str) or not target.startswith(_TARGET_PREFIX):
            log.warning("reply with target %r names no request", target, extra={"session_id": session.id})
            return
        requestid = target[len(_TARGET_PREFIX):]
        if not self.answer(requestid, {"event": event.name, "data": event.to_dict()["data"]}):
            log.info("reply to request %s came after its caller left", requestid,
                     extra={"session_id": session.id})


class SessionEndedBeforeReply(Exception):
    def __init__(self, session_id: str):
        super().__init__(f"session '{session_id}' ended without answering the request")
        self.session_id = session_id
