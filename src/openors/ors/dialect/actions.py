"""The ORS forms of <raise> and <cancel> (see rewrite.py for how documents reach them)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from openors.scxml.errors import ExecutionError
from openors.scxml.events import Event
from openors.scxml.parser import SCXML_NS

if TYPE_CHECKING:
    from typing import Any

    from openors.scxml.interpreter import Interpreter
    from openors.scxml.parser import Parser


class RaiseWithParams:
    """`<raise event="x"><param name expr/></raise>`: an internal event whose data are the params."""

    def compile(self, node: Any, parser: Parser) -> None:
        if not node.attributes.get("event"):
            raise parser.error("<raise> requires 'event'", node.element)
        node.params = [parser.parse_param(c) for c in node.element
                       if isinstance(c.tag, str) and c.tag == f"{{{SCXML_NS}}}param"]

    def execute(self, interp: Interpreter, node: Any) -> None:
        data = interp.exec.event_data([], node.params, None)
        interp.enqueue_internal(Event(node.attributes["event"], "internal", data))


class CancelWithResult:
    """`<cancel sendid="expr"/>`: ORS evaluates `sendid` and answers `cancel.successful`, or
    `error.notallowed` when nothing with that id is pending (already fired, or never sent)."""

    def compile(self, node: Any, parser: Parser) -> None:
        attrs = node.attributes
        if "sendid" not in attrs and "sendidexpr" not in attrs and "id" not in attrs:
            raise parser.error("<cancel> requires 'sendid'", node.element)

    def execute(self, interp: Interpreter, node: Any) -> None:
        attrs = node.attributes
        if "id" in attrs:
            sendid = attrs["id"]
        else:
            sendid = interp.datamodel.evaluate(attrs.get("sendidexpr") or attrs["sendid"])
        if sendid is None:
            raise ExecutionError("<cancel>: the send id is undefined")
        cancelled = interp.host.cancel_send(interp, str(sendid))
        name = "cancel.successful" if cancelled else "error.notallowed"
        interp.enqueue_internal(Event(name, "platform", {"sendid": str(sendid)}))
