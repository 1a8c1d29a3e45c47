"""The SCXML event I/O processor (W3C SCXML Appendix C.1) and `<send>` routing for a host.

Targets: none (the session's own external queue), `#_internal`, `#_parent`, `#_<invokeid>` and
`#_scxml_<sessionid>`. Other send types go to the host's registered processors (Basic HTTP, ...).
Delayed sends are kept as data in the session (`pending_sends`) so a snapshot carries them.
"""

from __future__ import annotations

import json
import uuid
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from ..errors import CommunicationError, ExecutionError
from ..events import Event

if TYPE_CHECKING:
    from collections.abc import Callable

    from .. import model as m
    from ..interpreter import Interpreter
    from ..session import Session, SessionHost

SCXML_PROCESSOR = "http://www.w3.org/TR/scxml/#SCXMLEventProcessor"
SCXML_TYPES = {SCXML_PROCESSOR, "scxml"}


def _raw_value(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


class ScxmlEventProcessor:
    def __init__(self, host: SessionHost):
        self.host = host

    def locations(self, session_id: str) -> dict:
        """`_ioprocessors` of a session: this processor and every registered one."""
        scxml = {"location": f"#_scxml_{session_id}"}
        out = {SCXML_PROCESSOR: scxml, "scxml": scxml}
        for uri, proc in self.host.ioprocessors.items():
            out[uri] = {"location": proc.location(session_id)}
        return out

    # --- <send> -------------------------------------------------------------------------------
    def send(self, interp: Interpreter, req: dict, node: m.Send) -> None:
        session = interp.session
        send_type = req["type"]
        if send_type is None or send_type in SCXML_TYPES:
            self._scxml_send(session, req, node)
            return
        processor = self.host.ioprocessors.get(send_type)
        if processor is None:
            raise ExecutionError(f"<send> type '{send_type}' is not supported")
        event = Event(req["event"], "external", req["data"], sendid=_event_sendid(req, node),
                      origin=processor.location(session.id), origintype=send_type)
        if req["delay"] > 0:
            self._schedule(session, req, event, lambda: processor.send(self.host, session, req, event))
        else:
            processor.send(self.host, session, req, event)

    def _scxml_send(self, session: Session, req: dict, node: m.Send) -> None:
        if req["event"] is None:
            raise ExecutionError("<send> to the SCXML event processor needs 'event' or 'eventexpr'")
        target = req["target"]
        if target is not None and target != "" and not (isinstance(target, str) and target.startswith("#_")):
            raise ExecutionError(f"<send> target '{target}' is not valid for the SCXML event processor")
        event = Event(req["event"], "external", req["data"], sendid=_event_sendid(req, node),
                      origin=f"#_scxml_{session.id}", origintype=SCXML_PROCESSOR)
        if req.get("pairs"):
            event.raw = urlencode([(k, _raw_value(v)) for k, v in req["pairs"]])
        if target == "#_internal":
            event.type = "internal"
        if req["delay"] > 0:
            self._schedule(session, req, event,
                           lambda: self._dispatch_later(session, target, event, req["sendid"]))
        else:
            self._dispatch(session, target, event)

    def _dispatch(self, session: Session, target: str | None, event: Event) -> None:
        deliver = self.host.scheduler.deliver
        if not target:
            deliver(session, event)
        elif target == "#_internal":
            session.interpreter.enqueue_internal(event)
        elif target == "#_parent":
            if session.parent is None:
                raise CommunicationError("this session has no parent")
            event.invokeid = session.invokeid
            deliver(session.parent, event)
        elif target.startswith("#_scxml_"):
            other = self.host.sessions.get(target[len("#_scxml_"):])
            if other is None:
                raise CommunicationError(f"no session '{target[len('#_scxml_'):]}'")
            deliver(other, event)
        else:
            child = session.children.get(target[2:])
            if child is None:
                raise CommunicationError(f"no invoked session '{target[2:]}'")
            deliver(child, event)

    def _dispatch_later(self, session: Session, target: str | None, event: Event, sendid: str) -> None:
        try:
            self._dispatch(session, target, event)
        except ExecutionError as exc:
            err = Event(exc.event_name, "platform", {"message": str(exc)}, sendid=sendid)
            self.host.scheduler.deliver(session, err)

    # --- delayed sends ------------------------------------------------------------------------
    def _schedule(self, session: Session, req: dict, event: Event, fire: Callable[[], None]) -> None:
        # Timers are keyed by a fresh key: two sends may share a sendid, and both must arrive.
        key = uuid.uuid4().hex
        due = self.host.clock.now() + req["delay"]
        session.pending_sends[key] = {"sendid": req["sendid"], "due": due, "target": req["target"],
                                      "type": req["type"], "event": event.to_dict()}
        self.host.scheduler.arm(session, key, due, fire)

    def rearm_pending_sends(self, session: Session) -> None:
        """After a restore: put every saved delayed send back on the clock (overdue ones fire at once)."""
        for key, pending in list(session.pending_sends.items()):
            event = Event.from_dict(pending["event"])
            sendid = pending["sendid"]
            if pending["type"] in (None, *SCXML_TYPES):
                def fire(target=pending["target"], ev=event, sid=sendid):
                    self._dispatch_later(session, target, ev, sid)
            else:
                processor = self.host.ioprocessors[pending["type"]]
                req = {"sendid": sendid, "target": pending["target"], "type": pending["type"], "delay": 0.0,
                       "event": event.name, "data": event.data}

                def fire(req=req, ev=event, processor=processor):
                    processor.send(self.host, session, req, ev)

            self.host.scheduler.arm(session, key, pending["due"], fire)

    def cancel_send(self, interp: Interpreter, sendid: str) -> bool:
        """Cancel this session's pending sends with that id; True if there was one."""
        session = interp.session
        keys = [k for k, p in session.pending_sends.items() if p["sendid"] == sendid]
        for key in keys:
            del session.pending_sends[key]
            self.host.scheduler.disarm(session, key)
        return bool(keys)


def _event_sendid(req: dict, node: m.Send) -> str | None:
    return req["sendid"] if (node.id is not None or node.idlocation is not None) else None
