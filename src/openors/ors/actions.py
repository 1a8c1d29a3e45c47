"""How an ORS module action element runs (ORS-SPEC §5.0).

An action is an asynchronous request: it writes a fresh request id into its `requestid` location at
once, evaluates its value-expression attributes, and asks its module to do the work. The answer
comes back later as `<prefix>.<action>.done` or `error.<prefix>.<action>`. A bad request (missing
attribute, unknown interaction, an attribute that does not evaluate) never stops the session: it
becomes that error event, with a `description` that says what was wrong.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any, cast

from openors.scxml.errors import ExecutionError
from openors.scxml.events import Event

if TYPE_CHECKING:
    from openors.scxml.interpreter import Interpreter
    from openors.scxml.parser import Parser

    from .world import OrsWorld


def new_request_id() -> str:
    return uuid.uuid4().hex.upper()


class ActionError(Exception):
    """A request refused before or by the platform: `code` is the ORS error code."""

    def __init__(self, code: str, description: str, **extra: Any):
        super().__init__(description)
        self.code = code
        self.description = description
        self.extra = extra


class ActionContext:
    """What a module needs to carry out one request.

    It keeps the session's id, not the Session: a request may be answered minutes later (a call
    waiting in a queue), and meanwhile the idle session may have been evicted and restored as a
    new object. `session` and `interp` look the live one up on each use (`host.sessions.get`
    restores an evicted session in the server); both are None once the session has ended."""

    __slots__ = ("session_id", "host", "node", "requestid", "args")

    def __init__(self, interp, node, requestid: str, args: dict[str, Any]):
        self.session_id: str = interp.session.id
        self.host = interp.host
        self.node = node
        self.requestid = requestid
        self.args = args

    @property
    def session(self) -> Any:  # Session, None once it ended (actions read it while it runs)
        return self.host.sessions.get(self.session_id)

    @property
    def interp(self) -> Any:  # Interpreter, None once the session ended
        session = self.session
        return session.interpreter if session is not None else None

    def emit(self, name: str, data: dict) -> None:
        """Deliver a result event to the session (as an external event, like ORS modules)."""
        session = self.session  # may restore an evicted session: it must see the request still open
        if session is not None:  # an ended session hears nothing
            _answered(self.host, session.id, name, data)
            self.host.deliver(session, module_event(name, data))


class ModuleContext:
    """The context module actions run in: the ORS world (`OrsWorld` is the implementation). A world
    provides itself in its host's `services` under this type; actions find it there.

    What actions use of it: `platform`, `host`, `inflight` (requests in flight), `router`,
    `statistics`, `statistic_service`, `session_module`, ownership (`associate`, `release`,
    `resolve_interaction`, ...), `request` / `later` for platform requests, `deliver` and `trace`."""

    host: Any
    platform: Any
    inflight: Any
    tracing: bool = False

    def trace(self, kind: str, **fields: Any) -> None:
        raise NotImplementedError


def context_of(host: Any) -> OrsWorld | None:
    """The world a host's module actions run in, if it has one."""
    return cast("OrsWorld | None", host.services.get(ModuleContext))


def _answered(host, session_id: str, name: str, data: Any) -> None:
    """The answer to a request is on its way: it is no longer in flight (openors.ors.inflight)."""
    world = context_of(host)
    if world is not None and isinstance(data, dict):
        world.inflight.answered(session_id, name, data.get("requestid"))


def module_event(name: str, data: dict, module: str | None = None) -> Event:
    module = module or name.split(".")[0 if not name.startswith("error.") else 1]
    return Event(name, "external", data, origin=f"fm:{module}", origintype="fm")


class ModuleAction:
    """One action element. Subclasses set the names and attribute kinds and implement `run`."""

    module = ""          # e.g. "interaction"
    name = ""            # local name, e.g. "redirect"
    prefix = ""          # event prefix: interaction, voice, msgbased, chat, queue, ...
    expressions: tuple[str, ...] = ()   # value-expression attributes
    literals: tuple[str, ...] = ()      # NMTOKEN attributes, taken as written
    required: tuple[str, ...] = ()

    def compile(self, node: Any, parser: Parser) -> None:
        # At load a missing attribute is only a lint finding: at run time it becomes the action's
        # error event, as ORS does, so a strategy is never rejected for it.
        for attr in self.required:
            if attr not in node.attributes and parser.collect:
                parser.problems.append(parser.error(f"<{self.name}> requires '{attr}'", node.element))

    # Most actions write a fresh request id into their `requestid` location; a few (queue cancel
    # and query) name an earlier request with it instead, as a value expression.
    requestid_names_earlier_request = False

    def execute(self, interp: Interpreter, node: Any) -> None:
        requestid = new_request_id()
        location = node.attributes.get("requestid")
        if location and not self.requestid_names_earlier_request:
            interp.datamodel.assign_value(location, requestid)
        world = context_of(interp.host)
        try:
            args = self.evaluate(interp, node)
            if self.requestid_names_earlier_request and args.get("requestid") not in (None, ""):
                requestid = str(args["requestid"])
            if world is not None and world.tracing:
                world.trace("action", session=interp.session.id, action=f"{self.prefix}.{self.name}",
                            requestid=requestid, attributes=args)
            if world is None:
                raise ActionError("unknown", f"<{self.name}>: this server runs no {self.module} module")
            # Open from now until its answer is delivered, so a snapshot carries it (inflight.py).
            world.inflight.opened(interp.session.id, self, requestid, args.get("interactionid"))
            self.run(ActionContext(interp, node, requestid, args), world)
        except ActionError as exc:
            self.fail(interp, requestid, exc)

    def evaluate(self, interp: Interpreter, node: Any) -> dict[str, Any]:
        args: dict[str, Any] = {}
        for attr in self.required:
            if attr not in node.attributes:
                raise ActionError("unknown", f"<{self.name}> requires the attribute '{attr}'")
        for attr in self.expressions:
            if attr in node.attributes:
                try:
                    args[attr] = interp.datamodel.evaluate(node.attributes[attr])
                except ExecutionError as exc:
                    raise ActionError("unknown", f"<{self.name}> attribute '{attr}': {exc}") from None
        for attr in self.literals:
            if attr in node.attributes:
                args[attr] = node.attributes[attr]
        return args

    def run(self, ctx: ActionContext, world: OrsWorld) -> None:
        raise NotImplementedError

    # --- results ----------------------------------------------------------------------------
    def done_name(self) -> str:
        return f"{self.prefix}.{self.name}.done"

    def error_name(self) -> str:
        return f"error.{self.prefix}.{self.name}"

    def fail(self, interp: Interpreter | None, requestid: str, exc: ActionError) -> None:
        from .catalogue_codes import error_data

        if interp is None:
            return  # the session ended before the answer (a context's `interp` is then None)
        data = error_data(self.error_name(), requestid, exc.code, exc.description, exc.extra)
        _answered(interp.host, interp.session.id, self.error_name(), data)
        interp.session.host.deliver(interp.session, module_event(self.error_name(), data, self.prefix))
