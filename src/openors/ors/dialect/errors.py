"""ORS names for interpreter errors (ORS-SPEC §2.5).

ORS follows the 2009 draft's error vocabulary: `error.illegalcond.<type>`, `error.script.<type>`,
`error.illegalassign`, `error.send.*` ... each with `document`, `element` and `linenumber`.
Applications catch the `error` prefix, so only the ORS name is raised (raising `error.execution`
as well would run their handlers twice). `<type>` is the ECMAScript error class, e.g.
`error.script.ReferenceError`, or `Error` when the failure was not a script exception.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from openors.scxml import model as m
from openors.scxml.errors import CommunicationError, ExecutionError

from ..modules import MODULES, module_of

if TYPE_CHECKING:
    from typing import Any

_JS_ERROR = re.compile(r"^([A-Z][A-Za-z]*Error)\b")


def _error_type(message: str) -> str:
    match = _JS_ERROR.match(message.split(": ", 1)[-1] if message.startswith(("invalid ", "script error"))
                            else message)
    if match:
        return match.group(1)
    found = re.search(r"\b([A-Z][A-Za-z]*Error)\b", message)
    return found.group(1) if found else "Error"


def ors_error_name(exc: ExecutionError, node: Any) -> str:
    kind = _error_type(str(exc))
    if isinstance(exc, CommunicationError):
        return "error.send.nosuchsession" if "no session" in str(exc) else "error.send.failed"
    if isinstance(node, m.Transition | m.If):
        return f"error.illegalcond.{kind}"
    if isinstance(node, m.Assign):
        return "error.illegalassign"
    if isinstance(node, m.Script):
        return f"error.script.{kind}"
    if isinstance(node, m.Data):
        return f"error.illegaldata.{kind}"
    if isinstance(node, m.Send):
        if "type" in str(exc) and "not supported" in str(exc):
            state = getattr(node, "_state_id", None) or "unknown"
            return f"error.send.targettypeinvalid.{state}"
        if "needs 'event'" in str(exc):
            return "error.send.noeventspecified"
        return "error.send.failed"
    if isinstance(node, m.Cancel):
        return "error.cancel.notallowed"
    if isinstance(node, m.CustomAction) and node.handler is None:
        module = module_of(node.namespace)
        if module is not None:  # an action of a module this server does not run
            return f"error.{MODULES[module]}.{node.name}"
        return "error.unsupported.element"
    return f"error.illegalvalue.{kind}"


def ors_error_event(exc: ExecutionError, node: Any) -> tuple[str, dict]:
    data = {"description": str(exc)}
    if isinstance(node, m.CustomAction) and node.handler is None and module_of(node.namespace):
        data["error"] = "unknown"
    if node is not None:
        data.update({"document": node.url, "element": node.tag, "linenumber": node.line})
    return ors_error_name(exc, node), data
