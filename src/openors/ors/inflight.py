"""Module requests in flight, kept as data so that no session waits forever after a crash.

Every module action (fetch, queue, dialog, ixn, ...) is answered later by its `.done` or `error.`
event. The work that will answer lives in this process only: an httpx exchange, a waiting queue
entry, a platform request with its timer. When the process dies, that work dies with it, while the
session's snapshot comes back and waits for an answer that can never come.

So every request is recorded here from the moment its action runs until its answer is delivered
to the session's queue (delivered, not processed: a snapshot taken in between carries the answer
in the session's queue, and must not carry the request too). The runtime writes a session's open
requests into its snapshot (`save`); when a snapshot is restored (`restore`), a request this
process still knows is alive (an evicted session restored in the same process: the platform, the
queue router or the HTTP exchange will still answer), and every other one died with an earlier
process: the session gets its error event at once.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from .actions import module_event
from .catalogue_codes import error_data

if TYPE_CHECKING:
    from openors.scxml import Session

log = logging.getLogger("openors.ors")

# Why "timeout": ORS sends the same error event when a request times out (ORS-SPEC §5.0, §9) and
# strategies already handle it; a request whose answer died with the process is, for the strategy,
# one that will never be answered. Events whose catalogue lists no timeout code get the closest
# one they list (`Timeout` for msgbased, else `unknown`), with "[timeout]" in the description.
INTERRUPTED_CODE = "timeout"
INTERRUPTED_DESCRIPTION = ("the request was interrupted by a restart of the server before it was answered; "
                           "its outcome is unknown")


def _key(prefix: str, action: str, requestid: str) -> str:
    return f"{prefix}.{action}:{requestid}"


class InflightRequests:
    """Open requests by session id. Records are plain dicts, exactly what the snapshot carries:
    {requestid, prefix, action, interactionid}."""

    def __init__(self, world):
        self.world = world
        self.by_session: dict[str, dict[str, dict[str, Any]]] = {}

    # --- while the process runs ------------------------------------------------------------------
    def opened(self, session_id: str, action: Any, requestid: str, interactionid: Any = None) -> None:
        record = {"requestid": requestid, "prefix": action.prefix, "action": action.name}
        if interactionid not in (None, ""):
            record["interactionid"] = str(interactionid)
        self.by_session.setdefault(session_id, {})[_key(action.prefix, action.name, requestid)] = record

    def answered(self, session_id: str, event_name: str, requestid: Any) -> None:
        """An event is on its way to the session: if it is the done or error event of an open
        request, that request is closed (intermediate events such as `queue.submit.requestid`
        leave it open)."""
        records = self.by_session.get(session_id)
        if not records or requestid in (None, ""):
            return
        if event_name.startswith("error."):
            stem = event_name[len("error."):]
        elif event_name.endswith(".done"):
            stem = event_name[: -len(".done")]
        else:
            return
        records.pop(f"{stem}:{requestid}", None)
        if not records:
            del self.by_session[session_id]

    def forget(self, session_id: str, prefix: str, action: str, requestid: str) -> None:
        """A request that ends without an answer of its own (a submit withdrawn by <queue:cancel>)."""
        records = self.by_session.get(session_id)
        if records is not None:
            records.pop(_key(prefix, action, requestid), None)
            if not records:
                del self.by_session[session_id]

    def session_ended(self, session_id: str) -> None:
        self.by_session.pop(session_id, None)

    def open_requests(self, session_id: str) -> list[dict[str, Any]]:
        return list(self.by_session.get(session_id, {}).values())

    # --- snapshots ---------------------------------------------------------------------------------
    def save(self, session: Session) -> dict[str, list[dict]] | None:
        """The open requests of a top-level session and of its invoked children, by session id;
        None when there are none (the snapshot then carries nothing)."""
        records = self.by_session.get(session.id)
        if not session.children:  # the usual session: no tree to walk
            return {session.id: [dict(r) for r in records.values()]} if records else None
        out: dict[str, list[dict]] = {}
        stack = [session]
        while stack:
            current = stack.pop()
            records = self.by_session.get(current.id)
            if records:
                out[current.id] = [dict(r) for r in records.values()]
            stack.extend(current.children.values())
        return out or None

    def restore(self, session: Session, saved: Any) -> int:
        """A snapshot came back: answer with an error every request of it that this process does
        not know (its work died with an earlier process). Returns how many were answered."""
        if not isinstance(saved, dict):
            log.warning("ignoring malformed in-flight requests in the snapshot", extra={"session_id": session.id})
            return 0
        sessions = _tree(session)
        count = 0
        for session_id, records in saved.items():
            target = sessions.get(session_id)
            if target is None or not isinstance(records, list):
                continue
            alive = self.by_session.get(session_id, {})
            for record in records:
                if not _well_formed(record):
                    continue
                if _key(record["prefix"], record["action"], record["requestid"]) in alive:
                    continue  # this process still does the work: its answer will come
                self._interrupted(target, record)
                count += 1
        if count:
            log.warning("requests interrupted by a restart answered with their error events",
                        extra={"session_id": session.id, "count": count})
        return count

    def _interrupted(self, session, record: dict) -> None:
        name = f"error.{record['prefix']}.{record['action']}"
        try:
            data = error_data(name, record["requestid"], INTERRUPTED_CODE, INTERRUPTED_DESCRIPTION,
                              {"interactionid": record.get("interactionid")})
        except KeyError:  # an event the catalogue does not know (a module of a later version)
            data = {"requestid": record["requestid"], "error": INTERRUPTED_CODE,
                    "description": INTERRUPTED_DESCRIPTION}
        self.world.trace("request.interrupted", session=session.id, requestid=record["requestid"],
                         action=f"{record['prefix']}.{record['action']}")
        self.world.host.deliver(session, module_event(name, data, record["prefix"]))


def _tree(session) -> dict[str, Any]:
    out = {}
    stack = [session]
    while stack:
        current = stack.pop()
        out[current.id] = current
        stack.extend(current.children.values())
    return out


def _well_formed(record: Any) -> bool:
    return isinstance(record, dict) and all(isinstance(record.get(k), str) and record.get(k)
                                            for k in ("requestid", "prefix", "action"))
